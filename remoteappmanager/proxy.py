"""The adapter to configurable-http-proxy's REST API (``/api/routes``).

Used by the router on the Hub's side, which gets the API's URL and token in
``CONFIGPROXY_API_URL`` and ``CONFIGPROXY_AUTH_TOKEN``. The token gives power over every
route of the site: the users' services and their containers never get it.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Float, Unicode, default
from traitlets.config import LoggingConfigurable

from .errors import ProxyUnavailable

API_URL_ENV = "CONFIGPROXY_API_URL"
TOKEN_ENV = "CONFIGPROXY_AUTH_TOKEN"  # the name CHP itself reads


class ProxyClient(LoggingConfigurable):
    """Reads, adds and deletes routes of configurable-http-proxy."""

    api_url = Unicode(
        help=f"URL of the proxy's REST API, e.g. http://127.0.0.1:8001. Default: ${API_URL_ENV}."
    ).tag(config=True)

    auth_token = Unicode(help=f"Token of the proxy's REST API. Default: ${TOKEN_ENV}.")

    timeout = Float(5.0, help="Seconds the proxy has to answer a call.").tag(config=True)

    @default("api_url")
    def _api_url_default(self) -> str:
        return os.environ.get(API_URL_ENV, "")

    @default("auth_token")
    def _auth_token_default(self) -> str:
        return os.environ.get(TOKEN_ENV, "")

    @property
    def configured(self) -> bool:
        return bool(self.api_url and self.auth_token)

    async def routes(self) -> dict[str, dict[str, Any]]:
        """Every route: ``{path: {"target": ..., "last_activity": ..., **data}}``."""
        response = await self._call("GET", "")
        routes: dict[str, dict[str, Any]] = json.loads(response or b"{}")
        return routes

    async def add_route(self, path: str, target: str, data: dict[str, Any]) -> None:
        """Route ``path`` (and everything under it) to ``target``, replacing any route
        of that path."""
        await self._call("POST", path, {**data, "target": target})

    async def delete_route(self, path: str) -> None:
        """Remove the route of ``path``; a route that is gone already is no error."""
        await self._call("DELETE", path)

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
        url = f"{self.api_url.rstrip('/')}/api/routes{quote(path)}"
        request = HTTPRequest(
            url,
            method=method,
            headers={"Authorization": f"token {self.auth_token}"},
            body=None if body is None else json.dumps(body),
            request_timeout=self.timeout,
            connect_timeout=self.timeout,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:
            if exc.code == 404 and method == "DELETE":
                return b""
            raise ProxyUnavailable(
                "the proxy refused to change its routes", f"{method} {url}: {exc}"
            ) from None
        except OSError as exc:
            raise ProxyUnavailable(
                "the proxy does not answer; try again in a moment", f"{method} {url}: {exc}"
            ) from None
        return response.body or b""
