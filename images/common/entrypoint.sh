#!/bin/sh
# Entrypoint of the demo images (busybox sh in a scratch image): writes this
# container's pages under its URL prefix, then serves them on port 8888. It writes
# only to /tmp, so it runs as any uid and with a read-only root filesystem.
set -eu

refuse() {
    echo "demo app: $*: refusing to start" >&2
    exit 2
}

base=${JPY_BASE_USER_URL:-}
id=${URL_ID:-}

# The two values name the directory the pages go to. Allow only what JupyterHub
# writes in URL paths (quote(name, safe="@~"): letters, digits, ._~@-, %-escapes).
case $base in
    /*) ;;
    *) refuse "JPY_BASE_USER_URL '$base' is not an absolute path" ;;
esac
case $base in *[!A-Za-z0-9._~@%+/-]* | *..*) refuse "unsafe JPY_BASE_USER_URL '$base'" ;; esac
case $id in '' | *[!A-Za-z0-9._~@%+-]* | *..*) refuse "unsafe URL_ID '$id'" ;; esac
# The proxy does not strip the prefix, and httpd looks files up by the decoded
# path (/user/a%3Bb/ is the directory /user/a;b/), so the pages go there. An
# escaped '/' could not be served (and could climb up once decoded), nor could
# control characters: refuse them, and check the decoded path again.
case $base/$id in
    *%[01][0-9A-Fa-f]* | *%2[Ff]* | *%7[Ff]*) refuse "escaped '/' or control character in the URL" ;;
esac
path=$(httpd -d "$base/containers/$id")
case $path in *..*) refuse "unsafe URL '$path'" ;; esac
dir=/tmp/www$path

# The names at the top of /workspace go to page.awk as arguments, so any name
# (even one holding a newline) arrives whole. Unmatched patterns stay as they
# are: keep only what exists (dangling links too).
set --
workspace=false
if [ -d /workspace ]; then
    workspace=true
    for entry in /workspace/* /workspace/.[!.]* /workspace/..?*; do
        if [ -e "$entry" ] || [ -L "$entry" ]; then
            set -- "$@" "${entry#/workspace/}"
        fi
    done
fi

mkdir -p "$dir"
cd /opt/demo
awk -v workspace="$workspace" -f page.awk html "$@" >"$dir/index.html"
awk -v workspace="$workspace" -f page.awk json "$@" >"$dir/env.json"
cp headers.cgi icon.png "$dir/"

# headers.cgi must show only the request's headers, which httpd passes as HTTP_*:
# drop any HTTP_* the container was started with (an HTTP_PROXY would look like
# one). The server has no use for the licence either.
for name in $(awk 'BEGIN { for (k in ENVIRON) if (k ~ /^HTTP_[A-Za-z0-9_]*$/) print k }'); do
    unset "$name"
done
unset APP_LICENSE

# PID 1 is Docker's init, which passes SIGTERM on to httpd: it exits at once.
# -vv logs every request ("url:..."), so tests can tell what reached the app.
exec httpd -f -vv -p 8888 -h /tmp/www -c /opt/demo/httpd.conf
