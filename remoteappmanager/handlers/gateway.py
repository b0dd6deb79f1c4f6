"""The authenticated gateway: ``{prefix}containers/<url_id>/...`` to the user's app.

Every request, HTTP or websocket, is checked on its own: only the owner gets
through, and anyone else gets a 404 without the container being contacted. The
request reaches the app without ``Cookie`` and ``Authorization``, so the app never
sees the user's Hub credentials.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tornado import httputil, web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketHandler, websocket_connect

from ..docker.container import Container
from .base import BaseHandler

# Never forwarded: the user's credentials, and what belongs to one hop only.
DROPPED_REQUEST_HEADERS = frozenset(
    {
        "cookie", "authorization", "x-xsrftoken", "connection", "keep-alive",
        "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "host",
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
        started = False
        status, reason = 502, "Bad Gateway"
        response_headers = httputil.HTTPHeaders()

        def on_header(line: str) -> None:
            nonlocal status, reason
            if line.startswith("HTTP/"):
                start = httputil.parse_response_start_line(line.strip())
                status, reason = start.code, start.reason
            elif line.strip():
                response_headers.parse_line(line)

        def on_chunk(chunk: bytes) -> None:
            nonlocal started
            if not started:
                self.start_response(status, reason, response_headers)
                started = True
            self.write(chunk)
            self.flush()

        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        request = HTTPRequest(
            f"{self.container.address}{self.request.uri}",
            method=self.request.method,
            headers=self.forwarded_headers(),
            body=body,
            follow_redirects=False,
            decompress_response=False,
            allow_nonstandard_methods=True,
            header_callback=on_header,
            streaming_callback=on_chunk,
            request_timeout=3600,
        )
        try:
            await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError):
            if not started:
                raise web.HTTPError(502, "the application does not answer") from None
        if not started:
            self.start_response(status, reason, response_headers)
        self.finish()

    def start_response(self, status: int, reason: str, headers: httputil.HTTPHeaders) -> None:
        self.set_status(status, reason)
        self.clear_header("Content-Type")
        for name, value in headers.get_all():
            if name.lower() not in DROPPED_RESPONSE_HEADERS:
                self.add_header(name, value)

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

    def on_close(self) -> None:
        if self.backend is not None:
            self.backend.close()


def gateway_routes(prefix: str) -> list[tuple[str, Any]]:
    return [(rf"{prefix}containers/([0-9a-f]{{32}})(?:/.*)?", GatewayHandler)]
