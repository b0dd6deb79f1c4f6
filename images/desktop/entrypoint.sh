#!/bin/bash
# Entrypoint of remoteappmanager/desktop, started as root: checks the URL, makes the
# user $USER (owner of /workspace), then runs the desktop session as that user.
set -euo pipefail
export APP_NAME=desktop
. /usr/local/lib/remoteappmanager/app-init.sh

check_url_prefix
become_user /usr/local/bin/desktop-session
