"""Which application containers exist: found by their labels, within one realm.

The Docker engine is the truth about what runs. The index asks it, and keeps the
gateway's routes in memory only while the engine's event stream says nothing
changed, so a route never outlives its container. The user API, the admin API, the
gateway and the router (which has no database) all read containers through it.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from traitlets import Instance, Int, Unicode, default
from traitlets.config import LoggingConfigurable

from ..docker import DockerClient
from ..docker.container import MAPPING_ID_LABEL, REALM_LABEL, URL_ID_LABEL, USER_LABEL, Container
from ..errors import Unavailable

DEFAULT_REALM = "remoteappmanager"
DEFAULT_CONTAINER_PORT = 8888


class ContainerIndex(LoggingConfigurable):
    """The containers of this site's realm, and where the gateway sends each url_id."""

    docker = Instance(DockerClient)

    realm = Unicode(
        help="""Label value that marks the containers of this site. Containers of another
        realm on the same engine are never listed, stopped or routed. Default:
        'remoteappmanager', or c.ContainerService.realm, its former name.""",
    ).tag(config=True)

    container_port = Int(
        help="""The port applications listen on, unless their image's `port` label says.
        Default: 8888, or c.ContainerService.container_port, its former name.""",
    ).tag(config=True)

    @default("realm")
    def _realm_default(self) -> str:
        return str(self._former_setting("realm", DEFAULT_REALM))

    @default("container_port")
    def _container_port_default(self) -> int:
        return int(self._former_setting("container_port", DEFAULT_CONTAINER_PORT))

    def _former_setting(self, name: str, fallback: Any) -> Any:
        # Sites configured these on ContainerService before the index was its own
        # class; a realm silently back at its default would mix two sites' apps.
        former = self.config.get("ContainerService", {})
        if name not in former:
            return fallback
        self.log.warning(
            "c.ContainerService.%s is now c.ContainerIndex.%s: please rename it", name, name
        )
        return former[name]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Where the gateway sends each url_id; trusted only while the engine's event
        # stream is open, and emptied at every event, so it never outlives a change.
        self._routes: dict[tuple[str, str], Container] = {}
        self._generation = 0  # counts the times the routes were forgotten
        self._watching = False
        self._watcher: threading.Thread | None = None
        self._listeners: list[Callable[[], None]] = []
        self._user_listeners: list[tuple[str, Callable[[], None]]] = []

    async def list_all(self) -> list[Container]:
        return await self._find({})

    async def list_for_user(self, user: str) -> list[Container]:
        return await self._find({USER_LABEL: user})

    async def list_by_grant(self, mapping_id: str, user: str | None = None) -> list[Container]:
        labels = {MAPPING_ID_LABEL: mapping_id}
        if user is not None:
            labels[USER_LABEL] = user
        return await self._find(labels)

    async def list_by_grant_in_every_realm(self, mapping_id: str) -> list[Container]:
        """A grant's containers in any realm: mapping ids are random and unique to
        their grant, and a revoked grant must not keep running anywhere."""
        summaries = await self.docker.list_containers({MAPPING_ID_LABEL: mapping_id})
        return [Container.from_summary(s, self.container_port) for s in summaries]

    async def find(self, url_id: str, user: str | None = None) -> Container | None:
        """The container ``url_id`` (of ``user``, if given), None if there is none."""
        labels = {URL_ID_LABEL: url_id}
        if user is not None:
            labels[USER_LABEL] = user
        found = await self._find(labels)
        return found[0] if found else None

    async def route(self, url_id: str, user: str) -> Container | None:
        """The user's running container ``url_id``, for the gateway's every request.

        Answers from memory while the engine's event stream says nothing changed, and
        asks the engine otherwise: no Docker call per request in the steady state.
        """
        self._watch()
        key = (url_id, user)
        container = self._routes.get(key) if self._watching else None
        if container is None:
            generation = self._generation
            container = await self.find(url_id, user=user)
            # Keep it only if no event came while we asked: it may be stale already.
            fresh = generation == self._generation and self._watching
            if container is not None and container.running and fresh:
                self._routes[key] = container
        return container

    def forget_routes(self, user: str | None = None) -> None:
        """Drop every remembered route, e.g. at once when a container is stopped,
        rather than when the engine's event arrives. ``user``: whose container
        changed, when the event says (None: anyone's may have)."""
        self._generation += 1
        self._routes.clear()
        for listener in self._listeners:
            listener()
        for owner, listener in self._user_listeners:
            if user is None or user == owner:
                listener()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the event loop) whenever a container of the realm
        changes, and whenever the engine's event stream opens or closes."""
        self._listeners.append(listener)
        self._watch()

    def on_change_of(self, user: str, listener: Callable[[], None]) -> None:
        """The same, for a change to one of ``user``'s containers only: with many
        users on one engine, each service hears of its owner's alone."""
        self._user_listeners.append((user, listener))
        self._watch()

    def _watch(self) -> None:
        if self._watcher is not None:
            return
        loop = asyncio.get_running_loop()

        def on_loop(callback: Callable[[], None]) -> None:
            with suppress(RuntimeError):  # the loop has closed: nobody to tell
                loop.call_soon_threadsafe(callback)

        def forget(event: dict[str, Any]) -> None:
            attributes = (event.get("Actor") or {}).get("Attributes") or {}
            on_loop(functools.partial(self.forget_routes, attributes.get(USER_LABEL)))

        def connected() -> None:
            def trust() -> None:
                self.forget_routes()  # learnt before the stream opened
                self._watching = True

            on_loop(trust)

        def follow() -> None:
            delay = 0.5
            while not loop.is_closed():
                try:
                    self.docker.watch_events({REALM_LABEL: self.realm}, connected, forget)
                    delay = 0.5
                except Unavailable as exc:
                    self.log.debug("no Docker events: %s", exc.log_message)
                on_loop(self._stop_trusting)
                time.sleep(delay)
                delay = min(delay * 2, 10)

        self._watcher = threading.Thread(target=follow, name="docker-events", daemon=True)
        self._watcher.start()

    def _stop_trusting(self) -> None:
        self._watching = False
        self.forget_routes()

    async def _find(self, labels: dict[str, str]) -> list[Container]:
        summaries = await self.docker.list_containers({REALM_LABEL: self.realm, **labels})
        return [Container.from_summary(summary, self.container_port) for summary in summaries]
