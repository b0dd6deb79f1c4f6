"""The audit log: every change to the site, who made it, and when.

Entries are written inside the transaction of the change they describe (see
`Administration` and `ContainerService`), and read by the admin API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import NAME_LENGTH, USER_AGENT_LENGTH, AuditEntry

# What an entry's action may be: kept in one place, so the log reads the same everywhere.
ACTIONS = frozenset(
    {
        "user.create",
        "user.remove",
        "application.create",
        "application.update",
        "application.remove",
        "grant.create",
        "grant.update",
        "grant.remove",
        "container.start",
        "container.stop",
        "container.cull",
        "container.extend",
        "share.create",
        "share.use",
        "share.revoke",
        "share.end",
    }
)


@dataclass(frozen=True)
class Requester:
    """How a change was asked for, beside who asked (the entry's actor)."""

    # "browser session", "token", "command line", "culler", or "service" (what the
    # user's service does by itself: a share that expired or whose app stopped)
    via: str
    credential_id: str | None = None  # the Hub's id of the session or the token
    client: str | None = None  # the client's address, as the proxy saw it
    user_agent: str | None = None


COMMAND_LINE = Requester(via="command line")
SERVICE = Requester(via="service")


class AuditLog:
    """Writes and reads the audit log, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        requester: Requester = COMMAND_LINE,
        **details: Any,
    ) -> None:
        assert action in ACTIONS, action
        self.session.add(
            AuditEntry(
                actor=actor[:NAME_LENGTH],
                action=action,
                target=target[:NAME_LENGTH],
                details=json.dumps(details, sort_keys=True) if details else None,
                via=requester.via,
                credential_id=(requester.credential_id or "")[:64] or None,
                client=(requester.client or "")[:64] or None,
                user_agent=(requester.user_agent or "")[:USER_AGENT_LENGTH] or None,
            )
        )

    def entries(self, offset: int, limit: int) -> tuple[Sequence[AuditEntry], int]:
        """A page of the log, newest first, and the number of entries in all."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
        total = self.session.scalar(select(func.count(AuditEntry.id))) or 0
        return self.session.scalars(query).all(), total

    def count_since(self, action: str, since: datetime, actor: str | None = None) -> int:
        query = select(func.count(AuditEntry.id)).where(
            AuditEntry.action == action, AuditEntry.at >= since
        )
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        return self.session.scalar(query) or 0
