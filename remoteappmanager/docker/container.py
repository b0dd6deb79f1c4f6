"""Running application containers, as the Docker engine describes them.

Labels are the truth about what runs: every container this project starts carries
the ``eu.simphony-project.docker.runinfo.*`` labels below and is found by them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from .image import LABEL_PREFIX, Serving

RUNINFO_PREFIX = LABEL_PREFIX + "runinfo."
USER_LABEL = RUNINFO_PREFIX + "user"
MAPPING_ID_LABEL = RUNINFO_PREFIX + "mapping_id"
URL_ID_LABEL = RUNINFO_PREFIX + "url_id"
URLPATH_LABEL = RUNINFO_PREFIX + "urlpath"
REALM_LABEL = RUNINFO_PREFIX + "realm"
# The app's own origin (http://<url_id>.<host>), or "" when it lives under the
# user's origin, at urlpath.
ORIGIN_LABEL = RUNINFO_PREFIX + "origin"
# The variables the user's settings (configurables) gave the app, as a JSON object:
# what a later start of the same grant is compared with.
SETTINGS_LABEL = RUNINFO_PREFIX + "settings"


@dataclass(frozen=True)
class Container:
    """One application container of one user."""

    id: str
    name: str
    image: str
    state: str
    user: str
    mapping_id: str
    url_id: str
    urlpath: str
    realm: str
    created_at: datetime
    host_ip: str | None
    host_port: int | None
    origin: str = ""
    serving: Serving = field(default_factory=Serving)
    settings: tuple[tuple[str, str], ...] = ()  # SETTINGS_LABEL's pairs, sorted
    app_type: str = "webapp"  # its image's ``type`` label

    @classmethod
    def from_summary(cls, summary: dict[str, Any], default_port: int) -> Container:
        """From an entry of the engine's container list (its labels include its
        image's, so ``serving`` is what the image says)."""
        labels: dict[str, str] = summary.get("Labels") or {}
        serving = Serving.from_labels(labels, default_port)
        published = [
            entry
            for entry in summary.get("Ports") or []
            if entry.get("PrivatePort") == serving.port and entry.get("PublicPort")
        ]
        names = summary.get("Names") or [""]
        return cls(
            id=summary["Id"],
            name=names[0].lstrip("/"),
            image=summary.get("Image", ""),
            state=summary.get("State", ""),
            user=labels.get(USER_LABEL, ""),
            mapping_id=labels.get(MAPPING_ID_LABEL, ""),
            url_id=labels.get(URL_ID_LABEL, ""),
            urlpath=labels.get(URLPATH_LABEL, ""),
            realm=labels.get(REALM_LABEL, ""),
            created_at=datetime.fromtimestamp(summary.get("Created", 0), timezone.utc),
            host_ip=published[0].get("IP") if published else None,
            host_port=int(published[0]["PublicPort"]) if published else None,
            origin=labels.get(ORIGIN_LABEL, ""),
            serving=serving,
            settings=_settings(labels.get(SETTINGS_LABEL)),
            app_type=labels.get(LABEL_PREFIX + "type", "webapp"),
        )

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def address(self) -> str | None:
        """``http://127.0.0.1:PORT``, where the app answers on this host."""
        if not self.running or self.host_port is None:
            return None
        return f"http://{self.host_ip or '127.0.0.1'}:{self.host_port}"

    @property
    def app_path(self) -> str:
        """Where the app itself serves: at its URL prefix, or at ``/``."""
        return "/" if self.serving.strip_prefix else self.urlpath

    @property
    def host_name(self) -> str:
        """The host name of the app's own origin ("" when it has none)."""
        return urlsplit(self.origin).hostname or "" if self.origin else ""


def _settings(label: str | None) -> tuple[tuple[str, str], ...]:
    """The pairs of SETTINGS_LABEL; none for a container started without it."""
    try:
        pairs = json.loads(label) if label else {}
    except ValueError:
        return ()
    if not isinstance(pairs, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in pairs.items()))
