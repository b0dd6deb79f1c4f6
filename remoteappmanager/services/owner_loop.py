"""What follows the owner's running apps in a loop of its own, beside the requests:
the culler and the sharing. Both are made from the same parts (the apps, the
dashboard's events, the database, the launcher) and start and stop with the service.
"""

from __future__ import annotations

import asyncio
from typing import Any

from traitlets import Instance
from traitlets.config import LoggingConfigurable

from ..db import Database
from .containers import ContainerService
from .events import EventStream
from .running import RunningApps


class OwnerLoop(LoggingConfigurable):
    database = Instance(Database)
    containers = Instance(ContainerService)

    def __init__(
        self, running: RunningApps, events: EventStream, owner: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.running = running
        self.events = events
        self.owner = owner
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._loop())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        raise NotImplementedError
