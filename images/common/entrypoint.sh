#!/bin/busybox sh
# A stand-in application: serves, under its URL prefix, a page and env.json that
# show what the container was given. The proxy does not strip the prefix, so the
# files live at /www$JPY_BASE_USER_URL/containers/$URL_ID/.
set -eu

base=${JPY_BASE_USER_URL:-}
id=${URL_ID:-}
# httpd looks files up by the decoded URL path (/user/a%3Bb -> /user/a;b): so do we.
# It never serves an encoded '/' (%2F), so a user name with '/' cannot use this app.
path=$(httpd -d "$base/containers/$id")
# Never let the variables lead outside /www.
case "/$path/$base" in */../* | */./* | *%2[Ff]*) bad=1 ;; *) bad= ;; esac
if [ -n "$bad" ] || [ -z "$id" ] || printf '%s' "$id" | grep -q '[^A-Za-z0-9_-]'; then
  echo "unsafe JPY_BASE_USER_URL or URL_ID" >&2
  exit 2
fi
dir="/www$path"
mkdir -p "$dir"

html() {
  printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
    -e 's/"/\&quot;/g' -e "s/'/\&#39;/g"
}
json() {  # a JSON string; control characters (refused by the service anyway) become '?'
  printf '"%s"' "$(printf '%s' "$1" | tr '\001-\037' '?' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}
json_or_null() { if [ -n "${1+set}" ] && [ -n "$1" ]; then json "$1"; else printf null; fi; }

if [ -d /workspace ]; then
  workspace=$(ls -A /workspace | while IFS= read -r name; do json "$name"; printf ,; done)
  workspace="[${workspace%,}]"
else
  workspace=null
fi
license_set=false
[ -n "${APP_LICENSE:-}" ] && license_set=true
resolution=default
[ -n "${X11_WIDTH:-}" ] && resolution="${X11_WIDTH}x${X11_HEIGHT:-}"

cat > "$dir/env.json" <<JSON
{"JPY_USER": $(json_or_null "${JPY_USER:-}"), "USER": $(json_or_null "${USER:-}"),
 "URL_ID": $(json "$id"), "JPY_BASE_USER_URL": $(json "$base"),
 "X11_WIDTH": $(json_or_null "${X11_WIDTH:-}"), "X11_HEIGHT": $(json_or_null "${X11_HEIGHT:-}"),
 "X11_DEPTH": $(json_or_null "${X11_DEPTH:-}"), "STARTUPDATA": $(json_or_null "${STARTUPDATA:-}"),
 "APP_LICENSE_SET": $license_set, "workspace": $workspace}
JSON

title=$(html "${APP_TITLE:-Demo app}")
cat > "$dir/index.html" <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem;color:#1f2937}dt{font-weight:600}</style>
</head><body>
<h1>$title</h1>
<dl>
<dt>JPY_USER</dt><dd>$(html "${JPY_USER:-}")</dd>
<dt>USER</dt><dd>$(html "${USER:-}")</dd>
<dt>URL_ID</dt><dd>$(html "$id")</dd>
<dt>JPY_BASE_USER_URL</dt><dd>$(html "$base")</dd>
<dt>Licence</dt><dd>$([ "$license_set" = true ] && echo given || echo none)</dd>
<dt>Startup data</dt><dd>$(html "${STARTUPDATA:-none}")</dd>
<dt>Workspace</dt><dd>$([ -d /workspace ] && html "$(ls -A /workspace | tr '\n' ' ')" || echo "not mounted")</dd>
</dl>
<p id="resolution">Resolution: $(html "$resolution"), depth $(html "${X11_DEPTH:-default}")</p>
</body></html>
HTML

# headers.cgi answers with the request headers it received (the gateway must never
# pass on the user's Cookie or Authorization).
cat > "$dir/headers.cgi" <<'CGI'
echo "Content-Type: text/plain"
echo
env | grep '^HTTP_' | sort
CGI
echo '*.cgi:/bin/sh' > /etc/httpd.conf

# PID 1 is Docker's init, which passes SIGTERM on: httpd then exits at once. -vv logs
# each request, so a test can tell whether a request reached the app.
exec httpd -f -vv -p 8888 -h /www -c /etc/httpd.conf
