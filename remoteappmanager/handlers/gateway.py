"""The authenticated gateway: ``{prefix}containers/<url_id>/...`` to the user's app.

Every request, HTTP or websocket, is checked on its own: only the owner gets
through, and anyone else gets a 404 without the container being contacted. The
request reaches the app without ``Cookie`` and ``Authorization``, so the app never
sees the user's Hub credentials. HTTP requests travel on kept-alive connections to the
app (upstream.py), which carry no one's authority: each request was checked first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

from tornado import httputil, web
from tornado.http1connection import HTTP1Connection
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketHandler, websocket_connect

from ..docker.container import Container
from .base import BaseHandler
from .upstream import Exchange, UpstreamPool

# Never forwarded: the user's credentials, and what belongs to one hop only.
DROPPED_REQUEST_HEADERS = frozenset(
    {
        "cookie", "authorization", "x-xsrftoken", "connection", "keep-alive",
        "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "host", "content-length", "expect",
    }
)  # fmt: skip
DROPPED_RESPONSE_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "trailer", "upgrade", "content-length"}
)
WEBSOCKET_HANDSHAKE_HEADERS = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"}
)


class GatewayHandler(BaseHandler, WebSocketHandler):
    """Forwards the owner's requests to the app; 404 for everyone else."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    container: Container
    backend: WebSocketClientConnection | None = None
    exchange: Exchange | None = None

    def check_xsrf_cookie(self) -> None:
        # The app guards its own forms; cross-site writes are refused by Origin in prepare.
        return

    async def prepare(self) -> None:
        await super().prepare()
        url_id = self.path_args[0]
        stranger = self.current_user is None and not self.someone_else
        if stranger and self.request.method == "GET" and not self.is_upgrade:
            self.redirect(self.get_login_url())  # to log in, then come back
            return
        container = None
        if self.user_name == self.owner:
            container = await self.containers.route(url_id, self.owner)
        if container is None or container.address is None:
            raise web.HTTPError(404)
        self.container = container
        self.settings["activity"].touch()

    @property
    def is_upgrade(self) -> bool:
        return self.request.headers.get("Upgrade", "").lower() == "websocket"

    def forwarded_headers(self, websocket: bool = False) -> httputil.HTTPHeaders:
        headers = httputil.HTTPHeaders()
        for name, value in self.request.headers.get_all():
            lowered = name.lower()
            if lowered in DROPPED_REQUEST_HEADERS:
                continue
            if websocket and lowered in WEBSOCKET_HANDSHAKE_HEADERS:
                continue  # the client connection makes its own handshake
            headers.add(name, value)
        headers["X-Forwarded-Proto"] = self.request.protocol
        headers["X-Forwarded-Host"] = self.request.host
        return headers

    # -- HTTP --

    async def get(self, *args: str) -> None:
        if self.is_upgrade:
            # Refused before the app is contacted (tornado would check only after).
            origin = self.request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc != self.request.host:
                raise web.HTTPError(403, "cross-origin websocket refused")
            await self.open_backend()
            await WebSocketHandler.get(self, *args)
        else:
            await self.forward()

    async def forward_request(self, *args: str) -> None:
        await self.forward()

    # Every other method goes to the app the same way.
    head = post = put = patch = delete = options = forward_request

    async def forward(self) -> None:
        """Send the request on and stream the answer back."""
        address = self.container.address
        assert address is not None  # prepare found a running container
        body = self.request.body
        headers = self.forwarded_headers()
        headers["Host"] = urlsplit(address).netloc
        if body or self.request.method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        request = httputil.RequestStartLine(self.request.method, self.request.uri, "HTTP/1.1")
        self.exchange = Exchange(request, headers, body, self.start_response, self.send_chunk)
        try:
            await self.upstreams.send(address, self.exchange)
        except OSError:
            if not (self.exchange.started or self.exchange.aborted):
                raise web.HTTPError(502, "the application does not answer") from None
            # Cut short: closing tells the client so (a last chunk would say "complete").
            assert isinstance(self.request.connection, HTTP1Connection)
            self.request.connection.close()
            return
        self.finish()

    @property
    def upstreams(self) -> UpstreamPool:
        """The service's connections to its apps, all dropped when a container changes."""
        pool: UpstreamPool | None = self.settings.get("upstreams")
        if pool is None:
            pool = self.settings["upstreams"] = UpstreamPool()
            self.containers.on_change(pool.close_idle)
        return pool

    def start_response(
        self, start_line: httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> None:
        self.set_status(start_line.code, start_line.reason)
        self.clear_header("Content-Type")
        for name, value in headers.get_all():
            if name.lower() not in DROPPED_RESPONSE_HEADERS:
                self.add_header(name, value)

    def send_chunk(self, chunk: bytes) -> Awaitable[None]:
        self.write(chunk)
        return self.flush()  # awaited: a slow client slows the reading from the app

    # -- websockets --

    async def open_backend(self) -> None:
        url = f"{self.container.address.replace('http', 'ws', 1)}{self.request.uri}"  # type: ignore[union-attr]
        protocols = self.request.headers.get("Sec-WebSocket-Protocol")
        try:
            self.backend = await websocket_connect(
                HTTPRequest(url, headers=self.forwarded_headers(websocket=True)),
                subprotocols=[p.strip() for p in protocols.split(",")] if protocols else None,
            )
        except (OSError, HTTPClientError):
            raise web.HTTPError(502, "the application refused the websocket") from None

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return self.backend.selected_subprotocol if self.backend else None

    async def open(self, *args: str) -> None:
        self.relay = asyncio.ensure_future(self.relay_from_backend())

    async def relay_from_backend(self) -> None:
        assert self.backend is not None
        while (message := await self.backend.read_message()) is not None:
            try:
                await self.write_message(message, binary=isinstance(message, bytes))
            except Exception:  # the browser went away
                break
        self.close()

    async def on_message(self, message: str | bytes) -> None:
        if self.backend is not None:
            await self.backend.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:  # the client went away, or the websocket closed
        if self.exchange is not None:
            self.exchange.abort()
        if self.backend is not None:
            self.backend.close()


def gateway_routes(prefix: str) -> list[tuple[str, Any]]:
    return [(rf"{prefix}containers/([0-9a-f]{{32}})(?:/.*)?", GatewayHandler)]
