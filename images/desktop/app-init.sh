# Sourced by the entrypoints of the Debian-based application images, which start as
# root (images/build copies this file into the build of each image on the Debian base):
#
#   check_url_prefix     refuses unsafe JPY_BASE_USER_URL / URL_ID values, exports
#                        APP_URL_PREFIX=$JPY_BASE_USER_URL/containers/$URL_ID/
#   become_user CMD...   runs CMD as the unix user $USER, who owns /workspace (their
#                        home when it is mounted), with no capabilities left
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

# The service makes the workspace 0700 for its own uid, so the app's user gets that
# uid. A service running as root owns it as root: the app must not run as root, so
# its user gets uid 1000 and is handed the workspace (only what is not its own yet:
# a second start walks the tree and changes nothing). Started without root (docker
# run --user), the app just runs as it is.
become_user() {
    local name=${USER:-user} uid=1000 gid=1000 home entry
    if [[ ! $name =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
        refuse "USER '$name' is not a unix user name"
    fi
    if ((EUID != 0)); then
        export HOME=${HOME:-/tmp}
        exec "$@"
    fi
    home=/home/$name
    if [[ -d /workspace ]]; then
        home=/workspace
        uid=$(stat -c %u /workspace)
        gid=$(stat -c %g /workspace)
        if ((uid == 0)); then
            uid=1000 gid=1000
            # -xdev: not into other mounts; -h: a link itself, never what it points to.
            find /workspace -xdev \( ! -uid "$uid" -o ! -gid "$gid" \) \
                -exec chown -h "$uid:$gid" {} +
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
