"""``api/v1/events``: what changes in the user's apps, as server-sent events.

One stream per open dashboard. Each event names what changed ("containers": started
or stopped; "deadline": a time limit draws near, is over or was extended; "culled":
the culler stopped an app) and the dashboard reads the new state from the API: the
stream says when, the API says what. A stream that falls behind is ended; the
browser's EventSource reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from tornado.iostream import StreamClosedError

from ...services.events import EventStream
from ..base import APIHandler

# A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS = 15.0


class EventsHandler(APIHandler):
    gone = False  # the client closed the connection

    async def get(self) -> None:
        self.require_owner()
        events: EventStream = self.settings["events"]
        self.set_header("Content-Type", "text/event-stream; charset=UTF-8")
        self.set_header("X-Accel-Buffering", "no")  # nginx: pass each event at once
        self.queue = queue = events.subscribe()
        try:
            # Says the stream is open: what came before it, the client reads itself.
            self.write("retry: 2000\nevent: ready\ndata: {}\n\n")
            await self.flush()
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    self.write(": keepalive\n\n")
                else:
                    if event is None or self.gone:
                        break  # fell behind (its browser reconnects), or went away
                    self.write(f"event: {event.kind}\ndata: {json.dumps(event.data)}\n\n")
                await self.flush()
        except StreamClosedError:
            pass  # the dashboard went away
        finally:
            events.unsubscribe(queue)
        with contextlib.suppress(StreamClosedError):
            self.finish()

    def on_connection_close(self) -> None:
        # Wakes the loop above at once, rather than at the next keepalive.
        self.gone = True
        queue = getattr(self, "queue", None)
        if queue is not None:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)


routes = [(r"events", EventsHandler)]
