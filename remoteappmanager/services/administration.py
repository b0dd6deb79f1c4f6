"""The changes an administrator makes to the site, for the admin API and `remoteappdb`
alike.

The Catalogue validates every change; each change and its audit-log entry are one
transaction. A change that takes a grant away (or changes what it allows) first stops
what runs under it, so an engine out of reach refuses the change rather than leaving
an app running without its grant; after the change, a second sweep stops anything
that started in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..db import Accounting, Database
from ..docker.container import Container
from ..errors import NotFound, RemoteAppError
from .audit import COMMAND_LINE, AuditLog, Requester
from .catalogue import Catalogue, check_image_name
from .containers import ContainerService
from .policy import GrantPolicy

T = TypeVar("T")

# Fields of an application's display override (None clears one).
DISPLAY_FIELDS = ("display_name", "description")


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
        cannot keep what the new policy takes away. Returns the apps stopped."""
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

        def revoked(catalogue: Catalogue) -> list[Accounting]:
            grants = catalogue.grants_of(catalogue.get_user(user), catalogue.get_application(image))
            return [
                g for g in grants if policy is None or GrantPolicy.from_model(g.policy) == policy
            ]

        return await self._taking_away(revoked, revoke)

    # -- containers --

    async def stop_container(self, url_id: str) -> Container:
        """Stop anyone's app."""
        container = await self.containers.find(url_id)
        if container is None:
            raise NotFound(f"there is no application {url_id!r}")
        return await self.containers.stop(
            container.user, url_id, actor=self.actor, requester=self.requester
        )

    # -- taking grants away --

    def _check_site_allows(self, policy: GrantPolicy) -> None:
        if policy.volume:
            self.containers.check_volume(policy.volume)

    async def _taking_away(
        self,
        grants: Callable[[Catalogue], Sequence[Accounting]],
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
