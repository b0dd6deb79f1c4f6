"""Sharing a running app: its owner lets a Hub user, a Hub group, or whoever brings a
link, open it, to watch (``view``) or to use it (``control``), until the share expires,
is revoked, or the app stops.

Only apps on their own origins can be shared: the viewer gets an app session there,
as the owner does, and never any right on the owner's server. The owner's and the
viewer's services meet in the app database, the one thing they share:

1. the owner's service writes the share (``shares``);
2. the viewer's service finds it ("shared with me"), checks that it names the viewer
   (or a group the Hub puts them in), and writes a single-use ticket for it
   (``share_tickets``, kept hashed, valid for a minute);
3. the browser brings the ticket to the app's origin, served by the owner's service,
   which exchanges it for an app session of the viewer, bound to the share.

A link is a random code (kept hashed): the first time a logged-in Hub user opens it,
their service gives them a share of their own, of kind "user", made ``via`` the link;
opening it again reuses that share.

The owner's service keeps its shares in memory, read anew every ``refresh_interval``
while there are any: every request of a viewer is checked against them, and the
websockets of a share that ended are closed. While the viewer's dashboard listens to
its event stream, the viewer's service looks as often for shares made for them, and
tells the dashboard ("shared").
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from traitlets import Float, Int

from ..db.models import NAME_LENGTH, Grant, Share, ShareTicket, utc_now
from ..docker.container import Container
from ..docker.image import ImageInfo
from ..errors import InvalidInput, NotAllowed, NotFound
from .app_sessions import ENTER_PATH
from .audit import SERVICE, AuditLog, Requester
from .catalogue import check_user_name
from .events import EventStream
from .owner_loop import OwnerLoop
from .policy import GrantPolicy
from .running import Change, RunningApps
from .views import Page

PERMISSIONS = ("view", "control")
KINDS = ("user", "group", "link")
TICKET_SECONDS = 60
MIN_EXPIRY = 5
GROUP_NAME = re.compile(r"[^\s/][^/]{0,254}")


def digest(secret: str) -> str:
    """How codes and tickets are kept: a usable one is never stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ShareView:
    id: str
    url_id: str
    mapping_id: str
    owner: str
    kind: str
    name: str | None
    permission: str
    via: str | None
    created_at: datetime  # naive UTC, as the database keeps times
    expires_at: datetime

    @classmethod
    def of(cls, share: Share) -> ShareView:
        return cls(
            id=share.id,
            url_id=share.url_id,
            mapping_id=share.mapping_id,
            owner=share.owner,
            kind=share.kind,
            name=share.name,
            permission=share.permission,
            via=share.via,
            created_at=share.created_at,
            expires_at=share.expires_at,
        )

    def names(self, user: str, groups: Iterable[str]) -> bool:
        """Whether this share is for ``user`` (in ``groups``)."""
        if self.kind == "user":
            return self.name == user
        return self.kind == "group" and self.name in set(groups)


@dataclass(frozen=True)
class SharedApp:
    """A share for the viewer, with what their dashboard shows of the app."""

    share: ShareView
    image: ImageInfo


def permissions_of(image: ImageInfo) -> list[str]:
    """What an app may be shared for: ``view`` needs a way to enforce it, the
    gateway's for noVNC desktops, or the image's own (label ``view-only=true``)."""
    return list(PERMISSIONS) if image.type == "vncapp" or image.view_only else ["control"]


class Sharing(OwnerLoop):
    """The shares of the owner's apps, and those others made for the owner."""

    default_expiry = Int(
        24 * 3600, min=MIN_EXPIRY, help="Seconds a share lasts when its owner does not say."
    ).tag(config=True)

    max_expiry = Int(
        7 * 24 * 3600, min=MIN_EXPIRY, help="Seconds a share may last at the most."
    ).tag(config=True)

    refresh_interval = Float(
        2.0,
        min=0.1,
        help="""Seconds between two reads of the owner's shares while there are any:
        a share revoked elsewhere (by an administrator) or expired ends within this
        time, its viewers' websockets closed. As often, while the user's dashboard
        is open, the service looks for shares made for the user.""",
    ).tag(config=True)

    def __init__(
        self, running: RunningApps, events: EventStream, owner: str, **kwargs: Any
    ) -> None:
        super().__init__(running, events, owner, **kwargs)
        self._active: dict[str, ShareView] = {}  # the owner's shares, by id
        self._watchers: dict[str, set[Callable[[], None]]] = {}  # share id: closers
        self._on_end: list[Callable[[str], None]] = []
        self._groups: frozenset[str] = frozenset()  # the owner's, as the Hub last said
        self._shared_with_me: frozenset[tuple[str, datetime]] | None = None
        running.on_change(self._apps_changed)

    @property
    def available(self) -> bool:
        return bool(self.containers.app_origin)

    def permissions(self, policy: GrantPolicy, image: ImageInfo) -> list[str]:
        """What the owner may share an app of this grant for: nothing unless the
        grant allows sharing and the site puts apps on their own origins."""
        return permissions_of(image) if self.available and policy.allow_view else []

    def check_available(self) -> None:
        if not self.available:
            raise NotAllowed(
                "sharing needs each app on its own origin, which this site does not "
                "have (c.ContainerService.app_origin): ask your administrator"
            )

    # -- the owner's side --

    async def create(
        self,
        url_id: str,
        kind: Any,
        name: Any,
        permission: Any,
        expires_in: Any,
        requester: Requester,
    ) -> tuple[ShareView, str | None]:
        """Share the owner's running app; returns the share and, for a link, its
        code (shown once: only its digest is kept)."""
        self.check_available()
        container = (await self.running.current()).get(url_id)
        if container is None or not container.running:
            raise NotFound(f"there is no running application {url_id!r}")
        grant, image = await self._grant_and_image(container)
        if not grant.allow_view:
            raise NotAllowed("your grant of this application does not allow sharing it")
        if kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)}")
        name = self._check_name(kind, name)
        if permission not in PERMISSIONS:
            raise InvalidInput(f"permission must be one of {', '.join(PERMISSIONS)}")
        allowed = permissions_of(image)
        if permission not in allowed:
            raise InvalidInput(
                f"{image.title} can be shared for {' or '.join(allowed)} only"
                + ("" if "view" in allowed else ": the image cannot enforce view-only")
            )
        seconds = self._check_expiry(expires_in)
        code = secrets.token_urlsafe(24) if kind == "link" else None
        with self.database.transaction() as session:
            share = Share(
                url_id=url_id,
                mapping_id=container.mapping_id,
                owner=self.owner,
                kind=kind,
                name=name,
                permission=permission,
                code_hash=digest(code) if code else None,
                expires_at=utc_now() + timedelta(seconds=seconds),
            )
            session.add(share)
            session.flush()
            view = ShareView.of(share)
            AuditLog(session).record(
                self.owner,
                "share.create",
                url_id,
                requester=requester,
                share=view.id,
                kind=kind,
                name=name,
                permission=permission,
                expires_at=view.expires_at.isoformat(),
            )
        self._active[view.id] = view
        self.events.publish("shares", url_id=url_id)
        return view, code

    def _check_name(self, kind: str, name: Any) -> str | None:
        if kind == "link":
            if name not in (None, ""):
                raise InvalidInput("a link names nobody: leave name out")
            return None
        if not isinstance(name, str):
            raise InvalidInput(f"name must be the name of the Hub {kind} to share with")
        if kind == "user":
            check_user_name(name)
            if name == self.owner:
                raise InvalidInput("you cannot share an application with yourself")
        elif not GROUP_NAME.fullmatch(name) or len(name) > NAME_LENGTH:
            raise InvalidInput(f"{name!r} is not a group name")
        return name

    def _check_expiry(self, expires_in: Any) -> int:
        if expires_in is None:
            return min(self.default_expiry, self.max_expiry)
        if isinstance(expires_in, bool) or not isinstance(expires_in, int):
            raise InvalidInput("expires_in must be a whole number of seconds")
        if not MIN_EXPIRY <= expires_in <= self.max_expiry:
            raise InvalidInput(
                f"expires_in must be between {MIN_EXPIRY} and {self.max_expiry} seconds, "
                f"not {expires_in}"
            )
        return expires_in

    async def _grant_and_image(self, container: Container) -> tuple[GrantPolicy, ImageInfo]:
        with self.database.transaction(readonly=True) as session:
            grant = session.get(Grant, container.mapping_id)
            if grant is None:
                raise NotFound(f"there is no running application {container.url_id!r}")
            policy = GrantPolicy.from_model(grant.policy)
            image_name = grant.application.image
            overrides = (grant.application.display_name, grant.application.description)
        [image] = await self.containers.images.named([image_name])
        return policy, image.with_overrides(*overrides)

    def owned(self, url_id: str | None = None) -> list[ShareView]:
        """The owner's shares (of one app), newest first."""
        with self.database.transaction(readonly=True) as session:
            query = select(Share).where(Share.owner == self.owner, Share.expires_at > utc_now())
            if url_id is not None:
                query = query.where(Share.url_id == url_id)
            shares = session.scalars(query.order_by(Share.created_at.desc())).all()
            return [ShareView.of(share) for share in shares]

    def revoke(
        self, share_id: str, actor: str, requester: Requester, admin: bool = False
    ) -> ShareView:
        """End a share now: one of the owner's, or (``admin``) anyone's."""
        with self.database.transaction() as session:
            share = session.get(Share, share_id)
            if share is None or (not admin and share.owner != self.owner):
                raise NotFound(f"there is no share {share_id!r}")
            view = ShareView.of(share)
            # A link's users got shares of their own: the link's end is theirs too
            # (the database's cascade).
            session.execute(delete(Share).where(Share.id == share_id))
            AuditLog(session).record(
                actor,
                "share.revoke",
                view.url_id,
                requester=requester,
                share=view.id,
                owner=view.owner,
                kind=view.kind,
                name=view.name,
            )
        if view.owner == self.owner:
            self._forget([view.id, *(s.id for s in self._active.values() if s.via == view.id)])
            self.events.publish("shares", url_id=view.url_id)
        return view

    def page(self, offset: int, limit: int) -> Page[ShareView]:
        """Every share of the site that has not expired, newest first (admins)."""
        with self.database.transaction(readonly=True) as session:
            matching = select(Share).where(Share.expires_at > utc_now())
            total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
            query = matching.order_by(Share.created_at.desc()).offset(offset).limit(limit)
            items = [ShareView.of(share) for share in session.scalars(query)]
        return Page(items, total, offset, limit)

    # -- the viewer's side (this service's owner is the viewer) --

    async def shared_with(self, groups: Iterable[str]) -> list[SharedApp]:
        """The shares that name the owner or one of their groups, with their apps."""
        self.note_groups(groups)
        with self.database.transaction(readonly=True) as session:
            query = (
                select(Share, Grant)
                .join(Grant, Share.mapping_id == Grant.mapping_id)
                .where(self._for_me())
                .order_by(Share.created_at.desc())
            )
            found = [
                (
                    ShareView.of(share),
                    grant.application.image,
                    grant.application.display_name,
                    grant.application.description,
                )
                for share, grant in session.execute(query).all()
            ]
        images = await self.containers.images.named(sorted({image for _, image, _, _ in found}))
        by_name = {image.name: image for image in images}
        return [
            SharedApp(share, by_name[image].with_overrides(display_name, description))
            for share, image, display_name, description in found
        ]

    def note_groups(self, groups: Iterable[str]) -> None:
        """The owner's Hub groups, from the Hub's answer about a request of theirs."""
        self._groups = frozenset(groups)

    def _for_me(self) -> Any:
        """The condition of a share that is for this service's owner, now."""
        return (
            (Share.expires_at > utc_now())
            & (Share.owner != self.owner)
            & or_(
                (Share.kind == "user") & (Share.name == self.owner),
                (Share.kind == "group") & Share.name.in_(sorted(self._groups)),
            )
        )

    async def open(self, share_id: str, groups: Iterable[str], requester: Requester) -> str:
        """Where the viewer's browser goes to open a share: the app's origin, with a
        single-use ticket."""
        self.check_available()
        with self.database.transaction(readonly=True) as session:
            share = session.get(Share, share_id)
            view = ShareView.of(share) if share is not None else None
        if view is None or view.expires_at <= utc_now() or not view.names(self.owner, groups):
            raise NotFound("this share has ended, or is not for you")
        container = await self.containers.index.find(view.url_id, user=view.owner)
        if container is None or not container.running or not container.origin:
            raise NotFound("the shared application is not running")
        ticket = secrets.token_urlsafe(32)
        with self.database.transaction() as session:
            session.execute(delete(ShareTicket).where(ShareTicket.expires_at < utc_now()))
            session.add(
                ShareTicket(
                    ticket_hash=digest(ticket),
                    share_id=view.id,
                    user_name=self.owner,
                    expires_at=utc_now() + timedelta(seconds=TICKET_SECONDS),
                )
            )
            AuditLog(session).record(
                self.owner,
                "share.use",
                view.url_id,
                requester=requester,
                share=view.id,
                owner=view.owner,
                permission=view.permission,
            )
        return f"{container.origin}{ENTER_PATH}?ticket={ticket}"

    def redeem_link(self, code: str, requester: Requester) -> str:
        """The viewer's share of the link ``code`` (made the first time): its id."""
        self.check_available()
        now = utc_now()
        with self.database.transaction() as session:
            link = session.scalar(select(Share).where(Share.code_hash == digest(code)))
            # Expired links are deleted (`refresh`): whichever, the same answer.
            if link is None or link.expires_at <= now:
                raise NotFound("this share link has expired, was revoked, or is mistyped")
            if link.owner == self.owner:
                raise InvalidInput("this is a link to your own application")
            mine = session.scalar(
                select(Share).where(Share.via == link.id, Share.name == self.owner)
            )
            if mine is None:
                mine = Share(
                    url_id=link.url_id,
                    mapping_id=link.mapping_id,
                    owner=link.owner,
                    kind="user",
                    name=self.owner,
                    permission=link.permission,
                    via=link.id,
                    expires_at=link.expires_at,
                )
                session.add(mine)
                session.flush()
                AuditLog(session).record(
                    self.owner,
                    "share.use",
                    link.url_id,
                    requester=requester,
                    share=mine.id,
                    link=link.id,
                    owner=link.owner,
                    permission=link.permission,
                )
            return mine.id

    # -- the owner's service, at the app's origin --

    def redeem_ticket(self, ticket: str, url_id: str) -> tuple[str, ShareView] | None:
        """Who a ticket is for, and the share it opens ``url_id`` by, once; None if
        the ticket is unknown, used, expired, or for another app."""
        with self.database.transaction() as session:
            found = session.get(ShareTicket, digest(ticket))
            if found is None:
                return None
            session.delete(found)
            share = session.get(Share, found.share_id)
            if (
                found.expires_at < utc_now()
                or share is None
                or share.url_id != url_id
                or share.owner != self.owner
                or share.expires_at <= utc_now()
            ):
                return None
            view = ShareView.of(share)
            viewer = found.user_name
        self._active[view.id] = view
        return viewer, view

    def is_active(self, share_id: str) -> bool:
        share = self._active.get(share_id)
        return share is not None and share.expires_at > utc_now()

    def on_end(self, listener: Callable[[str], None]) -> None:
        """``listener(share_id)`` is called when one of the owner's shares ends."""
        self._on_end.append(listener)

    def watch(self, share_id: str, close: Callable[[], None]) -> Callable[[], None]:
        """Call ``close`` when the share ends; returns what stops watching."""
        self._watchers.setdefault(share_id, set()).add(close)
        return lambda: self._watchers.get(share_id, set()).discard(close)

    # -- keeping the owner's shares current --

    async def _loop(self) -> None:
        first = True
        while True:
            try:
                if self._active or first:  # at the start: what expired meanwhile
                    self.refresh()
                if self.events.listening:
                    self.look_for_shares_for_me()
                else:
                    self._shared_with_me = None  # a dashboard that opens reads it anew
            except Exception:
                self.log.exception("could not read the shares")
            first = False
            await asyncio.sleep(self.refresh_interval)

    def look_for_shares_for_me(self) -> None:
        """Tell the dashboard ("shared") when the shares for the owner change."""
        with self.database.transaction(readonly=True) as session:
            query = select(Share.id, Share.expires_at).where(self._for_me())
            found = frozenset((row.id, row.expires_at) for row in session.execute(query))
        # The first look after a dashboard opened cannot tell what it read: any share
        # found is news (one reload too many, at most).
        seen, self._shared_with_me = self._shared_with_me or frozenset(), found
        if seen != found:
            self.events.publish("shared")

    def refresh(self) -> None:
        """Read the owner's shares; end those expired; close what watched the gone."""
        now = utc_now()
        with self.database.transaction() as session:
            shares = session.scalars(select(Share).where(Share.owner == self.owner)).all()
            expired = [share for share in shares if share.expires_at <= now]
            self._end(session, expired, "expired")
            current = {s.id: ShareView.of(s) for s in shares if s.expires_at > now}
        self._forget([share_id for share_id in self._active if share_id not in current])
        self._active = current
        if expired:
            for url_id in sorted({share.url_id for share in expired}):
                self.events.publish("shares", url_id=url_id)

    def _end(self, session: Session, shares: Sequence[Share], reason: str) -> None:
        """End these shares (those got by their links with them), in the audit log."""
        for share in shares:
            AuditLog(session).record(
                share.owner,
                "share.end",
                share.url_id,
                requester=SERVICE,
                share=share.id,
                kind=share.kind,
                name=share.name,
                reason=reason,
            )
        if shares:
            session.execute(delete(Share).where(Share.id.in_([share.id for share in shares])))

    def _forget(self, share_ids: Iterable[str]) -> None:
        for share_id in share_ids:
            self._active.pop(share_id, None)
            for close in self._watchers.pop(share_id, set()):
                close()
            for listener in self._on_end:
                listener(share_id)

    def _apps_changed(self, changes: list[Change]) -> None:
        """A `RunningApps` listener: stopping an app ends its shares."""
        gone = [url_id for url_id, _, now in changes if now is None or not now.running]
        if not gone:
            return
        with self.database.transaction() as session:
            shares = session.scalars(
                select(Share).where(Share.owner == self.owner, Share.url_id.in_(gone))
            ).all()
            self._end(session, shares, "the app stopped")
        self._forget([share.id for share in shares])
        for url_id in sorted({share.url_id for share in shares}):
            self.events.publish("shares", url_id=url_id)
