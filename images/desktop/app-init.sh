# Sourced by the entrypoints of the Debian-based application images, which start as
# root (images/build copies this file into the build of each image on the Debian base):
#
#   check_url_prefix     refuses unsafe JPY_BASE_USER_URL / URL_ID values, exports
#                        APP_URL_PREFIX=$JPY_BASE_USER_URL/containers/$URL_ID/
#   become_user CMD...   runs CMD as the unix user $USER with uid $APP_UID, who owns
#                        /workspace (their home when it is mounted), with no
#                        capabilities left
#
# The entrypoint sets APP_NAME (for messages) before sourcing it.

refuse() {
    echo "${APP_NAME:-app}: $*: refusing to start" >&2
    exit 2
}

# The prefix ends up in file paths (the desktop's web root) and in the app's routes:
# allow only what JupyterHub writes in URL paths (quote(name, safe="@~"): letters,
# digits, ._~@- and %-escapes of two hex digits), never "..", an escaped "/" or a
# control character.
check_url_prefix() {
    local base=${JPY_BASE_USER_URL:-} id=${URL_ID:-}
    case $base in
        /*) ;;
        *) refuse "JPY_BASE_USER_URL '$base' is not an absolute path" ;;
    esac
    case $base in *[!A-Za-z0-9._~@%+/-]* | *..* | *//*) refuse "unsafe JPY_BASE_USER_URL '$base'" ;; esac
    case $id in '' | *[!A-Za-z0-9._~@%+-]* | *..*) refuse "unsafe URL_ID '$id'" ;; esac
    case $base/$id in
        *%[01][0-9A-Fa-f]* | *%2[Ff]* | *%7[Ff]*) refuse "escaped '/' or control character in the URL" ;;
        *% | *%? | *%[!0-9A-Fa-f]* | *%?[!0-9A-Fa-f]*) refuse "'%' without two hex digits in the URL" ;;
    esac
    export APP_URL_PREFIX=$base/containers/$id/
}

# The app's user gets the uid the service chose for this user, $APP_UID (unique
# per user, never a fixed account), which owns /workspace: the service hands the
# workspace over before the start. A workspace owned by another uid (an older
# service's) wins, so its files stay the user's. Without either (the image run by
# hand) the user gets uid 1000. Started without root (docker run --user), the app
# just runs as it is.
become_user() {
    local name=${USER:-user} uid=1000 gid home entry
    if [[ ! $name =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
        refuse "USER '$name' is not a unix user name"
    fi
    if ((EUID != 0)); then
        export HOME=${HOME:-/tmp}
        exec "$@"
    fi
    if [[ -n ${APP_UID:-} ]]; then
        [[ $APP_UID =~ ^[1-9][0-9]{0,9}$ ]] || refuse "APP_UID '$APP_UID' is not a uid"
        uid=$APP_UID
    fi
    gid=$uid
    home=/home/$name
    if [[ -d /workspace ]]; then
        home=/workspace
        if (($(stat -c %u /workspace) != 0)); then
            uid=$(stat -c %u /workspace)
            gid=$(stat -c %g /workspace)
        fi
        ((gid != 0)) || gid=$uid
    fi
    # /etc/passwd and /etc/group lines of our own (a restarted container has them).
    if entry=$(getent passwd "$name"); then
        [[ $(cut -d: -f3 <<<"$entry") == "$uid" ]] || refuse "the image has a user '$name' already"
    else
        if ! getent group "$gid" >/dev/null; then
            # A user called like a system group (video, audio...) gets another name.
            local group=$name
            ! getent group "$group" >/dev/null || group=app$gid
            echo "$group:x:$gid:" >>/etc/group
        fi
        echo "$name:x:$uid:$gid::$home:/bin/bash" >>/etc/passwd
    fi
    if [[ $home != /workspace ]]; then
        install -d -o "$uid" -g "$gid" -m 0700 "$home"
    fi
    export HOME=$home USER=$name LOGNAME=$name SHELL=/bin/bash
    cd "$home"
    # From root to the user for good: the capability sets emptied (no-new-privileges
    # is set by the service, and again here for a plain docker run).
    exec setpriv --reuid="$uid" --regid="$gid" --init-groups \
        --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
}
