# JupyterHub configuration for remoteappmanager: each user who logs in gets their own
# remoteappmanager service, which shows their applications and runs them in Docker.
#
# Start with `jupyterhub -f deploy/jupyterhub_config.py`. Settings that differ from
# site to site come from the environment:
#   REMOTEAPPMANAGER_DB_URL      the app database (see `remoteappdb db init`)
#   REMOTEAPPMANAGER_WORKSPACES  where each user's workspace directory is made
#   REMOTEAPPMANAGER_CONFIG      a remoteappmanager_config.py for the services
#   DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH   the Docker engine, as for `docker`
#   CONFIGPROXY_API_URL          the proxy's REST API (default http://127.0.0.1:8001)
#   CONFIGPROXY_AUTH_TOKEN       its token (default: a new random one at each start)
import os
import secrets
import sys
from pathlib import Path

from remoteappmanager.jupyterhub.spawners import DOCKER_ENV

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
# After logging in, people go straight to their dashboard (the Hub starts their
# service if it is not running), not to the Hub's own home page.
c.JupyterHub.default_url = "/hub/spawn"
# Logging out leaves the user's service (and their running apps) as they are.
c.JupyterHub.shutdown_on_logout = False

# The router keeps the proxy's routes of the applications in step with their containers.
# It alone holds the proxy's token, which the users' services never get.
proxy_token = os.environ.get("CONFIGPROXY_AUTH_TOKEN") or secrets.token_hex(32)
c.ConfigurableHTTPProxy.api_url = os.environ.get("CONFIGPROXY_API_URL", "http://127.0.0.1:8001")
c.ConfigurableHTTPProxy.auth_token = proxy_token
router_command = [str(Path(sys.executable).with_name("remoteappmanager-router"))]
if os.environ.get("REMOTEAPPMANAGER_CONFIG"):
    router_command.append(f"--config={os.environ['REMOTEAPPMANAGER_CONFIG']}")
c.JupyterHub.services.append(
    {
        "name": "remoteappmanager-router",
        "command": router_command,
        "environment": {
            "CONFIGPROXY_API_URL": c.ConfigurableHTTPProxy.api_url,
            "CONFIGPROXY_AUTH_TOKEN": c.ConfigurableHTTPProxy.auth_token,
            **{key: os.environ[key] for key in DOCKER_ENV if key in os.environ},
        },
    }
)
