"""remoteappmanager: launch containerised applications from JupyterHub."""

__version__ = "0.1.0.dev0"
