"""Frozen views of the database's rows, for everything above the services.

A view is read inside a transaction and lives on after it: handlers, the command
lines and the serializers never hold an ORM row, so nothing is loaded lazily once
the transaction is over, and no transaction stays open while the engine is asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..db import models
from ..docker.container import Container
from ..docker.image import ImageInfo
from .policy import GrantPolicy

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """Part of a list: ``items`` from ``offset``, at most ``limit``, of ``total``."""

    items: list[T]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class UserView:
    name: str
    created_at: datetime
    grant_count: int

    @classmethod
    def of(cls, user: models.User, grant_count: int) -> UserView:
        return cls(name=user.name, created_at=user.created_at, grant_count=grant_count)


@dataclass(frozen=True)
class ApplicationView:
    id: int
    image: str
    display_name: str | None
    description: str | None
    created_at: datetime
    grant_count: int

    @classmethod
    def of(cls, application: models.Application, grant_count: int) -> ApplicationView:
        return cls(
            id=application.id,
            image=application.image,
            display_name=application.display_name,
            description=application.description,
            created_at=application.created_at,
            grant_count=grant_count,
        )


@dataclass(frozen=True)
class GrantView:
    """A grant with what a start, a list or a page needs of its user and application."""

    mapping_id: str
    user: str
    user_id: int  # the user's row: what their apps' uid derives from
    application_id: int
    image: str
    display_name: str | None
    description: str | None
    policy: GrantPolicy
    created_at: datetime

    @classmethod
    def of(cls, grant: models.Grant) -> GrantView:
        return cls(
            mapping_id=grant.mapping_id,
            user=grant.user.name,
            user_id=grant.user.id,
            application_id=grant.application_id,
            image=grant.application.image,
            display_name=grant.application.display_name,
            description=grant.application.description,
            # Checked again here: the row may predate today's rules.
            policy=GrantPolicy.from_model(grant.policy),
            created_at=grant.created_at,
        )


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any] | None
    via: str | None
    credential_id: str | None
    client: str | None
    user_agent: str | None

    @classmethod
    def of(cls, entry: models.AuditEntry) -> AuditRecord:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            details=json.loads(entry.details) if entry.details else None,
            via=entry.via,
            credential_id=entry.credential_id,
            client=entry.client,
            user_agent=entry.user_agent,
        )


# -- what the admin pages show: rows joined with what the engine says --


@dataclass(frozen=True)
class GrantState:
    grant: GrantView
    container: Container | None  # the one running under it, if any


@dataclass(frozen=True)
class UserState:
    user: UserView
    running_count: int


@dataclass(frozen=True)
class UserDetail:
    user: UserView
    running_count: int
    grants: list[GrantState]
    containers: list[Container]


@dataclass(frozen=True)
class ApplicationState:
    application: ApplicationView
    image: ImageInfo  # what its image says, with the display override applied


@dataclass(frozen=True)
class EngineImage:
    image: ImageInfo
    registered: bool  # an application of it exists


@dataclass(frozen=True)
class SiteStats:
    users: int
    active_users: int
    applications: int
    grants: int
    running_containers: int
    starts_last_day: int
