"""The changes an administrator makes to the site, for the admin API and `remoteappdb`
alike.

The Catalogue validates every change; each change and its audit-log entry are one
transaction. A change that takes a grant away (or changes what it allows) first stops
what runs under it, so an engine out of reach refuses the change rather than leaving
an app running without its grant; after the change, a second sweep stops anything
that started in between.

It also reads the site for the admin API, as frozen views (services/views.py): the
rows in one short transaction, then the engine, never the engine inside one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from ..db import Database, Grant
from ..db.models import utc_now
from ..docker.container import Container
from ..docker.image import references
from ..errors import NotFound, RemoteAppError
from .audit import COMMAND_LINE, AuditLog, Requester
from .catalogue import Catalogue, check_image_name
from .containers import ContainerService
from .policy import GrantPolicy
from .views import (
    ApplicationState,
    ApplicationView,
    AuditRecord,
    EngineImage,
    GrantState,
    GrantView,
    Page,
    SiteStats,
    UserDetail,
    UserState,
    UserView,
)

T = TypeVar("T")

# Fields of an application's display override (None clears one).
DISPLAY_FIELDS = ("display_name", "description")
DAY = timedelta(days=1)


class Administration:
    """Users, applications, grants and containers, changed on behalf of ``actor``."""

    def __init__(
        self,
        database: Database,
        containers: ContainerService,
        actor: str,
        requester: Requester = COMMAND_LINE,
    ) -> None:
        self.database = database
        self.containers = containers
        self.actor = actor
        self.requester = requester  # how the changes are asked for, in the audit log

    # -- users --

    def create_user(self, name: str) -> None:
        with self.database.transaction() as session:
            Catalogue(session).create_user(name)
            AuditLog(session).record(self.actor, "user.create", name, requester=self.requester)

    async def remove_user(self, name: str) -> tuple[int, int]:
        """Remove the user and their grants; returns (grants, apps stopped)."""

        def remove(catalogue: Catalogue, log: AuditLog) -> int:
            count = len(catalogue.get_user(name).grants)  # before the delete empties them
            catalogue.remove_user(name)
            log.record(self.actor, "user.remove", name, grants=count, requester=self.requester)
            return count

        return await self._taking_away(lambda c: c.get_user(name).grants, remove)

    # -- applications --

    async def create_application(
        self,
        image: str,
        display_name: str | None = None,
        description: str | None = None,
        verify: bool = True,
    ) -> int:
        """Add an application; with ``verify``, its image must be on the engine."""
        check_image_name(image)  # before the engine is asked about it
        if verify and await self.containers.docker.inspect_image(image) is None:
            raise NotFound(
                f"the Docker engine at {self.containers.docker.display_host} has no image "
                f"{image!r}: build or pull it first"
            )
        with self.database.transaction() as session:
            application = Catalogue(session).create_application(image, display_name, description)
            AuditLog(session).record(
                self.actor, "application.create", image, requester=self.requester
            )
            return application.id

    def describe_application(self, application_id: int, changes: dict[str, str | None]) -> None:
        """Change the display override: each of DISPLAY_FIELDS given is set (None
        clears it), the others are kept."""
        with self.database.transaction() as session:
            catalogue = Catalogue(session)
            application = catalogue.get_application_by_id(application_id)
            merged = {
                "display_name": application.display_name,
                "description": application.description,
                **changes,
            }
            catalogue.describe_application(
                application, merged["display_name"], merged["description"]
            )
            AuditLog(session).record(
                self.actor,
                "application.update",
                application.image,
                **changes,
                requester=self.requester,
            )

    async def remove_application(self, image: str) -> tuple[int, int]:
        """Remove the application and every grant of it; returns (grants, apps stopped)."""

        def remove(catalogue: Catalogue, log: AuditLog) -> int:
            count = len(catalogue.get_application(image).grants)
            catalogue.remove_application(image)
            log.record(
                self.actor, "application.remove", image, grants=count, requester=self.requester
            )
            return count

        return await self._taking_away(lambda c: c.get_application(image).grants, remove)

    # -- grants --

    def grant(self, image: str, user: str, policy: GrantPolicy) -> tuple[str, bool]:
        """Grant ``image`` to ``user``; returns the mapping id and whether it is new."""
        self._check_site_allows(policy)
        with self.database.transaction() as session:
            grant, created = Catalogue(session).grant(image, user, policy)
            if created:
                AuditLog(session).record(
                    self.actor,
                    "grant.create",
                    grant.mapping_id,
                    user=user,
                    image=image,
                    policy=policy.to_json(),
                    requester=self.requester,
                )
            return grant.mapping_id, created

    async def set_policy(self, mapping_id: str, policy: GrantPolicy) -> int:
        """Change what a grant allows; an app running under it is stopped, so that it
        cannot keep what the new policy takes away. Returns the apps stopped.

        A change of the time limits alone stops nothing: the culler reads them anew
        at every look, so they hold for the running app at once."""
        self._check_site_allows(policy)

        def change(catalogue: Catalogue, log: AuditLog) -> None:
            grant = catalogue.get_grant_by_id(mapping_id)
            catalogue.set_policy(grant, policy)
            log.record(
                self.actor,
                "grant.update",
                mapping_id,
                policy=policy.to_json(),
                requester=self.requester,
            )

        with self.database.transaction() as session:
            catalogue = Catalogue(session)
            former = GrantPolicy.from_model(catalogue.get_grant_by_id(mapping_id).policy)
            if former.same_but_time_limits(policy):
                change(catalogue, AuditLog(session))
                return 0
        _, stopped = await self._taking_away(lambda c: [c.get_grant_by_id(mapping_id)], change)
        return stopped

    async def remove_grant(self, mapping_id: str) -> int:
        """Remove one grant; returns the apps stopped."""

        def remove(catalogue: Catalogue, log: AuditLog) -> None:
            grant = catalogue.get_grant_by_id(mapping_id)
            log.record(
                self.actor,
                "grant.remove",
                mapping_id,
                user=grant.user.name,
                image=grant.application.image,
                requester=self.requester,
            )
            catalogue.session.delete(grant)

        _, stopped = await self._taking_away(lambda c: [c.get_grant_by_id(mapping_id)], remove)
        return stopped

    async def revoke(
        self, image: str, user: str, policy: GrantPolicy | None
    ) -> tuple[list[str], int]:
        """Remove the user's grant of ``image`` with ``policy`` (every grant of it if
        None); returns the mapping ids removed and the apps stopped."""

        def revoke(catalogue: Catalogue, log: AuditLog) -> list[str]:
            removed = [grant.mapping_id for grant in catalogue.revoke(image, user, policy)]
            for mapping_id in removed:
                log.record(
                    self.actor,
                    "grant.remove",
                    mapping_id,
                    user=user,
                    image=image,
                    requester=self.requester,
                )
            return removed

        def revoked(catalogue: Catalogue) -> list[Grant]:
            grants = catalogue.grants_of(catalogue.get_user(user), catalogue.get_application(image))
            return [
                g for g in grants if policy is None or GrantPolicy.from_model(g.policy) == policy
            ]

        return await self._taking_away(revoked, revoke)

    # -- containers --

    async def stop_container(self, url_id: str) -> Container:
        """Stop anyone's app."""
        container = await self.containers.index.find(url_id)
        if container is None:
            raise NotFound(f"there is no application {url_id!r}")
        return await self.containers.stop(
            container.user, url_id, actor=self.actor, requester=self.requester
        )

    # -- reads: frozen views; the engine is asked outside every transaction --

    async def stats(self) -> SiteStats:
        running = [c for c in await self.containers.index.list_all() if c.running]
        with self.database.transaction(readonly=True) as session:
            users, applications, grants = Catalogue(session).counts()
            starts = AuditLog(session).count_since("container.start", utc_now() - DAY)
        return SiteStats(
            users=users,
            active_users=len({c.user for c in running}),
            applications=applications,
            grants=grants,
            running_containers=len(running),
            starts_last_day=starts,
        )

    async def users_page(self, search: str, offset: int, limit: int) -> Page[UserState]:
        """The users whose name contains ``search``, by name, with their running apps."""
        with self.database.transaction(readonly=True) as session:
            found, total = Catalogue(session).find_users(search, offset, limit)
            users = [UserView.of(user, grants) for user, grants in found]
        running = Counter(c.user for c in await self.containers.index.list_all() if c.running)
        items = [UserState(user, running[user.name]) for user in users]
        return Page(items, total, offset, limit)

    async def user_detail(self, name: str) -> UserDetail:
        """The user with their grants and their containers."""
        with self.database.transaction(readonly=True) as session:
            catalogue = Catalogue(session)
            user = catalogue.get_user(name)
            grants = [GrantView.of(grant) for grant in catalogue.find_grants(user_name=name)[0]]
            view = UserView.of(user, len(grants))
        containers = await self.containers.index.list_for_user(name)
        by_grant = {c.mapping_id: c for c in containers}
        return UserDetail(
            user=view,
            running_count=sum(1 for c in containers if c.running),
            grants=[GrantState(grant, by_grant.get(grant.mapping_id)) for grant in grants],
            containers=containers,
        )

    def application_view(self, application_id: int) -> ApplicationView:
        with self.database.transaction(readonly=True) as session:
            application = Catalogue(session).get_application_by_id(application_id)
            return ApplicationView.of(application, len(application.grants))

    async def applications_page(
        self, search: str, offset: int, limit: int
    ) -> Page[ApplicationState]:
        """The applications whose image contains ``search``, by image, each with what
        its image says."""
        with self.database.transaction(readonly=True) as session:
            found, total = Catalogue(session).find_applications(search, offset, limit)
            applications = [ApplicationView.of(a, grants) for a, grants in found]
        return Page(await self._with_images(applications), total, offset, limit)

    async def application(self, application_id: int) -> ApplicationState:
        [state] = await self._with_images([self.application_view(application_id)])
        return state

    async def _with_images(self, applications: list[ApplicationView]) -> list[ApplicationState]:
        images = await self.containers.images.named(sorted({a.image for a in applications}))
        by_name = {image.name: image for image in images}
        return [
            ApplicationState(a, by_name[a.image].with_overrides(a.display_name, a.description))
            for a in applications
        ]

    async def engine_images(self) -> list[EngineImage]:
        """Every tagged image on the engine, and whether an application is made of it."""
        with self.database.transaction(readonly=True) as session:
            # "app" and "app:latest" are one image: either spelling is registered.
            registered = {
                reference
                for application in Catalogue(session).list_applications()
                for reference in references(application.image)
            }
        images = await self.containers.images.every_tagged()
        return [EngineImage(image, image.name in registered) for image in images]

    async def grants_page(
        self, user: str | None, application_id: int | None, offset: int, limit: int
    ) -> Page[GrantState]:
        """The grants (of ``user``, of ``application_id``), oldest first, each with
        its container if one runs."""
        with self.database.transaction(readonly=True) as session:
            found, total = Catalogue(session).find_grants(user, application_id, offset, limit)
            grants = [GrantView.of(grant) for grant in found]
        running = {c.mapping_id: c for c in await self.containers.index.list_all()}
        items = [GrantState(grant, running.get(grant.mapping_id)) for grant in grants]
        return Page(items, total, offset, limit)

    async def grant_state(self, mapping_id: str) -> GrantState:
        with self.database.transaction(readonly=True) as session:
            grant = GrantView.of(Catalogue(session).get_grant_by_id(mapping_id))
        running = await self.containers.index.list_by_grant(mapping_id)
        return GrantState(grant, running[0] if running else None)

    async def containers_page(self, offset: int, limit: int) -> Page[Container]:
        """Every container of the site, oldest first."""
        found = sorted(await self.containers.index.list_all(), key=lambda c: c.created_at)
        return Page(found[offset : offset + limit], len(found), offset, limit)

    def audit_page(self, offset: int, limit: int) -> Page[AuditRecord]:
        """The audit log, newest first."""
        with self.database.transaction(readonly=True) as session:
            entries, total = AuditLog(session).entries(offset, limit)
            return Page([AuditRecord.of(entry) for entry in entries], total, offset, limit)

    # -- taking grants away --

    def _check_site_allows(self, policy: GrantPolicy) -> None:
        if policy.volume:
            self.containers.check_volume(policy.volume)

    async def _taking_away(
        self,
        grants: Callable[[Catalogue], Sequence[Grant]],
        change: Callable[[Catalogue, AuditLog], T],
    ) -> tuple[T, int]:
        with self.database.transaction(readonly=True) as session:
            # Also the check that what is to change exists, before anything stops.
            mapping_ids = [grant.mapping_id for grant in grants(Catalogue(session))]
        stopped = await self._stop(mapping_ids)
        with self.database.transaction() as session:
            result = change(Catalogue(session), AuditLog(session))
        try:
            stopped += await self._stop(mapping_ids)  # started meanwhile
        except RemoteAppError as error:
            self.containers.log.error(
                "after a change to grants %s, could not check that nothing runs under them: %s",
                ", ".join(mapping_ids),
                error.log_message,
            )
        return result, stopped

    async def _stop(self, mapping_ids: Sequence[str]) -> int:
        stopped = await asyncio.gather(*(self.containers.stop_grant(m) for m in mapping_ids))
        return sum(len(containers) for containers in stopped)
