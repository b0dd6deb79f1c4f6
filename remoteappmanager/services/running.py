"""The owner's containers, kept current from the engine's event stream.

The culler, the sharing and the live event stream all need to know what the owner
runs, and when that changes; asking the engine once per change, for all of them,
keeps the engine out of their timers. Only a change to one of the owner's containers
makes it ask (`ContainerIndex.on_change_of`): with many users on one engine, another
user's start costs this service nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..docker.container import Container
from ..errors import RemoteAppError
from .container_index import ContainerIndex

# (url_id, the container before, the container now); None for "not there".
Change = tuple[str, Container | None, Container | None]
Listener = Callable[[list[Change]], Any]


class RunningApps:
    """The owner's containers by url_id; listeners hear of every change."""

    def __init__(self, index: ContainerIndex, owner: str) -> None:
        self.index = index
        self.owner = owner
        self.log = index.log
        self._containers: dict[str, Container] = {}
        self._loaded = False
        self._listeners: list[Listener] = []
        self._refreshing: asyncio.Task[None] | None = None
        self._again = False
        index.on_change_of(owner, self._changed)

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def current(self) -> dict[str, Container]:
        if not self._loaded:
            await self.refresh()
        return dict(self._containers)

    def _changed(self) -> None:
        # Events come in bursts (create, start, die, destroy): one look at a time.
        if self._refreshing is not None:
            self._again = True
            return
        self._refreshing = asyncio.ensure_future(self._refresh_while_changing())

    async def _refresh_while_changing(self) -> None:
        try:
            self._again = True
            while self._again:
                self._again = False
                await self.refresh()
        finally:
            self._refreshing = None

    async def refresh(self) -> None:
        try:
            found = await self.index.list_for_user(self.owner)
        except RemoteAppError as error:
            self.log.warning("cannot list the apps of %s: %s", self.owner, error.log_message)
            return
        now = {c.url_id: c for c in found}
        before, self._containers, self._loaded = self._containers, now, True
        changes: list[Change] = [
            (url_id, before.get(url_id), now.get(url_id))
            for url_id in sorted(set(before) | set(now))
            if before.get(url_id) != now.get(url_id)
        ]
        if not changes:
            return
        for listener in self._listeners:
            try:
                outcome = listener(changes)
                if asyncio.iscoroutine(outcome):
                    await outcome
            except Exception:
                self.log.exception("a listener of the running apps failed")
