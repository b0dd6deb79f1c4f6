"""What the owner's dashboard is told as it happens (``api/v1/events``, server-sent
events): starts and stops, warnings and culls, shares made and ended."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .running import Change

# Events kept for a slow reader; one that falls further behind is dropped, and its
# browser reconnects (EventSource does) and reads the state afresh.
BACKLOG = 100


@dataclass(frozen=True)
class Event:
    kind: str  # "containers", "deadline", "culled", "shares", "shared"
    data: dict[str, Any]


class EventStream:
    """One process's publisher; each open stream is a subscriber with its own queue."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[Event | None]] = set()

    def subscribe(self) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=BACKLOG)
        self._subscribers.add(queue)
        return queue

    @property
    def listening(self) -> bool:
        """Whether a dashboard reads the stream now."""
        return bool(self._subscribers)

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._subscribers.discard(queue)

    def publish(self, kind: str, **data: Any) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(Event(kind, data))
            except asyncio.QueueFull:
                self._subscribers.discard(queue)
                queue.get_nowait()  # room for the None that tells the reader it fell behind
                queue.put_nowait(None)

    def containers_changed(self, changes: list[Change]) -> None:
        """A `RunningApps` listener: each change is one "containers" event."""
        for url_id, before, now in changes:
            container = now or before
            assert container is not None
            self.publish(
                "containers",
                url_id=url_id,
                mapping_id=container.mapping_id,
                state=now.state if now else "stopped",
            )
