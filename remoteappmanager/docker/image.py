"""The image contract: what an application image says about itself in its labels.

Labels live in the ``eu.simphony-project.docker`` namespace, so images made for
simphony-remote work unchanged:

- ``ui_name``, ``description``: shown on the dashboard;
- ``icon_128``: a base64 PNG (bounded size), else the dashboard shows a generic icon
  (the API serves it decoded, by URL, see ``handlers/api/icons.py``);
- ``type``: ``webapp``, ``vncapp`` or ``jupyter``;
- ``env.<kebab-name>``: the image understands the variable ``KEBAB_NAME``; this is
  how an image says which configurables (see ``services.configurables``) it accepts;
- ``view-only``: ``true`` if the app itself shows a read-only view to a viewer whose
  requests carry ``X-Remoteappmanager-Permission: view`` (sharing);
- how the app is served (`Serving`): ``port``, ``strip-prefix``, ``ready-path``,
  ``host``; containers carry their image's labels, so these are read from either.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

LABEL_PREFIX = "eu.simphony-project.docker."
ENV_PREFIX = LABEL_PREFIX + "env."
APP_TYPES = ("webapp", "vncapp", "jupyter")
ICON_BYTES = 256 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UI_NAME_LENGTH = 255
DESCRIPTION_LENGTH = 4096
ENV_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DEFAULT_PORT = 8888
READY_PATH = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@%-]+/?)*")
# The ``host`` label's word for "the host the browser asked for".
BROWSER_HOST = "browser"
HOST_HEADER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::[0-9]{1,5})?")
# Variables the service sets itself: no label may claim them.
PROTECTED_ENV = frozenset(
    {"JPY_USER", "JPY_BASE_USER_URL", "USER", "URL_ID", "APP_LICENSE", "APP_UID", "APP_GID"}
)


def env_name(key: str) -> str:
    """``x11-width`` -> ``X11_WIDTH``."""
    return key.upper().replace("-", "_")


@dataclass(frozen=True)
class Serving:
    """How an app is reached, from its labels (invalid values fall back to defaults).

    - ``port``: where it listens in the container (label ``port``, default 8888);
    - ``strip_prefix``: it serves at ``/``, not under its URL prefix (``strip-prefix``);
    - ``ready_path``: a path under where it lives that answers once it is ready;
    - ``host``: the ``Host`` it expects to be called by (``host``, e.g.
      ``localhost:5006``); `BROWSER_HOST`: the one the browser asked for, as behind a
      plain reverse proxy; None: the address the gateway reaches it at.
    """

    port: int = DEFAULT_PORT
    strip_prefix: bool = False
    ready_path: str = ""
    host: str | None = None

    @classmethod
    def from_labels(cls, labels: dict[str, str], default_port: int = DEFAULT_PORT) -> Serving:
        port_label = labels.get(LABEL_PREFIX + "port", "").strip()
        port = int(port_label) if port_label.isdigit() and 0 < int(port_label) < 65536 else 0
        ready = labels.get(LABEL_PREFIX + "ready-path", "").strip().lstrip("/")
        host = labels.get(LABEL_PREFIX + "host", "").strip()
        return cls(
            port=port or default_port,
            strip_prefix=labels.get(LABEL_PREFIX + "strip-prefix", "").strip().lower()
            in ("true", "yes", "1"),
            ready_path=ready if READY_PATH.fullmatch(ready) and ".." not in ready else "",
            host=host if HOST_HEADER.fullmatch(host) else None,
        )


@dataclass(frozen=True)
class ImageInfo:
    """What one image says about itself, checked; values the labels lack are None."""

    name: str
    id: str
    ui_name: str | None
    description: str | None
    icon_128: str | None
    type: str
    env_keys: frozenset[str]
    available: bool = True
    serving: Serving = field(default_factory=Serving)
    # The Linux capabilities it needs (label ``capabilities``, e.g. "CHOWN,SETUID"),
    # in Docker's spelling, without CAP_; every other one is dropped.
    capabilities: frozenset[str] = frozenset()
    # It runs with its root filesystem read-only (label ``read-only-root=true``).
    read_only_root: bool = False
    # It enforces view-only for a shared viewer itself (label ``view-only=true``).
    view_only: bool = False

    @classmethod
    def missing(cls, name: str) -> ImageInfo:
        """Stands for an image the engine does not have (yet): shown, not startable."""
        return cls(name, "", None, None, None, "webapp", frozenset(), available=False)

    @classmethod
    def from_inspect(cls, name: str, inspected: dict[str, Any]) -> ImageInfo:
        """From the engine's inspection of the image."""
        labels = (inspected.get("Config") or {}).get("Labels") or {}
        return cls.from_labels(name, str(inspected.get("Id", "")), labels)

    @classmethod
    def from_labels(cls, name: str, image_id: str, labels: dict[str, str]) -> ImageInfo:
        app_type = labels.get(LABEL_PREFIX + "type", "")
        return cls(
            name=name,
            id=image_id,
            ui_name=_text(labels.get(LABEL_PREFIX + "ui_name"), UI_NAME_LENGTH),
            description=_text(labels.get(LABEL_PREFIX + "description"), DESCRIPTION_LENGTH),
            icon_128=_png_or_none(labels.get(LABEL_PREFIX + "icon_128")),
            type=app_type if app_type in APP_TYPES else "webapp",
            env_keys=frozenset(
                key
                for label in labels
                if label.startswith(ENV_PREFIX)
                and ENV_KEY.fullmatch(key := label[len(ENV_PREFIX) :])
                and env_name(key) not in PROTECTED_ENV
            ),
            serving=Serving.from_labels(labels),
            capabilities=capability_names(labels.get(LABEL_PREFIX + "capabilities", "")),
            read_only_root=labels.get(LABEL_PREFIX + "read-only-root", "").lower() == "true",
            view_only=labels.get(LABEL_PREFIX + "view-only", "").lower() == "true",
        )

    def with_overrides(self, display_name: str | None, description: str | None) -> ImageInfo:
        """The admin's display name and description, where set, win over the labels."""
        return replace(
            self,
            ui_name=display_name or self.ui_name,
            description=description or self.description,
        )

    @property
    def title(self) -> str:
        return self.ui_name or self.name

    def icon_png(self) -> bytes | None:
        """The icon's PNG bytes (the label was checked to be one), or None."""
        return base64.b64decode(self.icon_128) if self.icon_128 else None


def capability_names(label: str) -> frozenset[str]:
    """``"cap_chown, SETUID"`` -> ``{"CHOWN", "SETUID"}``; a name that is no capability
    is kept as written, for the site's allow-list to refuse by name."""
    names = (name.strip().upper() for name in re.split(r"[,\s]+", label) if name.strip())
    return frozenset(name.removeprefix("CAP_") for name in names)


def _text(value: str | None, limit: int) -> str | None:
    if not value or not value.strip():
        return None
    cleaned = "".join(" " if ord(char) < 32 or ord(char) == 127 else char for char in value)
    cleaned = cleaned.strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _png_or_none(value: str | None) -> str | None:
    # Check the length first: a 50 MB label must cost nothing to refuse.
    if not value or len(value) > 4 * (ICON_BYTES // 3 + 1):
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return value if data.startswith(PNG_SIGNATURE) else None


class ImageCache:
    """Parsed labels by image id: an image id names fixed content, so never stale."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._images: OrderedDict[str, ImageInfo] = OrderedDict()

    def get(self, name: str, inspected: dict[str, Any]) -> ImageInfo:
        """From an inspection (``Config.Labels``) or a list entry (``Labels``)."""
        image_id = str(inspected.get("Id", ""))
        key = f"{image_id}\0{name}"
        info = self._images.get(key)
        if info is None:
            labels = inspected.get("Labels") or (inspected.get("Config") or {}).get("Labels")
            info = ImageInfo.from_labels(name, image_id, labels or {})
            self._images[key] = info
            if len(self._images) > self._size:
                self._images.popitem(last=False)
        else:
            self._images.move_to_end(key)
        return info


def references(name: str) -> tuple[str, ...]:
    """How the engine's image list may name the image ``name`` (a tag is implied)."""
    last = name.rsplit("/", 1)[-1]
    return (name,) if ":" in last or "@" in name else (name, f"{name}:latest")
