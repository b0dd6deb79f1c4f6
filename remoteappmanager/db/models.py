"""The app database: who may run which application, with which policy.

The database is the truth about grants; what actually runs is found from the
labels of the containers (see ``remoteappmanager.docker``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints let alembic alter them later, SQLite included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME_LENGTH = 255
PATH_LENGTH = 4096
USER_AGENT_LENGTH = 255


def utc_now() -> datetime:
    """Times are stored as naive UTC: SQLite keeps no time zone."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def utc_iso(moment: datetime) -> str:
    """A stored time in ISO 8601, saying that it is UTC (as the API and the CLIs write it)."""
    return moment.replace(tzinfo=timezone.utc).isoformat()


def new_mapping_id() -> str:
    """A random, unguessable id for a grant (128 bits, hex)."""
    return secrets.token_hex(16)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """A person known to JupyterHub, by the Hub's user name."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utc_now, server_default=func.now()
    )

    grants: Mapped[list[Grant]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<User {self.name!r}>"


class Application(Base):
    """A Docker image that may be granted.

    ``display_name`` and ``description`` override what the image's labels say,
    for images that carry no labels.
    """

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    image: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utc_now, server_default=func.now()
    )

    grants: Mapped[list[Grant]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Application {self.image!r}>"


class Policy(Base):
    """What a grant allows: the workspace, one extra volume, a licence, options."""

    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint("volume_mode IS NULL OR volume_mode IN ('ro', 'rw')", name="volume_mode"),
        CheckConstraint(
            "(volume_source IS NULL) = (volume_target IS NULL)"
            " AND (volume_source IS NULL) = (volume_mode IS NULL)",
            name="volume_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    allow_home: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_view: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_startup_data: Mapped[bool] = mapped_column(Boolean, default=False)
    volume_source: Mapped[str | None] = mapped_column(String(PATH_LENGTH))
    volume_target: Mapped[str | None] = mapped_column(String(PATH_LENGTH))
    volume_mode: Mapped[str | None] = mapped_column(String(2))
    app_license: Mapped[str | None] = mapped_column(Text)
    # Seconds; None: the site's default (c.Culler), 0: no limit.
    idle_timeout: Mapped[int | None] = mapped_column(Integer)
    max_lifetime: Mapped[int | None] = mapped_column(Integer)

    grant: Mapped[Grant] = relationship(back_populates="policy")


class Grant(Base):
    """``user`` may run ``application`` under ``policy`` (simphony-remote's
    "accounting").

    ``mapping_id`` names the grant in URLs and container labels; it is random so
    that knowing one grant tells nothing about another.
    """

    __tablename__ = "grants"

    mapping_id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_mapping_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime, default=utc_now, server_default=func.now()
    )

    user: Mapped[User] = relationship(back_populates="grants")
    application: Mapped[Application] = relationship(back_populates="grants")
    # The policy belongs to this grant alone and goes with it.
    policy: Mapped[Policy] = relationship(
        back_populates="grant", cascade="all, delete-orphan", single_parent=True
    )

    def __repr__(self) -> str:
        return f"<Grant {self.mapping_id} {self.user.name!r} -> {self.application.image!r}>"


class AppRun(Base):
    """What the culler must remember of a running app beyond its labels: when it was
    last used and how much it was extended, so deadlines survive a restart of the
    user's service. Made on the first use or extension; the container's labels say
    its limits."""

    __tablename__ = "app_runs"

    url_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    last_active_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    extended_seconds: Mapped[int] = mapped_column(Integer, default=0)


def new_share_id() -> str:
    return secrets.token_hex(16)


class Share(Base):
    """The owner of a running app lets someone open it: a Hub user (``kind`` "user"),
    the members of a Hub group ("group"), or whoever brings a link ("link", whose
    random code is kept as a digest only), to watch it or to use it (``permission``
    "view" or "control"), until ``expires_at``. A user who opens a link gets a share
    of their own, ``via`` the link's, which ends with it."""

    __tablename__ = "shares"
    __table_args__ = (
        CheckConstraint("kind IN ('user', 'group', 'link')", name="kind"),
        CheckConstraint("permission IN ('view', 'control')", name="permission"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_share_id)
    url_id: Mapped[str] = mapped_column(String(32), index=True)
    # Taking the grant away ends what it allowed to share.
    mapping_id: Mapped[str] = mapped_column(
        ForeignKey("grants.mapping_id", ondelete="CASCADE"), index=True
    )
    owner: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), index=True)
    permission: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    via: Mapped[str | None] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ShareTicket(Base):
    """A viewer's single-use pass from their own service to the app's origin, served
    by the owner's: the two services meet only in the database. Kept as a digest."""

    __tablename__ = "share_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    share_id: Mapped[str] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), index=True)
    user_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """One change to the site: who did what, to what, and when.

    Written in the transaction of the change itself, so the log holds every change
    that happened and nothing that did not.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime, default=utc_now, server_default=func.now(), index=True
    )
    actor: Mapped[str] = mapped_column(String(NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(NAME_LENGTH))
    details: Mapped[str | None] = mapped_column(Text)  # JSON
    # How it was asked for (services/audit.py `Requester`); none before revision 0004.
    via: Mapped[str | None] = mapped_column(String(32))
    credential_id: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))

    def __repr__(self) -> str:
        return f"<AuditEntry {self.at} {self.actor!r} {self.action} {self.target!r}>"
