"""Tells the Hub when the user's apps are used, so idle culling sees real use."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import datetime, timezone
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Float, Unicode, default
from traitlets.config import LoggingConfigurable


class ActivityReporter(LoggingConfigurable):
    """Posts the time of the last use to ``$JUPYTERHUB_ACTIVITY_URL``, at most once per
    ``interval``: traffic through the gateway never waits for it."""

    url = Unicode(help="The Hub's activity URL. Default: $JUPYTERHUB_ACTIVITY_URL.").tag(
        config=True
    )
    interval = Float(60.0, help="Seconds between two reports at the most.").tag(config=True)

    @default("url")
    def _url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_ACTIVITY_URL", "")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_report = float("-inf")
        self._pending: asyncio.Task[None] | None = None

    def touch(self) -> None:
        """Note a use now; report it if the last report is older than ``interval``."""
        if not self.url or self._pending is not None:
            return
        if time.monotonic() - self._last_report < self.interval:
            return
        self._last_report = time.monotonic()
        self._pending = asyncio.ensure_future(self._report())

    async def _report(self) -> None:
        now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        server = os.environ.get("JUPYTERHUB_SERVER_NAME", "")
        request = HTTPRequest(
            self.url,
            method="POST",
            headers={
                "Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
                "Content-Type": "application/json",
            },
            body=json.dumps({"servers": {server: {"last_activity": now}}, "last_activity": now}),
            request_timeout=10,
        )
        try:
            await AsyncHTTPClient().fetch(request)
        except (OSError, HTTPClientError) as exc:
            self.log.warning("could not report activity to the Hub: %s", exc)
        finally:
            self._pending = None
