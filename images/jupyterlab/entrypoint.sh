#!/bin/bash
# Entrypoint of remoteappmanager/jupyterlab, started as root: checks the URL, makes
# the user $USER (owner of /workspace), then runs JupyterLab as that user, with the
# settings of /opt/jupyterlab/etc/jupyter/jupyter_server_config.py.
set -euo pipefail
export APP_NAME=jupyterlab
. /usr/local/lib/remoteappmanager/app-init.sh

check_url_prefix
# Kernels' connection files (their keys) stay out of the workspace.
export JUPYTER_RUNTIME_DIR=/tmp/jupyter-runtime
become_user /opt/jupyterlab/bin/jupyter-lab "$@"
