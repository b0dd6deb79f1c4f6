#!/bin/bash
# Entrypoint of remoteappmanager/panel, started as root: makes the user $USER (owner
# of /workspace), then serves the app as that user with `panel serve`'s defaults:
# port 5006, at /app (the service strips the prefix: label strip-prefix), and
# Bokeh's websocket origin check allowing only localhost:5006 (label host).
set -euo pipefail
export APP_NAME=panel
. /usr/local/lib/remoteappmanager/app-init.sh

# 0.0.0.0: the gateway reaches the app on the container's own address.
become_user /opt/panel/bin/panel serve /opt/panel-app/app.py --address 0.0.0.0 "$@"
