# JupyterHub configuration for remoteappmanager: each user who logs in gets their own
# remoteappmanager service, which shows their applications and runs them in Docker.
#
# Start with `jupyterhub -f deploy/jupyterhub_config.py`. Settings that differ from
# site to site come from the environment:
#   REMOTEAPPMANAGER_DB_URL      the app database (see `remoteappdb db init`)
#   REMOTEAPPMANAGER_WORKSPACES  where each user's workspace directory is made
#   REMOTEAPPMANAGER_CONFIG      a remoteappmanager_config.py for the services
#   DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH   the Docker engine, as for `docker`
import os

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

# Users need no unix account: their services run as the Hub's user.
c.JupyterHub.spawner_class = "remoteappmanager.jupyterhub.spawners.VirtualUserSpawner"
if os.environ.get("REMOTEAPPMANAGER_WORKSPACES"):
    c.VirtualUserSpawner.workspace_root = os.environ["REMOTEAPPMANAGER_WORKSPACES"]
if os.environ.get("REMOTEAPPMANAGER_CONFIG"):
    c.RemoteAppSpawner.config_file = os.environ["REMOTEAPPMANAGER_CONFIG"]

# The service answers quickly; a slow start means something is wrong.
c.Spawner.start_timeout = 30
c.Spawner.http_timeout = 30
# Each service stops with the user's session after a day without use.
c.JupyterHub.shutdown_on_logout = False
