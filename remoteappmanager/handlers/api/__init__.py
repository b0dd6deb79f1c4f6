"""The REST API, one module per resource, gathered here under ``{prefix}api/v1/``."""

from __future__ import annotations

from typing import Any

from tornado import web

from ..base import APIHandler
from . import admin, applications, containers, events, shares

RESOURCES = (applications, containers, shares, events, admin)


class NotFoundHandler(APIHandler):
    """Any other path under the API: a JSON 404."""

    def prepare(self) -> None:  # type: ignore[override]
        raise web.HTTPError(404, "no such API endpoint")


def api_routes(prefix: str) -> list[tuple[str, Any]]:
    routes: list[tuple[str, Any]] = [
        (f"{prefix}api/v1/{pattern}/?$", handler)
        for resource in RESOURCES
        for pattern, handler in resource.routes
    ]
    routes.append((f"{prefix}api/v1/.*", NotFoundHandler))
    return routes
