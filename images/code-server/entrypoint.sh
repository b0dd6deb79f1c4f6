#!/bin/bash
# Entrypoint of remoteappmanager/code-server, started as root: makes the user $USER
# (owner of /workspace), then runs code-server as that user with upstream's settings
# but these: on 0.0.0.0:8080, at / (the service strips the prefix: label
# strip-prefix), no telemetry, update check or workspace trust prompt, and the home
# folder open. Extra arguments go to code-server (a folder given wins over the home).
set -euo pipefail
export APP_NAME=code-server
. /usr/local/lib/remoteappmanager/app-init.sh

# The gateway lets only the owner in, so no login of code-server's own; with
# PASSWORD set (code-server's variable), upstream's password login as well.
auth=none
[[ -z ${PASSWORD:-} ]] || auth=password
# Started as another user (docker run --user), docker's HOME is / when that user
# has none: code-server needs a home it can write its settings in.
if ((EUID != 0)); then
    [[ -w ${HOME:-/} ]] || export HOME=/tmp
    cd "$HOME"
fi
# ".": become_user starts it in the user's home.
become_user /opt/code-server/bin/code-server --bind-addr 0.0.0.0:8080 --auth "$auth" \
    --disable-telemetry --disable-update-check --disable-workspace-trust . "$@"
