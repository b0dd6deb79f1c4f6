"""Kept-alive HTTP/1.1 connections from the gateway to the apps.

A TCP connection opened and closed for every request costs the gateway about as much
as forwarding the request does, so each app keeps a few idle connections for the next
requests. A connection goes back to the pool only after a complete response that
allows another one on it; an error, or a client that goes away, closes it. Idle
connections close after a few seconds, and as soon as the app closes its end. The pool
knows nothing of users: every request is authorized on its own before it gets here.
"""

from __future__ import annotations

import functools
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from tornado import httputil
from tornado.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, StreamClosedError
from tornado.netutil import Resolver
from tornado.tcpclient import TCPClient
from tornado.util import TimeoutError as ConnectTimeout

# Safe to send again when the app closed the connection before answering.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Responses are streamed, never held whole: no size limit.
PARAMETERS = HTTP1ConnectionParameters(max_body_size=sys.maxsize)


class NumericResolver(Resolver):
    """Apps are at IP addresses (the engine's published ports): no name lookup, and
    none of the thread hops tornado's default resolver makes for one."""

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        found = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        return [(af, address) for af, _, _, _, address in found]


class Exchange(httputil.HTTPMessageDelegate):
    """One request to an app, and its response passed on as it comes.

    ``on_start`` gets the response's status line and headers, ``on_chunk`` each piece
    of its body. What ``on_chunk`` returns is awaited, so a slow client slows the
    reading; a `StreamClosedError` from it (the client went away) ends the exchange.
    """

    def __init__(
        self,
        request: httputil.RequestStartLine,
        headers: httputil.HTTPHeaders,
        body: bytes,
        on_start: Callable[[httputil.ResponseStartLine, httputil.HTTPHeaders], None],
        on_chunk: Callable[[bytes], Awaitable[None]],
    ) -> None:
        self.request, self.headers, self.body = request, headers, body
        self.on_start, self.on_chunk = on_start, on_chunk
        self.started = False  # on_start was called
        self.complete = False  # and the whole body was passed on
        self.keep_alive = False  # the app allows another request on the connection
        self.aborted = False
        self._connection: HTTP1Connection | None = None

    def abort(self) -> None:
        """Stop (the client went away): the connection is closed, never reused."""
        self.aborted = True
        if self._connection is not None:
            self._connection.close()

    def begin(self, stream: IOStream) -> None:
        """Send the request's headers on ``stream``; its body follows by `write`."""
        self._connection = HTTP1Connection(stream, is_client=True, params=PARAMETERS)
        self._connection.write_headers(self.request, self.headers)

    def write(self, chunk: bytes) -> Awaitable[None]:
        """A piece of the body of a `begin`-started request (awaited: a slow app
        slows the reading from the client)."""
        assert self._connection is not None
        return self._connection.write(chunk)

    async def end(self) -> None:
        """After `begin` and `write`: the body is complete; pass the response on."""
        connection = self._connection
        assert connection is not None
        connection.finish()
        await connection.read_response(self)
        if not self.complete:
            raise ConnectionError("malformed response from the app")

    async def run(self, stream: IOStream) -> None:
        """Send the request on ``stream`` and pass the response on.

        Raises `StreamClosedError` when the connection closed first, and
        `ConnectionError` when the response was malformed (tornado logged why).
        """
        if self.aborted:
            raise StreamClosedError()
        self._connection = connection = HTTP1Connection(stream, is_client=True, params=PARAMETERS)
        try:
            # Headers and body in one write: Nagle's algorithm would hold back a second.
            connection.write_headers(self.request, self.headers, self.body or None)
            connection.finish()
            await connection.read_response(self)
        finally:
            self._connection = None  # the stream is the pool's again: abort must not close it
        if not self.complete:
            raise ConnectionError("malformed response from the app")

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> None:
        assert isinstance(start_line, httputil.ResponseStartLine)
        if start_line.code < 200:
            return  # an interim answer: the real one follows
        tokens = {token.strip().lower() for token in headers.get("Connection", "").split(",")}
        if start_line.version == "HTTP/1.1":
            self.keep_alive = "close" not in tokens
        else:
            self.keep_alive = "keep-alive" in tokens
        self.started = True
        self.on_start(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None]:
        return self._pass_on(chunk)

    async def _pass_on(self, chunk: bytes) -> None:
        try:
            await self.on_chunk(chunk)
        except StreamClosedError:
            self.abort()  # not raised: tornado logs what a delegate raises as a bug

    def finish(self) -> None:
        self.complete = True


class UpstreamPool:
    """Idle connections to the apps, by address: a few each, closed when idle too long."""

    def __init__(
        self, max_idle: int = 8, idle_seconds: float = 4.0, connect_timeout: float = 20.0
    ) -> None:
        self.max_idle = max_idle
        # Shorter than the apps' own keep-alive timeouts (5 s in node and uvicorn), so
        # that we close first rather than send on a connection the app is closing.
        self.idle_seconds = idle_seconds
        self.connect_timeout = connect_timeout
        self._idle: dict[str, dict[IOStream, object]] = {}  # stream: its idle timeout
        self._tcp = TCPClient(NumericResolver())

    async def send(self, address: str, exchange: Exchange) -> None:
        """Run ``exchange`` with the app at ``address`` (``http://host:port``).

        Raises `OSError` (`StreamClosedError` among them) when no complete response came.
        """
        stream = self._take(address)
        if stream is not None:
            try:
                await self._run(address, stream, exchange)
                return
            except StreamClosedError:
                retry = exchange.request.method in IDEMPOTENT_METHODS
                if exchange.started or exchange.aborted or not retry:
                    raise
                # The app closed it as we sent, and likely the others too: once, afresh.
                self.close_idle(address)
        await self._run(address, await self._connect(address), exchange)

    async def send_streamed(
        self, address: str, exchange: Exchange, body: AsyncIterator[bytes]
    ) -> None:
        """Run ``exchange`` sending ``body`` as it comes, on a connection of its own
        (never reused, never retried: the body cannot be sent twice)."""
        stream = await self._connect(address)
        try:
            exchange.begin(stream)
            async for chunk in body:
                await exchange.write(chunk)
            await exchange.end()
        finally:
            stream.close()

    def close_idle(self, address: str | None = None) -> None:
        """Close the idle connections to ``address``, or to every app."""
        for key in [address] if address else list(self._idle):
            for stream in list(self._idle.get(key, {})):
                stream.close()  # its close callback forgets it

    async def _connect(self, address: str) -> IOStream:
        url = urlsplit(address)
        assert url.hostname is not None and url.port is not None
        try:
            return await self._tcp.connect(url.hostname, url.port, timeout=self.connect_timeout)
        except ConnectTimeout:
            raise TimeoutError(f"no connection to {address}") from None  # an OSError

    async def _run(self, address: str, stream: IOStream, exchange: Exchange) -> None:
        try:
            await exchange.run(stream)
        except BaseException:
            stream.close()
            raise
        if exchange.keep_alive and not stream.closed():
            self._keep(address, stream)
        else:
            stream.close()

    def _keep(self, address: str, stream: IOStream) -> None:
        idle = self._idle.setdefault(address, {})
        if len(idle) >= self.max_idle:
            stream.close()
            return
        idle[stream] = IOLoop.current().call_later(self.idle_seconds, stream.close)
        # With a close callback the stream listens, and so notices the app closing it.
        stream.set_close_callback(functools.partial(self._forget, address, stream))

    def _take(self, address: str) -> IOStream | None:
        idle = self._idle.get(address, {})
        while idle:
            stream, timeout = idle.popitem()  # the latest: the others may expire
            IOLoop.current().remove_timeout(timeout)
            stream.set_close_callback(None)
            if not stream.closed():
                return stream
        self._idle.pop(address, None)
        return None

    def _forget(self, address: str, stream: IOStream) -> None:
        idle = self._idle.get(address, {})
        timeout = idle.pop(stream, None)
        if timeout is not None:
            IOLoop.current().remove_timeout(timeout)
        if not idle:
            self._idle.pop(address, None)
