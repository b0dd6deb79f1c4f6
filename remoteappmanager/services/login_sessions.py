"""How long ago the owner logged in to the Hub, as near as their service can tell.

The Hub says which of its login sessions a request's token belongs to (the
``session_id`` of its user model), not when that session began. A session id is new
at each login after a logout, so the service notes when it first sees each one: the
dashboard is where the Hub sends the user after logging in, so that is close to the
login itself. Kept in memory: after a restart of the service, a session counts from
the first request the new process sees.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

KEPT_SESSIONS = 64  # one user's browsers: a few; the oldest are forgotten first


class LoginSessions:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._first_seen: OrderedDict[str, float] = OrderedDict()

    def seen(self, session_id: str) -> None:
        """Note a request of ``session_id``; the first one starts its clock."""
        if session_id not in self._first_seen:
            self._first_seen[session_id] = self._clock()
            while len(self._first_seen) > KEPT_SESSIONS:
                self._first_seen.popitem(last=False)

    def age(self, session_id: str) -> float:
        """Seconds since ``session_id`` was first seen (0 for one never seen)."""
        self.seen(session_id)
        return self._clock() - self._first_seen[session_id]
