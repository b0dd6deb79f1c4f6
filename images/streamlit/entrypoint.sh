#!/bin/bash
# Entrypoint of remoteappmanager/streamlit, started as root: makes the user $USER
# (owner of /workspace), then runs Streamlit as that user with its default settings:
# port 8501, at / (the service strips the prefix: label strip-prefix), XSRF
# protection and CORS as they come.
set -euo pipefail
export APP_NAME=streamlit
. /usr/local/lib/remoteappmanager/app-init.sh

# No e-mail prompt and no usage statistics sent from the page (the site may have no
# internet); nothing else differs from Streamlit's defaults.
export STREAMLIT_SERVER_HEADLESS=true STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
become_user /opt/streamlit/bin/streamlit run /opt/streamlit-app/app.py "$@"
