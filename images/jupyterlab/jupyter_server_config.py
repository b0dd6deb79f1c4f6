"""JupyterLab's settings in the remoteappmanager/jupyterlab image.

The service gives the container its URL prefix in the environment; the entrypoint
has checked it (app-init.sh) and exported APP_URL_PREFIX.
"""

import os

c = get_config()  # noqa: F821 (jupyter provides it)

c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8888
c.ServerApp.port_retries = 0  # another port would be one the service never asks
c.ServerApp.open_browser = False
# Served under the full prefix: the proxy and the gateway keep it.
c.ServerApp.base_url = os.environ["APP_URL_PREFIX"]
c.ServerApp.root_dir = "/workspace" if os.path.isdir("/workspace") else os.path.expanduser("~")

# Authentication is the gateway's: it lets only the owner in (Hub login) and strips
# the user's Cookie and Authorization headers. No token, no password here.
c.IdentityProvider.token = ""
c.PasswordIdentityProvider.hashed_password = ""
# jupyter_server checks writes with a double-submit cookie (the _xsrf cookie echoed in
# a header), but the app never gets its cookies back: the gateway removes the Cookie
# header. The gateway itself refuses writes whose Origin is another site.
c.ServerApp.disable_check_xsrf = True
# The gateway reaches the app with the container's address as Host, so the server's
# own same-origin test (Origin against Host) fails on every write and websocket: the
# gateway has compared the browser's Origin with the public host already.
c.ServerApp.allow_origin = "*"
c.ServerApp.allow_remote_access = True

# No calls to the internet from the server or the page (the site may have none).
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.news_url = None
c.LabApp.extension_manager = "readonly"
