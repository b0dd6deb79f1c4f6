# JupyterHub configuration of the hub image (Dockerfile-ubuntu), which its entry point
# (entrypoint.py) runs: deploy/jupyterhub_config.py, the paths and ports of the
# container, then the site's own settings (the authenticator above all).
#
# Settings from the environment, besides those of deploy/jupyterhub_config.py:
#   REMOTEAPPMANAGER_HUB_BIND_URL  the public URL the proxy listens on (http://:8000)
#   REMOTEAPPMANAGER_HUB_API_URL   where the Hub's own API listens (http://127.0.0.1:8081)
#   REMOTEAPPMANAGER_HUB_STATE     the state directory (/var/lib/remoteappmanager)
#   REMOTEAPPMANAGER_HUB_DB_URL    JupyterHub's own database (SQLite in the state
#                                  directory); never the app database, whose tables
#                                  would clash with the Hub's
#   REMOTEAPPMANAGER_SITE_CONFIG   the site's JupyterHub settings, loaded last
#                                  (/etc/remoteappmanager/site/jupyterhub_config.py)
# The container runs on the host's network: every port here is a port of the host.
import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

# In the image this file is /etc/remoteappmanager/docker/, beside the project's.
load_subconfig(str(Path(__file__).resolve().parent.parent / "jupyterhub_config.py"))  # noqa: F821

state = Path(os.environ.get("REMOTEAPPMANAGER_HUB_STATE", "/var/lib/remoteappmanager"))
c.JupyterHub.bind_url = os.environ.get("REMOTEAPPMANAGER_HUB_BIND_URL", "http://:8000")
c.JupyterHub.hub_bind_url = os.environ.get("REMOTEAPPMANAGER_HUB_API_URL", "http://127.0.0.1:8081")
c.JupyterHub.db_url = os.environ.get(
    "REMOTEAPPMANAGER_HUB_DB_URL", f"sqlite:///{state / 'jupyterhub.sqlite'}"
)
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
# The image's proxy (/usr/local/bin), started and stopped by the Hub with the container.
c.ConfigurableHTTPProxy.command = ["configurable-http-proxy"]

site_config = Path(
    os.environ.get(
        "REMOTEAPPMANAGER_SITE_CONFIG", "/etc/remoteappmanager/site/jupyterhub_config.py"
    )
)
if not site_config.is_file():
    # Without it JupyterHub would fall back to PAM, which knows no user in a container.
    raise SystemExit(
        f"hub image: no site configuration at {site_config}. Mount a directory with a "
        "jupyterhub_config.py that sets the authenticator at /etc/remoteappmanager/site "
        "(deploy/docker/site/ is an example; see deploy/docker/README.md)."
    )
load_subconfig(str(site_config))  # noqa: F821
