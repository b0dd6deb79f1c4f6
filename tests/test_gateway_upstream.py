"""The gateway's kept-alive connections to the apps (handlers/upstream.py).

The app is a local tornado server that counts its connections, or a raw socket
server where an app must misbehave. The gateway is the real GatewayHandler with its
Hub login left out (prepare names the app): that part is tested end to end, with a
real Hub, proxy and containers, in test_service_e2e.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import pytest
from tornado import web
from tornado.http1connection import HTTP1Connection
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream
from tornado.testing import bind_unused_port

from remoteappmanager.docker.container import Container
from remoteappmanager.docker.image import BROWSER_HOST, Serving
from remoteappmanager.handlers.gateway import AppOriginHandler, GatewayHandler, gateway_routes
from remoteappmanager.handlers.upstream import UpstreamPool
from remoteappmanager.services.app_sessions import AppSession

from .support import wait_for

URL_ID = "0123456789abcdef" * 2
PREFIX = f"/user/alice/containers/{URL_ID}/"
BINARY = {"Content-Type": "application/octet-stream"}


class CountingServer(HTTPServer):
    """An HTTP server that counts the connections it accepted, and those now closed."""

    opened = closed = port = 0

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        self.opened += 1
        super().handle_stream(stream, address)

    def on_close(self, server_conn: object) -> None:
        self.closed += 1
        super().on_close(server_conn)

    @property
    def open(self) -> int:
        return self.opened - self.closed


class Echo(web.RequestHandler):
    """What the app received: method, headers, body length and digest."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def answer(self) -> None:
        self.write(
            {
                "method": self.request.method,
                "uri": self.request.uri,
                "headers": dict(self.request.headers.get_all()),
                "length": len(self.request.body),
                "sha256": hashlib.sha256(self.request.body).hexdigest(),
            }
        )

    get = post = put = patch = delete = options = answer

    def head(self) -> None:
        self.set_header("X-Seen", "head")


@web.stream_request_body
class Upload(web.RequestHandler):
    """Counts and digests a body as it arrives, holding none of it; and says how many
    pieces it came in (a body sent whole would come in one)."""

    def prepare(self) -> None:
        assert isinstance(self.request.connection, HTTP1Connection)
        self.request.connection.set_max_body_size(1 << 40)
        self.length, self.pieces, self.digest = 0, 0, hashlib.sha256()

    def data_received(self, chunk: bytes) -> None:
        self.length += len(chunk)
        self.pieces += 1
        self.digest.update(chunk)

    def post(self) -> None:
        self.write(
            {"length": self.length, "pieces": self.pieces, "sha256": self.digest.hexdigest()}
        )


class SetCookies(web.RequestHandler):
    """An app that sets cookies: its own, one for a whole domain, one of the Hub's; and
    asks for a service worker over the whole site."""

    def get(self) -> None:
        self.add_header("Set-Cookie", "mine=1; Path=/; HttpOnly")
        self.add_header("Set-Cookie", "wide=1; Domain=localhost; Path=/")
        self.add_header("Set-Cookie", "jupyterhub-hub-login=forged; Path=/hub/")
        self.set_header("Service-Worker-Allowed", "/")


class HopHeaders(web.RequestHandler):
    """An app that names one of its headers in ``Connection``: for the gateway alone."""

    def get(self) -> None:
        self.set_header("Connection", "X-Hop")
        self.set_header("X-Hop", "gateway only")
        self.set_header("X-End", "for the browser")


class Refuse(web.RequestHandler):
    """An app that refuses the websocket handshake, as Bokeh does an unexpected Origin."""

    def get(self) -> None:
        self.set_status(403, "Origin not allowed")
        self.finish("refused")


class Stream(web.RequestHandler):
    """``?n=`` numbered chunks of 10 KB, each flushed on its own (chunked encoding)."""

    async def get(self) -> None:
        for i in range(int(self.get_argument("n"))):
            self.write(chunk(i))
            await self.flush()


class Close(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Connection", "close")  # no further request on this connection
        self.write("bye")


class Together(web.RequestHandler):
    """Answers once ``?n=`` requests wait together, on as many connections."""

    async def get(self) -> None:
        waiting: list[asyncio.Future[None]] = self.settings["waiting"]
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting.append(mine)
        if len(waiting) == int(self.get_argument("n")):
            for future in waiting:
                future.set_result(None)
        await mine
        self.write("ok")


class NoContent(web.RequestHandler):
    def get(self) -> None:
        self.set_status(204)


class Hang(web.RequestHandler):
    """``?first=1``: a first chunk, then nothing, until the gateway closes the connection."""

    async def get(self) -> None:
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.get_argument("first", ""):
            self.write("first")
            await self.flush()
        await self.gone

    def on_connection_close(self) -> None:
        self.gone.set_result(None)


def chunk(i: int) -> bytes:
    return f"{i:09d}\n".encode() * 1000


class OpenGateway(GatewayHandler):
    """The gateway without its Hub login: every request is for the app of the settings."""

    async def prepare(self) -> None:
        self.container = self.settings["app"]
        self.allow_body(1 << 30)


class OpenAppOrigin(AppOriginHandler):
    """The same, as the handler of an app's own origin: the app session is the
    settings' (the owner's when None)."""

    async def prepare(self) -> None:
        self.container = self.settings["app"]
        self.session = self.settings["session"]


def websocket_upgrade(origin: str) -> dict[str, str]:
    """The headers of a browser's websocket handshake from a page of ``origin``."""
    return {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "Origin": origin,
    }


def container_at(port: int) -> Container:
    return Container(
        id="c0ffee",
        name="app",
        image="app:latest",
        state="running",
        user="alice",
        mapping_id="m",
        url_id=URL_ID,
        urlpath=PREFIX,
        realm="test",
        created_at=datetime.now(timezone.utc),
        host_ip="127.0.0.1",
        host_port=port,
    )


@dataclass
class Gateway:
    url: str
    pool: UpstreamPool
    server: CountingServer
    client: AsyncHTTPClient = field(default_factory=AsyncHTTPClient)

    async def fetch(self, path: str, **kwargs: Any) -> HTTPResponse:
        return await self.client.fetch(self.url + path, raise_error=False, **kwargs)


async def serve(app: web.Application | Callable[..., Awaitable[None]]) -> tuple[Any, int]:
    """The app on a free local port: a tornado app, or a raw asyncio stream callback."""
    sock, port = bind_unused_port()
    if isinstance(app, web.Application):
        server: Any = CountingServer(app)
        server.add_sockets([sock])
    else:
        server = await asyncio.start_server(app, sock=sock)
    return server, port


GatewayTo = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def gateway_to() -> AsyncIterator[GatewayTo]:
    """Starts gateways to the app on a port (with a pool of their own, or the one given)."""
    started: list[Gateway] = []

    async def start(
        port: int,
        pool: UpstreamPool | None = None,
        own_origin: bool = False,
        session: AppSession | None = None,
        **app: Any,
    ) -> Gateway:
        """``own_origin``: as on the app's own origin, for ``session`` (the owner's if
        None); ``app``: fields of its Container."""
        pool = pool or UpstreamPool()
        handler = OpenAppOrigin if own_origin else OpenGateway
        routes = [(pattern, handler) for pattern, _ in gateway_routes("/user/alice/")]
        container = replace(container_at(port), **app)
        settings = {"app": container, "upstreams": pool, "owner": "alice", "session": session}
        server, gateway_port = await serve(web.Application(routes, **settings))
        started.append(Gateway(f"http://127.0.0.1:{gateway_port}{PREFIX}", pool, server))
        return started[-1]

    yield start
    for gateway in started:
        gateway.server.stop()
        gateway.pool.close_idle()


@pytest.fixture
async def app() -> AsyncIterator[CountingServer]:
    routes = [
        (r".*/echo", Echo),
        (r".*/upload", Upload),
        (r".*/cookies", SetCookies),
        (r".*/hop", HopHeaders),
        (r".*/refuse", Refuse),
        (r".*/stream", Stream),
        (r".*/close", Close),
        (r".*/empty", NoContent),
        (r".*/together", Together),
        (r".*/hang", Hang),
    ]
    server, port = await serve(web.Application(routes, waiting=[]))
    server.port = port
    yield server
    server.stop()


async def test_a_200_mb_upload_is_streamed_to_the_app(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """A multipart upload of 200 MiB, sent in pieces (chunked), reaches the app whole,
    in pieces too: the gateway passes it on as it comes, and parses nothing."""
    gateway = await gateway_to(app.port)
    piece = bytes(range(256)) * 4096  # 1 MiB
    count = 200
    expected = hashlib.sha256()
    boundary = b"--remoteappmanager-test"
    head = boundary + b'\r\nContent-Disposition: form-data; name="f"; filename="big"\r\n\r\n'
    tail = b"\r\n" + boundary + b"--\r\n"
    for part in (head, *[piece] * count, tail):
        expected.update(part)

    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        await write(head)
        for _ in range(count):
            await write(piece)
        await write(tail)

    response = await gateway.fetch(
        "upload",
        method="POST",
        body_producer=produce,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary[2:].decode()}"},
        request_timeout=300,
    )
    seen = json.loads(response.body)
    assert seen["length"] == len(head) + count * len(piece) + len(tail)
    assert seen["sha256"] == expected.hexdigest()
    assert seen["pieces"] > count  # streamed, not gathered first


async def test_sequential_requests_share_one_connection(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    for method in ("GET", "HEAD", "GET", "DELETE", "OPTIONS"):
        response = await gateway.fetch("echo", method=method)
        assert response.code == 200
    assert (await gateway.fetch("empty")).code == 204
    assert (await gateway.fetch("echo")).code == 200
    assert app.opened == 1


async def test_a_connection_the_app_says_to_close_is_not_reused(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    for _ in range(3):
        response = await gateway.fetch("close")
        assert (response.code, response.body) == (200, b"bye")
    await wait_for(lambda: app.open == 0, "connection closed by the gateway")
    assert app.opened == 3


async def test_a_cross_origin_websocket_is_refused_before_the_app_is_contacted(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    upgrade = websocket_upgrade("http://evil.example")
    response = await gateway.fetch("echo", headers=upgrade)
    assert response.code == 403
    assert app.opened == 0


async def test_the_credentials_never_reach_the_app(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    secrets = {
        "Cookie": "hub=secret",
        "Authorization": "token t",
        "X-XSRFToken": "x",
        "X-CSRFToken": "y",
    }
    response = await gateway.fetch("echo", headers={**secrets, "X-Kept": "yes"})
    seen = json.loads(response.body)["headers"]
    assert not {name.lower() for name in secrets} & {name.lower() for name in seen}
    assert seen["X-Kept"] == "yes"
    assert seen["Host"] == f"127.0.0.1:{app.port}"
    assert seen["X-Forwarded-Host"] == gateway.url.split("/")[2]


async def test_46_headers_named_in_connection_stay_on_their_hop(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """SECURITY-TESTS 46: a header the client names in ``Connection`` is for the
    gateway only, never for the app; and the same for the app's, toward the client."""
    gateway = await gateway_to(app.port)
    sent = {"Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1", "X-Kept": "yes"}
    seen = json.loads((await gateway.fetch("echo", headers=sent)).body)["headers"]
    assert "X-Secret-Hop" not in seen and seen["X-Kept"] == "yes"
    answer = await gateway.fetch("hop")
    assert "X-Hop" not in answer.headers and answer.headers["X-End"] == "for the browser"


async def test_47_the_clients_x_forwarded_headers_never_reach_the_app(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """SECURITY-TESTS 47: the app hears where the request came from from the gateway,
    not from whatever the client claimed."""
    gateway = await gateway_to(app.port)
    claims = {
        "X-Forwarded-For": "10.9.8.7",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "X-Forwarded-User": "admin",
    }
    seen = json.loads((await gateway.fetch("echo", headers=claims)).body)["headers"]
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert seen["X-Forwarded-Host"] == gateway.url.split("/")[2]
    assert seen["X-Forwarded-Proto"] == "http"
    assert "X-Forwarded-Port" not in seen and "X-Forwarded-User" not in seen


async def test_the_app_hears_who_asks_and_how_never_what_the_client_claims(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """On its own origin the app is told who uses it (the owner, or a share's viewer)
    and with which permission, so that an image labelled view-only can keep a viewer
    to watching; under the user's origin, where nobody else comes, it is told nothing.
    A client's own X-Remoteappmanager-* headers never pass."""
    claims = {
        "X-Remoteappmanager-User": "alice",
        "X-Remoteappmanager-Permission": "control",
        "X-Remoteappmanager-Admin": "yes",
    }
    viewer = AppSession("bob", URL_ID, "", 0.0, share_id="s" * 32, permission="view")
    for session, user, permission in ((None, "alice", "control"), (viewer, "bob", "view")):
        gateway = await gateway_to(app.port, own_origin=True, session=session)
        seen = json.loads((await gateway.fetch("echo", headers=claims)).body)["headers"]
        told = {k: v for k, v in seen.items() if k.lower().startswith("x-remoteappmanager-")}
        assert told == {
            "X-Remoteappmanager-User": user,
            "X-Remoteappmanager-Permission": permission,
        }
    gateway = await gateway_to(app.port)
    seen = json.loads((await gateway.fetch("echo", headers=claims)).body)["headers"]
    assert not [k for k in seen if k.lower().startswith("x-remoteappmanager-")]


async def test_48_no_service_worker_under_the_users_origin(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """SECURITY-TESTS 48: the browser's fetch of a service worker's script under the
    user's origin is refused before the app is contacted; on its own origin it passes."""
    same_origin = await gateway_to(app.port)
    refused = await same_origin.fetch("echo", headers={"Service-Worker": "script"})
    assert refused.code == 403
    assert app.opened == 0
    own_origin = await gateway_to(app.port, own_origin=True)
    assert (await own_origin.fetch("echo", headers={"Service-Worker": "script"})).code == 200


async def test_49_a_websocket_from_the_http_twin_of_the_origin_is_refused(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """SECURITY-TESTS 49: the Origin's scheme counts, not only its host and port."""
    gateway = await gateway_to(app.port)
    upgrade = websocket_upgrade(f"https://{gateway.url.split('/')[2]}")  # the gateway is http here
    assert (await gateway.fetch("echo", headers=upgrade)).code == 403
    assert app.opened == 0


async def test_53_an_apps_answer_carries_the_apps_headers_not_the_services(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """SECURITY-TESTS 53: the service's strict policy is for its own answers: an app's
    page keeps the policy it sets, or none, so that it runs as it would alone."""
    gateway = await gateway_to(app.port)
    answer = await gateway.fetch("echo")
    assert "Content-Security-Policy" not in answer.headers
    assert "X-Content-Type-Options" not in answer.headers
    refused = await gateway.fetch("echo", headers={"Service-Worker": "script"})
    assert refused.headers["X-Content-Type-Options"] == "nosniff"  # the gateway's own


async def test_a_strip_prefix_app_gets_its_path_host_and_origin(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """Under the user's origin: the prefix stripped (and sent as X-Forwarded-Prefix),
    the Host of the image's label, and the Origin rewritten to that host once checked."""
    serving = Serving(strip_prefix=True, host="localhost:5006")
    gateway = await gateway_to(app.port, serving=serving)
    own = f"http://{gateway.url.split('/')[2]}"
    response = await gateway.fetch("echo?x=1", method="POST", body=b"{}", headers={"Origin": own})
    seen = json.loads(response.body)
    assert seen["uri"] == "/echo?x=1"
    headers = seen["headers"]
    assert headers["Host"] == "localhost:5006"
    assert headers["Origin"] == "http://localhost:5006"
    assert headers["X-Forwarded-Prefix"] == PREFIX.rstrip("/")
    assert headers["X-Forwarded-Host"] == own.removeprefix("http://")


async def test_with_host_browser_an_app_gets_the_browsers_host_and_origin(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    """As behind a plain reverse proxy, for apps that compare Origin with the host they
    are told (code-server takes X-Forwarded-Host): all three agree."""
    gateway = await gateway_to(app.port, serving=Serving(host=BROWSER_HOST))
    own = f"http://{gateway.url.split('/')[2]}"
    response = await gateway.fetch("echo", method="POST", body=b"{}", headers={"Origin": own})
    headers = json.loads(response.body)["headers"]
    assert headers["Origin"] == own
    assert headers["Host"] == headers["X-Forwarded-Host"] == own.removeprefix("http://")


async def test_on_its_own_origin_an_app_keeps_its_own_cookies_only(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port, own_origin=True)
    cookies = "app=1; jupyterhub-session-id=s; remoteappmanager-app=t; _xsrf=x; other=2"
    # Its own XSRF token too: no page of its origin can read the dashboard's.
    sent = {"Cookie": cookies, "X-XSRFToken": "x"}
    seen = json.loads((await gateway.fetch("echo", headers=sent)).body)
    assert seen["headers"]["Cookie"] == "app=1; _xsrf=x; other=2"
    assert seen["headers"]["X-Xsrftoken"] == "x"
    assert seen["uri"] == f"{PREFIX}echo"  # the path as the browser asked for it

    answer = await gateway.fetch("cookies")
    assert answer.headers.get_list("Set-Cookie") == ["mine=1; Path=/; HttpOnly", "wide=1; Path=/"]
    assert answer.headers["Service-Worker-Allowed"] == "/"  # its origin is its own


async def test_under_the_users_origin_an_app_sets_no_cookie(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    answer = await gateway.fetch("cookies")
    assert answer.code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Service-Worker-Allowed" not in answer.headers


async def test_the_apps_own_websocket_refusal_reaches_the_browser(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    upgrade = websocket_upgrade(f"http://{gateway.url.split('/')[2]}")
    response = await gateway.fetch("refuse", headers=upgrade)
    assert response.code == 403
    assert b"the application refused the websocket: 403 Origin not allowed" in response.body


async def test_bodies_and_streamed_responses_arrive_whole(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    body = bytes(range(256)) * 4096  # 1 MiB
    for method in ("POST", "PUT", "PATCH"):
        response = await gateway.fetch("echo", method=method, body=body, headers=BINARY)
        seen = json.loads(response.body)
        assert (seen["method"], seen["length"]) == (method, len(body))
        assert seen["sha256"] == hashlib.sha256(body).hexdigest()
    empty = json.loads((await gateway.fetch("echo", method="POST", body=b"", headers=BINARY)).body)
    assert empty["length"] == 0
    response = await gateway.fetch("stream?n=200")
    assert response.body == b"".join(chunk(i) for i in range(200))
    pieces: list[bytes] = []
    await gateway.fetch("stream?n=50", streaming_callback=pieces.append)
    assert b"".join(pieces) == b"".join(chunk(i) for i in range(50))
    # The three 1 MiB bodies were streamed, each on a connection of its own; the
    # rest shared one kept-alive connection.
    assert app.opened == 1 + 3


async def test_an_idle_connection_is_closed_after_idle_seconds(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port, UpstreamPool(idle_seconds=0.1))
    assert (await gateway.fetch("echo")).code == 200
    await wait_for(lambda: app.closed == 1, "idle connection closed")
    assert (await gateway.fetch("echo")).code == 200
    assert app.opened == 2


async def test_no_more_than_max_idle_connections_are_kept(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port, UpstreamPool(max_idle=2))
    responses = await asyncio.gather(*(gateway.fetch("together?n=5") for _ in range(5)))
    assert {response.code for response in responses} == {200}
    assert app.opened == 5
    await wait_for(lambda: app.open == 2, "connections beyond max_idle closed")
    gateway.pool.close_idle()  # a container changed
    await wait_for(lambda: app.open == 0, "idle connections closed")


async def test_an_idle_connection_the_app_closed_is_not_used(
    app: CountingServer, gateway_to: GatewayTo
) -> None:
    gateway = await gateway_to(app.port)
    assert (await gateway.fetch("echo")).code == 200
    await app.close_all_connections()
    # A POST is never sent twice: it succeeds only if the closed one was left alone.
    response = await gateway.fetch("echo", method="POST", body=b"x")
    assert response.code == 200
    assert app.opened == 2


async def test_a_request_on_a_connection_the_app_just_closed_is_sent_again_if_idempotent(
    gateway_to: GatewayTo,
) -> None:
    """The app closes a kept-alive connection as the next request arrives on it."""
    received: list[bytes] = []

    async def one_answer_per_connection(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        for answer in (True, False):
            request = await reader.readuntil(b"\r\n\r\n")
            received.append(request.split(b" ", 1)[0])
            if "Content-Length" in request.decode():
                await reader.readexactly(int(request.split(b"Content-Length: ")[1].split()[0]))
            if answer:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        writer.close()

    server, port = await serve(one_answer_per_connection)
    gateway = await gateway_to(port)
    assert (await gateway.fetch("x")).body == b"ok"
    assert (await gateway.fetch("x")).body == b"ok"  # sent again, on a new connection
    assert received == [b"GET", b"GET", b"GET"]
    received.clear()
    assert (await gateway.fetch("x", method="POST", body=b"once")).code == 502
    assert received == [b"POST"]  # never twice: the app may have acted on it
    server.close()


async def test_a_response_cut_short_reaches_the_client_cut_short(gateway_to: GatewayTo) -> None:
    async def half_a_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
        await writer.drain()
        writer.close()

    server, port = await serve(half_a_body)
    gateway = await gateway_to(port)
    with pytest.raises(HTTPClientError, match="Connection closed"):  # not a whole response
        await gateway.fetch("x")
    server.close()


@pytest.mark.parametrize("first", [False, True], ids=["before-headers", "mid-body"])
async def test_a_client_going_away_closes_the_apps_connection(
    app: CountingServer, gateway_to: GatewayTo, first: bool
) -> None:
    gateway = await gateway_to(app.port)
    host, port = gateway.url.split("/")[2].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET {PREFIX}hang?first={'1' if first else ''} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    await wait_for(lambda: app.opened == 1, "request at the app")
    if first:
        await reader.readuntil(b"first")
    writer.close()
    await wait_for(lambda: app.open == 0, "the app's connection closed")
    assert (await gateway.fetch("echo")).code == 200  # and not back in the pool
    assert app.opened == 2
