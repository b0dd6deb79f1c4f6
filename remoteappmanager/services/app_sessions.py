"""Sessions of the apps that live on their own origins.

An app on its own origin (``http://<url_id>.<user host>/``) never sees the Hub's
cookies or the dashboard's, so the browser needs a credential of its own there. The
owner's service, where the Hub's login already holds, hands out a *ticket*: random,
single-use, valid for a few seconds, for one url_id. The browser brings it to the app
origin, where the same service exchanges it for an *app session*: a random id in an
``HttpOnly`` host-only cookie, valid for that url_id alone.

Both live only in this process's memory: nothing is signed, so there is no key to
keep or leak, and a restart of the service just sends the browser through the
dashboard for a new ticket. A session remembers the Hub token of the login that made
it and asks the Hub now and then whether the token still holds: logging out of the
Hub deletes the token, and so ends the app sessions within ``recheck_seconds``.

A *viewer's* session (sharing, services/sharing.py) is made from a ticket the
viewer's own service wrote in the database; it holds the share instead of a Hub
token, and lasts while the share does (the gateway asks the sharing at each request).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from traitlets import Float, Int
from traitlets.config import LoggingConfigurable

# Asks the Hub who holds a token: the user's name, or None when the token is gone.
TokenCheck = Callable[[str], Awaitable[str | None]]
# Where an app's origin takes a ticket (handlers/gateway.py serves it).
ENTER_PATH = "/_remoteappmanager/enter"


@dataclass
class AppSession:
    """One browser's right to one app: who, which app, and the Hub login behind it
    (the owner's) or the share (a viewer's)."""

    user: str
    url_id: str
    hub_token: str
    checked_at: float
    created_at: float = field(default_factory=time.monotonic)
    share_id: str | None = None
    permission: str = "control"  # or "view"


@dataclass(frozen=True)
class Ticket:
    user: str
    url_id: str
    hub_token: str
    expires_at: float


class AppSessions(LoggingConfigurable):
    """Tickets and sessions of the apps on their own origins (in memory)."""

    ticket_seconds = Float(
        30.0, help="Seconds a ticket (dashboard to app origin) may take to be used."
    ).tag(config=True)

    recheck_seconds = Float(
        30.0,
        help="""Seconds between two checks with the Hub that the login behind an app
        session still holds (a logout ends the session within this time).""",
    ).tag(config=True)

    max_session_hours = Float(
        24.0, help="Hours after which an app session ends, whatever happens."
    ).tag(config=True)

    max_sessions = Int(
        1000, help="App sessions kept at most; the oldest end first beyond that."
    ).tag(config=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._tickets: dict[str, Ticket] = {}
        self._sessions: dict[str, AppSession] = {}

    def issue_ticket(self, user: str, url_id: str, hub_token: str) -> str:
        """A single-use ticket for ``user`` to open ``url_id``."""
        now = time.monotonic()
        self._tickets = {k: t for k, t in self._tickets.items() if t.expires_at > now}
        ticket = secrets.token_urlsafe(32)
        self._tickets[ticket] = Ticket(user, url_id, hub_token, now + self.ticket_seconds)
        return ticket

    def redeem(self, ticket: str, url_id: str) -> str | None:
        """The id of a new session for the ticket's holder, or None for a ticket that
        is unknown, used already, expired, or made for another app."""
        found = self._tickets.pop(ticket, None)
        if found is None or found.url_id != url_id or found.expires_at < time.monotonic():
            return None
        return self._add(
            AppSession(found.user, found.url_id, found.hub_token, checked_at=time.monotonic())
        )

    def open_for_viewer(self, user: str, url_id: str, share_id: str, permission: str) -> str:
        """The id of a new session of a share's viewer (their ticket was checked)."""
        return self._add(
            AppSession(user, url_id, "", time.monotonic(), share_id=share_id, permission=permission)
        )

    def _add(self, session: AppSession) -> str:
        while len(self._sessions) >= self.max_sessions:
            del self._sessions[next(iter(self._sessions))]  # the oldest (insertion order)
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = session
        return session_id

    async def session_of(
        self, session_id: str, url_id: str, check: TokenCheck
    ) -> AppSession | None:
        """The session ``session_id`` for ``url_id``; None if there is none.

        A session made for another url_id opens nothing here. Every
        ``recheck_seconds`` the Hub is asked (``check``) whether the owner's login
        behind a session still holds; a session whose login has ended is dropped.
        A viewer's session holds no login: the share says whether it lasts.
        """
        session = self._sessions.get(session_id)
        if session is None or session.url_id != url_id:
            return None
        now = time.monotonic()
        if now - session.created_at > self.max_session_hours * 3600:
            self._sessions.pop(session_id, None)
            return None
        if session.share_id is None and now - session.checked_at >= self.recheck_seconds:
            if await check(session.hub_token) != session.user:
                self.log.info("the Hub login behind an app session of %s ended", session.user)
                self._sessions.pop(session_id, None)
                return None
            session.checked_at = now
        return session

    def end(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def end_share(self, share_id: str) -> None:
        """A share ended: so do its viewers' sessions."""
        for session_id, session in list(self._sessions.items()):
            if session.share_id == share_id:
                del self._sessions[session_id]

    def end_all(self) -> None:
        """The owner logs out: their app sessions and unused tickets end now (a
        viewer's ends with the share)."""
        self._sessions = {k: s for k, s in self._sessions.items() if s.share_id is not None}
        self._tickets.clear()

    def end_for_apps(self, running: set[str]) -> None:
        """End the sessions of the apps that no longer run (not in ``running``)."""
        for session_id, session in list(self._sessions.items()):
            if session.url_id not in running:
                del self._sessions[session_id]
