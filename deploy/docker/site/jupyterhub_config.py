# The site's own JupyterHub settings for the hub image, loaded after everything else
# (docker-compose.yml mounts deploy/docker/site/ at /etc/remoteappmanager/site). Anything
# of JupyterHub can be set here; the authenticator must be.
#
# As shipped this is a TRIAL login (JupyterHub's SharedPasswordAuthenticator): the users
# named in $REMOTEAPPMANAGER_TRIAL_USERS (default "alice") log in with the one password
# $REMOTEAPPMANAGER_TRIAL_PASSWORD (8 characters or more), and, when
# $REMOTEAPPMANAGER_TRIAL_ADMIN_PASSWORD is set (32 characters or more), "admin" logs in
# with it as a Hub administrator. Anyone who knows a password can log in as any of those
# users. For real use, replace it with your site's authenticator, e.g.
#
#   c.JupyterHub.authenticator_class = "github"   # pip install oauthenticator in the image
#   c.OAuthenticator.oauth_callback_url = "https://hub.example.org/hub/oauth_callback"
#   c.OAuthenticator.allowed_users = {"alice", "bob"}
#   c.Authenticator.admin_users = {"alice"}
#
# and serve the site over HTTPS: a reverse proxy in front of the public port, or
# c.JupyterHub.ssl_cert and c.JupyterHub.ssl_key here (files mounted in this directory).
import os

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

password = os.environ.get("REMOTEAPPMANAGER_TRIAL_PASSWORD", "")
if not password:
    raise SystemExit(
        "deploy/docker/site/jupyterhub_config.py: set REMOTEAPPMANAGER_TRIAL_PASSWORD for "
        "the trial login, or configure your site's authenticator in this file."
    )
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = password
c.Authenticator.allowed_users = set(os.environ.get("REMOTEAPPMANAGER_TRIAL_USERS", "alice").split())
if os.environ.get("REMOTEAPPMANAGER_TRIAL_ADMIN_PASSWORD"):
    c.SharedPasswordAuthenticator.admin_password = os.environ[
        "REMOTEAPPMANAGER_TRIAL_ADMIN_PASSWORD"
    ]
    c.Authenticator.admin_users = {"admin"}
