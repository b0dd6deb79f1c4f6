"""Names derived from user names: container names, directory names, unix user names.

JupyterHub user names can be anything an authenticator returns (e-mail addresses,
mixed case, 255 characters, HTML). Everything derived from them must be safe where
it is used and must never let two users share a name.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
ESCAPED_LENGTH = 64
UNIX_NAME_LENGTH = 32
# Accounts that exist in most images: a user must never be given one of them.
SYSTEM_ACCOUNTS = frozenset(
    {
        "root",
        "daemon",
        "bin",
        "sys",
        "sync",
        "games",
        "man",
        "lp",
        "mail",
        "news",
        "uucp",
        "proxy",
        "www-data",
        "backup",
        "list",
        "irc",
        "gnats",
        "nobody",
        "nogroup",
        "adm",
        "admin",
        "sudo",
        "wheel",
        "shadow",
        "staff",
        "users",
        "operator",
        "systemd-network",
        "systemd-resolve",
        "systemd-timesync",
        "messagebus",
        "sshd",
        "polkitd",
        "jovyan",
    }
)


def escape_name(name: str) -> str:
    """A name made of ``[a-z0-9_-]`` only, unique for each input.

    Lower-case letters and digits stay; every other byte of the UTF-8 name
    becomes ``_`` and two hex digits (so ``a-b`` is ``a_2db`` and ``A`` is ``_41``,
    and no two names meet). Long results are cut and end with ``-`` and a hash
    of the whole name: short results have no ``-``, so the two kinds never meet
    either.
    """
    escaped = "".join(
        chr(byte) if chr(byte) in SAFE else f"_{byte:02x}" for byte in name.encode("utf-8")
    )
    if len(escaped) <= ESCAPED_LENGTH:
        return escaped
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return f"{escaped[: ESCAPED_LENGTH - 17]}-{digest}"


def unix_name(name: str) -> str:
    """A unix user name for inside the container: ``[a-z_][a-z0-9_-]*``, at most 32.

    Readable rather than unique (it only names the user inside their own
    container), and never a system account such as ``root``.
    """
    readable = re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_-")
    if not readable or not readable[0].isalpha() or readable in SYSTEM_ACCOUNTS:
        readable = f"user_{readable}"
    return readable[:UNIX_NAME_LENGTH].rstrip("_-")


def url_path_name(name: str) -> str:
    """The user name as JupyterHub writes it in URL paths (``/user/<name>/``)."""
    return quote(name, safe="@~")
