"""Where the Hub is and whose token asks: from the options, the environment or a config
file that only its owner may read, checked before any request is sent."""

from __future__ import annotations

import json
import os
import ssl
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ...errors import InvalidInput

SETTINGS_ENV = {"url": "JUPYTERHUB_URL", "user": "JUPYTERHUB_USER", "token": "JUPYTERHUB_API_TOKEN"}


@dataclass(frozen=True)
class Settings:
    """Where the Hub is, and who asks."""

    url: str
    token: str
    user: str | None  # None: ask the Hub whose token it is


def default_config_path() -> Path:
    return Path.home() / ".config" / "remoteapprest.json"


def load_settings(
    options: Mapping[str, str | None], environ: Mapping[str, str], config: Path | None
) -> Settings:
    """Each setting from its option, else the environment, else the config file.

    ``config`` None reads the default file if there is one; a given file must exist.
    """
    from_file = read_config(config or default_config_path(), required=config is not None)

    def setting(key: str) -> str | None:
        return options.get(key) or environ.get(SETTINGS_ENV[key]) or from_file.get(key)

    url, token = setting("url"), setting("token")
    if not url:
        raise InvalidInput(missing("Hub URL", "url"))
    if not token:
        raise InvalidInput(missing("API token", "token"))
    return Settings(url=hub_url(url), token=token, user=setting("user"))


def missing(what: str, key: str) -> str:
    return f"no {what}: give --{key}, set ${SETTINGS_ENV[key]} or put {key!r} in the config file"


def read_config(path: Path, required: bool) -> dict[str, str]:
    try:
        with open(path, "rb") as file:
            # Checked on the open file, so that it is the file that is read.
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:
                raise InvalidInput(
                    f"{path} may hold a token but group or others may access it "
                    f"(mode {mode:04o}): run `chmod 600 {path}`"
                )
            content = json.loads(file.read())
    except FileNotFoundError:
        if required:
            raise InvalidInput(f"there is no config file {path}") from None
        return {}
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError:
        raise InvalidInput(f"{path} is not valid JSON") from None
    if not isinstance(content, dict):
        raise InvalidInput(f'{path} must hold a JSON object, like {{"url": "...", "token": "..."}}')
    for key, value in content.items():
        if key not in SETTINGS_ENV:
            raise InvalidInput(f"{path}: unknown key {key!r} (known: url, user, token)")
        if not isinstance(value, str):
            raise InvalidInput(f"{path}: {key!r} must be a string")
    return content


def hub_url(url: str) -> str:
    """The Hub's public URL, ending in ``/`` so that paths join under it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidInput(
            f"the Hub URL must be like https://hub.example.org/ (its public URL), not {url!r}"
        )
    return url if url.endswith("/") else f"{url}/"


def tls_context(insecure: bool, ca_file: str | None) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=ca_file)
    except OSError as error:  # ssl.SSLError is one too
        raise InvalidInput(f"cannot use the CA file {ca_file}: {error.strerror or error}") from None
