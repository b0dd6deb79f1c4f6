"""The authenticated gateway between the browser and the user's apps.

Every request, HTTP or websocket, is checked on its own: only the owner gets
through, and anyone else gets a 404 without the container being contacted. Nothing
of the request is read before that check: bodies are streamed to the app afterwards
(up to ``gateway_max_body_size``). HTTP requests travel on kept-alive connections to
the app (upstream.py), which carry no one's authority: each request was checked first.

An app lives in one of two places:

- **on its own origin** (``ContainerService.app_origin``): ``http://<url_id>.<host>/``,
  served by `AppOriginHandler`, which knows the browser by an app session cookie
  (services/app_sessions.py) valid for that app alone. The app's own cookies pass
  both ways; the Hub's and the service's never reach it. Its path on the user's
  origin, ``{prefix}containers/<url_id>/``, only hands out the ticket that opens it.
- **under the user's origin** (no app origins): ``{prefix}containers/<url_id>/``,
  served by `GatewayHandler`, which knows the browser by its Hub login. The app gets
  no cookie at all and may set none: it shares its origin with the dashboard.

What the app receives: ``Host`` (its image's ``host`` label, else the address the
gateway reaches it at), ``Origin`` rewritten to ``http://<that host>`` once the
gateway has checked the browser's (both as the browser sent them with
``host=browser``), ``X-Forwarded-Host`` and ``X-Forwarded-Proto``
(what the browser used), and with ``strip-prefix`` under the user's origin the path
without the prefix and ``X-Forwarded-Prefix``. On its own origin, where a share's
viewer may come too, ``X-Remoteappmanager-User`` (who asks) and
``X-Remoteappmanager-Permission`` (``control``, or ``view`` for a view-only viewer,
which an image labelled ``view-only=true`` enforces itself); a browser's own
``X-Remoteappmanager-*`` headers never pass.

A viewer of a share (services/sharing.py) holds an app session bound to the share:
each request checks that the share still holds, and the viewer's websockets close
when it ends. View-only on a noVNC desktop is the gateway's: it passes no write and
reads the viewer's websocket through `ViewOnlyFilter`, which drops keys and clicks.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from tornado import httputil, web
from tornado.http1connection import HTTP1Connection
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import (
    WebSocketClientConnection,
    WebSocketError,
    WebSocketHandler,
    websocket_connect,
)

from ..docker.container import Container
from ..docker.image import BROWSER_HOST
from ..services.app_sessions import ENTER_PATH, AppSession, AppSessions
from ..services.containers import ContainerService
from ..services.sharing import Sharing
from .base import BaseHandler, is_same_origin
from .security_headers import set_security_headers
from .upstream import Exchange, UpstreamPool
from .view_only import ProtocolRefused, ViewOnlyFilter

# Never forwarded: the user's credentials, and what belongs to one hop only.
DROPPED_REQUEST_HEADERS = frozenset(
    {
        "cookie", "authorization", "connection", "keep-alive",
        "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "host", "content-length", "expect", "origin", "x-forwarded-prefix",
    }
)  # fmt: skip
DROPPED_RESPONSE_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "trailer", "upgrade", "content-length"}
)
# Under the user's origin a page's XSRF token may be the dashboard's; on the app's
# own origin it can only be the app's (Streamlit and Jupyter check theirs).
SAME_ORIGIN_DROPPED_REQUEST_HEADERS = frozenset({"x-xsrftoken", "x-csrftoken"})
# Under the user's origin an app may not set cookies there, nor claim the whole site
# for a service worker.
SAME_ORIGIN_DROPPED_RESPONSE_HEADERS = frozenset({"set-cookie", "service-worker-allowed"})
WEBSOCKET_HANDSHAKE_HEADERS = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"}
)
# Bodies up to this size are sent with the headers (kept-alive connections, retried
# when an idle one was closed); larger ones are streamed as they arrive.
BUFFERED_BODY = 64 * 1024
# The browser's credential for an app on its own origin, and where it gets it.
APP_COOKIE = "remoteappmanager-app"
# Answers once the proxy routes the app's origin (the dashboard waits for it).
PING_PATH = "/_remoteappmanager/ping"
# Cookies of the Hub and of the users' services: never passed to an app. (Their
# ``_xsrf`` cookies are host-only: they never come to an app's origin, whose own
# ``_xsrf``, Jupyter's, passes.)
WITHHELD_COOKIE = re.compile(r"jupyterhub-.*|remoteappmanager-.*")


def is_withheld(name: str) -> bool:
    return WITHHELD_COOKIE.fullmatch(name) is not None


def hop_by_hop(headers: httputil.HTTPHeaders) -> frozenset[str]:
    """The headers a ``Connection`` header names: they belong to that hop only."""
    named = ",".join(headers.get_list("Connection"))
    return frozenset(token.strip().lower() for token in named.split(",") if token.strip())


@web.stream_request_body
class Forwarder(WebSocketHandler):
    """Forwards a request that was authorized to ``self.container``, as it comes.

    Subclasses authorize in ``prepare``, set ``container`` and say whether the app
    lives on its own origin (``own_origin``).
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    container: Container
    own_origin = False
    backend: WebSocketClientConnection | None = None
    exchange: Exchange | None = None
    _buffered: list[bytes] | None = None
    _streamed: asyncio.Queue[bytes | None] | None = None
    _sending: asyncio.Task[None] | None = None

    # What to answer instead of forwarding (a redirect, a refusal), decided by
    # `authorize` and given by the request's method.
    _answer: Callable[[], None] | None = None

    def check_xsrf_cookie(self) -> None:
        # The app guards its own forms; cross-site writes are refused by Origin.
        return

    def set_default_headers(self) -> None:
        # None: an app's answer carries the app's headers, and the gateway's own
        # pages are its errors (write_error), so nothing is set and cleared again
        # on the byte path.
        return

    async def authorize(self) -> Callable[[], None] | None:
        """Check the request and find the app; returns what to answer instead of
        forwarding, if anything. Raises `tornado.web.HTTPError` to refuse."""
        raise NotImplementedError

    async def prepare(self) -> None:
        # A request with a body is answered here, before the body is read, and its
        # connection closed (tornado's way). One without a body is answered by its
        # method, so that its kept-alive connection stays open: the proxy reuses such
        # connections, and would meet a closed one.
        try:
            self._answer = await self.authorize()
        except web.HTTPError as refusal:
            if self.has_body:
                raise
            self._answer = functools.partial(self.refuse, refusal)
        if self._answer is not None and self.has_body:
            self._answer()

    @staticmethod
    def refuse(refusal: web.HTTPError) -> None:
        raise refusal

    @property
    def has_body(self) -> bool:
        headers = self.request.headers
        return headers.get("Content-Length", "0") != "0" or "Transfer-Encoding" in headers

    def allow_body(self, max_size: int) -> None:
        """Once the request is authorized: let its body come, up to ``max_size``."""
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_size:
            raise web.HTTPError(413, "the body is larger than the %d bytes allowed", max_size)
        if isinstance(self.request.connection, HTTP1Connection):
            self.request.connection.set_max_body_size(max_size)

    @property
    def is_service_worker(self) -> bool:
        """The browser fetches a service worker's script (it always says so)."""
        return self.request.headers.get("Service-Worker", "").lower() == "script"

    @property
    def is_upgrade(self) -> bool:
        return self.request.headers.get("Upgrade", "").lower() == "websocket"

    def refuse_foreign_origin(self) -> None:
        """A write or a websocket must come from a page of the origin it goes to."""
        if self.request.method in ("GET", "HEAD", "OPTIONS") and not self.is_upgrade:
            return
        origin = self.request.headers.get("Origin")
        if origin is not None and not is_same_origin(origin, self.request):
            raise web.HTTPError(403, "cross-origin request refused")

    # -- what the app receives --

    @property
    def app_host(self) -> str:
        address = self.container.address
        assert address is not None  # prepare found a running container
        host = self.container.serving.host
        if host == BROWSER_HOST:
            return self.request.host
        return host or urlsplit(address).netloc

    @property
    def app_uri(self) -> str:
        """The path (and query) the app is asked for."""
        uri = self.request.uri or "/"
        if self.own_origin or not self.container.serving.strip_prefix:
            return uri
        prefix = self.container.urlpath.rstrip("/")
        rest = uri[len(prefix) :]
        return rest if rest.startswith("/") else "/" + rest

    def forwarded_headers(self, websocket: bool = False) -> httputil.HTTPHeaders:
        headers = httputil.HTTPHeaders()
        this_hop = hop_by_hop(self.request.headers)
        for name, value in self.request.headers.get_all():
            lowered = name.lower()
            if lowered in DROPPED_REQUEST_HEADERS or lowered in this_hop:
                continue
            if lowered.startswith(("x-forwarded-", "x-remoteappmanager-")):
                continue  # the client's claims: the gateway says its own below
            if not self.own_origin and lowered in SAME_ORIGIN_DROPPED_REQUEST_HEADERS:
                continue
            if websocket and lowered in WEBSOCKET_HANDSHAKE_HEADERS:
                continue  # the client connection makes its own handshake
            headers.add(name, value)
        headers["Host"] = self.app_host
        origin = self.request.headers.get("Origin")
        if origin is not None:  # checked already: say what the app expects
            keep = self.container.serving.host == BROWSER_HOST
            headers["Origin"] = origin if keep else f"http://{self.app_host}"
        headers["X-Forwarded-Proto"] = self.request.protocol
        headers["X-Forwarded-Host"] = self.request.host
        headers["X-Forwarded-For"] = self.request.remote_ip or ""  # as the proxy saw it
        if not self.own_origin and self.container.serving.strip_prefix:
            headers["X-Forwarded-Prefix"] = self.container.urlpath.rstrip("/")
        if self.own_origin:
            cookies = self.app_cookies()
            if cookies:
                headers["Cookie"] = cookies
            headers["X-Remoteappmanager-User"] = self.app_user
            headers["X-Remoteappmanager-Permission"] = self.permission
        return headers

    # Who uses the app, and how: the owner unless a share's viewer (AppOriginHandler).
    @property
    def app_user(self) -> str:
        owner: str = self.settings["owner"]
        return owner

    @property
    def permission(self) -> str:
        return "control"

    def app_cookies(self) -> str:
        """The request's cookies that are the app's own."""
        kept = []
        for header in self.request.headers.get_list("Cookie"):
            for pair in header.split(";"):
                name = pair.split("=", 1)[0].strip()
                if name and not is_withheld(name):
                    kept.append(pair.strip())
        return "; ".join(kept)

    # -- HTTP --

    async def get(self, *args: str) -> None:
        if self._answer is not None:
            self._answer()
        elif self.is_service_worker and not self.own_origin:
            # Registered under the user's origin, an app's worker would outlive the
            # app and answer for the dashboard's pages; on its own origin it may.
            raise web.HTTPError(403, "service workers are refused under the user's origin")
        elif self.is_upgrade:
            self.refuse_foreign_origin()  # before the app is contacted
            await self.open_backend()
            await WebSocketHandler.get(self, *args)
        else:
            await self.forward()

    async def forward_request(self, *args: str) -> None:
        if self._answer is not None:
            self._answer()
        else:
            await self.forward()

    # Every other method goes to the app the same way.
    head = post = put = patch = delete = options = forward_request

    async def data_received(self, chunk: bytes) -> None:
        if self._buffered is None and self._streamed is None:
            self._start_body()
        if self._streamed is not None:
            if self._sending is not None and self._sending.done():
                return  # the app stopped reading: the answer tells why
            await self._streamed.put(chunk)
        else:
            assert self._buffered is not None
            self._buffered.append(chunk)

    def _start_body(self) -> None:
        length = self.request.headers.get("Content-Length", "")
        small = length.isdigit() and int(length) <= BUFFERED_BODY
        if small and "Transfer-Encoding" not in self.request.headers:
            self._buffered = []
            return
        self._streamed = asyncio.Queue(maxsize=4)
        self.exchange = self._exchange(length if length.isdigit() else None)
        self._sending = asyncio.ensure_future(
            self.upstreams.send_streamed(self._address, self.exchange, self._body_chunks())
        )

    async def _body_chunks(self) -> AsyncIterator[bytes]:
        assert self._streamed is not None
        while (chunk := await self._streamed.get()) is not None:
            yield chunk

    @property
    def _address(self) -> str:
        address = self.container.address
        assert address is not None  # prepare found a running container
        return address

    def _exchange(self, length: str | None, body: bytes = b"") -> Exchange:
        headers = self.forwarded_headers()
        if length is not None:
            headers["Content-Length"] = length
        request = httputil.RequestStartLine(self.request.method or "GET", self.app_uri, "HTTP/1.1")
        return Exchange(request, headers, body, self.start_response, self.send_chunk)

    async def forward(self) -> None:
        """Send the request on and stream the answer back."""
        try:
            if self._sending is not None:
                assert self._streamed is not None
                await self._streamed.put(None)  # the body is complete
                await self._sending
            else:
                body = b"".join(self._buffered or [])
                has_body = body or self.request.method in ("POST", "PUT", "PATCH")
                self.exchange = self._exchange(str(len(body)) if has_body else None, body)
                await self.upstreams.send(self._address, self.exchange)
        except OSError:
            assert self.exchange is not None
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
            self.containers.index.on_change(pool.close_idle)
        return pool

    @property
    def containers(self) -> ContainerService:
        service: ContainerService = self.settings["container_service"]
        return service

    def start_response(
        self, start_line: httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> None:
        self.set_status(start_line.code, start_line.reason)
        self.clear_header("Content-Type")
        this_hop = hop_by_hop(headers)
        for name, value in headers.get_all():
            lowered = name.lower()
            if lowered in DROPPED_RESPONSE_HEADERS or lowered in this_hop:
                continue
            if not self.own_origin and lowered in SAME_ORIGIN_DROPPED_RESPONSE_HEADERS:
                continue
            if lowered == "set-cookie":
                value = host_only_cookie(value)
                if not value:
                    continue
            self.add_header(name, value)

    def send_chunk(self, chunk: bytes) -> Awaitable[None]:
        self.write(chunk)
        return self.flush()  # awaited: a slow client slows the reading from the app

    # -- websockets --

    async def open_backend(self) -> None:
        url = f"{self._address.replace('http', 'ws', 1)}{self.app_uri}"
        protocols = self.request.headers.get("Sec-WebSocket-Protocol")
        try:
            self.backend = await websocket_connect(
                HTTPRequest(url, headers=self.forwarded_headers(websocket=True)),
                subprotocols=[p.strip() for p in protocols.split(",")] if protocols else None,
            )
        except HTTPClientError as exc:
            # The app's own refusal, passed on (Bokeh refuses an unexpected Origin).
            status = exc.code if 400 <= exc.code < 500 else 502
            reason = exc.response.reason if exc.response is not None else exc.message
            raise web.HTTPError(
                status,
                "the application refused the websocket: %s %s",
                exc.code,
                reason,
                reason=reason,
            ) from None
        except (OSError, WebSocketError):
            raise web.HTTPError(502, "the application refused the websocket") from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A line of text that says why (never a traceback); frameable, as the
        dashboard shows it where the app was. The connection of a refused upgrade is
        not for reuse: the proxy passes such a socket to its websocket path, which
        closes it after this answer, and a client that sent its next request into it
        would lose that request."""
        set_security_headers(self, frameable=True)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        if self.is_upgrade:
            self.set_header("Connection", "close")
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = HTTPStatus(status_code).phrase
        if isinstance(error, web.HTTPError) and error.log_message and status_code < 500:
            message = error.log_message % error.args if error.args else error.log_message
        elif isinstance(error, web.HTTPError) and error.log_message:
            message = error.log_message  # the gateway's own words about the app
        self.finish(f"{status_code}: {message}\n")

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
        # The app closed: its close code goes on. An app that stopped sent none, and the
        # browser is told so (1001, going away) rather than left with a cut connection.
        if self.backend.close_code is None:
            self.close(1001, "the application stopped")
        else:
            self.close(self.backend.close_code, self.backend.close_reason)

    def used(self) -> None:
        """A use of the app: the Hub and the culler count requests and the frames a
        browser sends (not the app's: an app that streams to an unused tab is idle)."""
        self.settings["activity"].touch()
        self.settings["culler"].touch(self.container.url_id)

    async def on_message(self, message: str | bytes) -> None:
        self.used()
        if self.backend is not None:
            await self.backend.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:  # the client went away, or the websocket closed
        if self.exchange is not None:
            self.exchange.abort()
        if self._sending is not None:
            self._sending.cancel()
        if self.backend is not None:
            self.backend.close()


def host_only_cookie(header: str) -> str:
    """A ``Set-Cookie`` of an app on its own origin, scoped to that host alone: no
    ``Domain`` (it would reach the Hub and the other apps); "" for a cookie that
    would shadow one of the Hub's or the service's."""
    pair, *attributes = header.split(";")
    name = pair.split("=", 1)[0].strip()
    if not name or is_withheld(name):
        return ""
    kept = [a for a in attributes if a.split("=", 1)[0].strip().lower() != "domain"]
    return ";".join([pair, *kept])


class GatewayHandler(BaseHandler, Forwarder):
    """``{prefix}containers/<url_id>/...``: the owner's app; 404 for everyone else.

    For an app on its own origin, a page here sends the owner there, with a ticket.
    """

    prepare = Forwarder.prepare  # which calls authorize, and this the Hub login's check
    set_default_headers = Forwarder.set_default_headers

    async def authorize(self) -> Callable[[], None] | None:
        await BaseHandler.prepare(self)
        url_id = self.path_args[0]
        stranger = self.current_user is None and not self.someone_else
        if stranger and self.request.method == "GET" and not self.is_upgrade:
            # To log in, then come back.
            return functools.partial(self.redirect, self.get_login_url())
        container = None
        if self.user_name == self.owner:
            container = await self.containers.index.route(url_id, self.owner)
        if container is None or container.address is None:
            raise web.HTTPError(404)
        self.container = container
        self.used()
        if container.origin:
            return self.send_to_own_origin
        self.refuse_foreign_origin()
        self.allow_body(self.settings["gateway_max_body_size"])
        return None

    def check_xsrf_cookie(self) -> None:
        """The Hub accepts its cookie without an XSRF token only for page views; an
        app's module scripts, fonts and fetches cannot send one. A request the browser
        says comes from a page of this origin needs none: ``Sec-Fetch-Site`` is set by
        the browser, never by a page, so no other site can claim it."""
        if self.request.headers.get("Sec-Fetch-Site") == "same-origin":
            return
        super().check_xsrf_cookie()

    def send_to_own_origin(self) -> None:
        """Redirect to the app's origin with a ticket: nothing else is served here."""
        if self.request.method != "GET" or self.is_upgrade:
            raise web.HTTPError(404, "this application lives on its own origin")
        prefix = self.container.urlpath.rstrip("/")
        rest = (self.request.uri or "")[len(prefix) :].lstrip("/")
        token = self.hub_auth.get_token(self)
        if not token:
            raise web.HTTPError(403, "log in to the Hub again to open this application")
        sessions: AppSessions = self.settings["app_sessions"]
        ticket = sessions.issue_ticket(self.owner, self.container.url_id, token)
        query = urlencode({"ticket": ticket, "next": self.container.app_path + rest})
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.redirect(f"{self.container.origin}{ENTER_PATH}?{query}")


class AppOriginHandler(Forwarder):
    """Every request to an app's own origin: the app session's app, else 404.

    This handler knows nothing of the Hub's cookies (the browser sends none here);
    the app session cookie was got with a ticket from the owner's dashboard.
    """

    own_origin = True
    session: AppSession | None = None
    view_filter: ViewOnlyFilter | None = None
    stop_watching: Callable[[], None] | None = None

    async def authorize(self) -> Callable[[], None] | None:
        url_id = self.url_id_of_host() or ""
        owner = self.settings["owner"]
        container = await self.containers.index.route(url_id, owner) if url_id else None
        if container is None or container.address is None or not container.origin:
            raise web.HTTPError(404)
        if urlsplit(container.origin).netloc != self.request.host:
            raise web.HTTPError(404)  # the app lives on another origin
        self.container = container
        if self.request.path == ENTER_PATH:
            return self.enter
        if self.request.path == PING_PATH:
            return self.pong
        session_id = self.get_cookie(APP_COOKIE) or ""
        session = await self.sessions.session_of(session_id, url_id, self.hub_user_of_token)
        if session is not None and not self.share_holds(session):
            raise web.HTTPError(403, "this share has ended")
        if session is None:
            if self.request.method == "GET" and not self.is_upgrade:
                # Through the dashboard, which sends the owner back with a ticket.
                relaunch = f"{self.settings['public_origin']}{self.relaunch_path}"
                return functools.partial(self.redirect, relaunch)
            raise web.HTTPError(404)
        self.session = session
        self.refuse_foreign_origin()
        if self.gateway_keeps_view_only and self.request.method not in ("GET", "HEAD"):
            raise web.HTTPError(403, "this share lets you watch, not act")
        self.used()
        self.allow_body(self.settings["gateway_max_body_size"])
        return None

    def share_holds(self, session: AppSession) -> bool:
        """A viewer's session lasts while its share does; the owner's always holds."""
        if session.share_id is None or self.sharing.is_active(session.share_id):
            return True
        self.sessions.end_share(session.share_id)
        return False

    @property
    def app_user(self) -> str:
        return self.session.user if self.session is not None else super().app_user

    @property
    def permission(self) -> str:
        return self.session.permission if self.session is not None else "control"

    @property
    def gateway_keeps_view_only(self) -> bool:
        """A noVNC desktop shared for viewing: the gateway drops the viewer's input."""
        return self.permission == "view" and self.container.app_type == "vncapp"

    @property
    def sharing(self) -> Sharing:
        sharing: Sharing = self.settings["sharing"]
        return sharing

    async def open(self, *args: str) -> None:
        await super().open(*args)
        if self.session is not None and self.session.share_id is not None:
            self.stop_watching = self.sharing.watch(self.session.share_id, self.share_ended)
        if self.gateway_keeps_view_only:
            self.view_filter = ViewOnlyFilter()

    def share_ended(self) -> None:
        self.close(1008, "the share has ended")  # 1008: policy violation

    async def on_message(self, message: str | bytes) -> None:
        if self.view_filter is not None:
            data = message.encode() if isinstance(message, str) else message
            try:
                message = self.view_filter.feed(data)
            except ProtocolRefused as refused:
                log = self.settings["log"]
                log.info("closed a view-only websocket of %s: %s", self.app_user, refused)
                self.close(1008, "view only")
                return
            if not message:
                self.used()  # watching is a use too
                return
        await super().on_message(message)

    def on_close(self) -> None:
        if self.stop_watching is not None:
            self.stop_watching()
        super().on_close()

    def url_id_of_host(self) -> str | None:
        match = self.containers.app_host_pattern().fullmatch(self.request.host_name)
        return match.group(1) if match else None

    @property
    def sessions(self) -> AppSessions:
        sessions: AppSessions = self.settings["app_sessions"]
        return sessions

    @property
    def relaunch_path(self) -> str:
        path = self.request.uri or "/"
        if self.container.serving.strip_prefix:
            path = self.container.urlpath.rstrip("/") + path
        return quote(path, safe="/?&=%:@+,;~-._")

    async def hub_user_of_token(self, token: str) -> str | None:
        model = await self.settings["hub_auth"].user_for_token(token, use_cache=False, sync=False)
        return model.get("name") if model else None

    def pong(self) -> None:
        """What the dashboard's page may read from here: that the app is routed."""
        self.set_header("Access-Control-Allow-Origin", self.settings["public_origin"] or "null")
        self.set_header("Cache-Control", "no-store")
        self.set_status(204)
        self.finish()

    def enter(self) -> None:
        """``/_remoteappmanager/enter?ticket=&next=``: a ticket becomes a session,
        the owner's (from this service's dashboard) or a share's viewer's (written
        in the database by the viewer's service)."""
        ticket = self.get_argument("ticket", "")
        url_id = self.container.url_id
        session_id = self.sessions.redeem(ticket, url_id)
        shared = self.sharing.redeem_ticket(ticket, url_id) if session_id is None else None
        if shared is not None:
            viewer, share = shared
            session_id = self.sessions.open_for_viewer(viewer, url_id, share.id, share.permission)
        if session_id is None:
            raise web.HTTPError(403, "this link has expired or was used already")
        self.set_cookie(
            APP_COOKIE,
            session_id,
            path="/",
            httponly=True,
            secure=self.request.protocol == "https",
            samesite="Lax",
        )
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")  # the used ticket stays here
        next_path = self.get_argument("next", self.container.app_path)
        # Only a path of this origin: never //elsewhere or /\elsewhere.
        if not next_path.startswith("/") or next_path[1:2] in ("/", "\\"):
            next_path = "/"
        self.redirect(next_path)


def gateway_routes(prefix: str) -> list[tuple[str, Any]]:
    return [(rf"{prefix}containers/([0-9a-f]{{32}})(?:/.*)?", GatewayHandler)]


def app_origin_routes() -> list[tuple[str, Any]]:
    """Everything on an app's origin goes to the app: nothing else is served there."""
    return [(r"/.*", AppOriginHandler)]
