# CGI script, run by busybox httpd through /bin/sh (see httpd.conf).
# Answers with the request headers the container received: httpd hands them
# over as HTTP_* variables. Read through ENVIRON rather than `env | grep`, so a
# value holding a newline can never fake (or leak into) another line.
echo "Content-Type: text/plain; charset=utf-8"
echo
awk 'BEGIN { for (k in ENVIRON) if (k ~ /^HTTP_/) print k "=" ENVIRON[k] }' | sort
