"""Stops the owner's apps when they are unused too long, or have run too long.

Each app has at most two limits, from its grant's policy or else the site's defaults
here: an idle timeout (counted from the last request or websocket frame through the
gateway) and a maximum lifetime (from the container's start). The deadline is the
earlier of the two; "Extend" pushes it back, a bounded number of times a day.

Nothing the deadlines depend on lives only in memory: the start is the container's,
the limits are the grant's, the last use and the extensions are kept in the
``app_runs`` table (the last use written once per ``interval``), so a restarted
service culls what its predecessor would have.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload
from traitlets import Float, Int

from ..db.models import AppRun, Grant
from ..docker.container import Container
from ..errors import NotFound, RemoteAppError, RequestError
from .audit import AuditLog, Requester
from .events import EventStream
from .owner_loop import OwnerLoop
from .policy import MAX_TIME_LIMIT, GrantPolicy
from .running import Change, RunningApps

CULLER = Requester(via="culler")


@dataclass(frozen=True)
class Deadline:
    """When an app will be stopped, and why: "idle" or "lifetime"."""

    at: datetime  # aware, UTC
    reason: str
    warning: bool  # within the warning period: the dashboard says so


class Culler(OwnerLoop):
    """The owner's apps' deadlines: computed, announced, extended and enforced."""

    idle_timeout = Int(
        0,
        min=0,
        max=MAX_TIME_LIMIT,
        help="""Seconds an app may go unused (no request or websocket frame through the
        gateway) before it is stopped; a grant's own idle_timeout overrides it.
        0: never.""",
    ).tag(config=True)

    max_lifetime = Int(
        0,
        min=0,
        max=MAX_TIME_LIMIT,
        help="""Seconds after its start at which an app is stopped, used or not, unless
        extended; a grant's own max_lifetime overrides it. 0: no limit.""",
    ).tag(config=True)

    warning = Int(
        300,
        min=0,
        help="Seconds before a deadline from which the dashboard warns of it.",
    ).tag(config=True)

    extension = Int(
        3600,
        min=1,
        max=MAX_TIME_LIMIT,
        help="""Seconds one "Extend" adds to an app's lifetime (it also counts as a use,
        which moves an idle deadline).""",
    ).tag(config=True)

    max_extensions_per_day = Int(
        3,
        min=0,
        help="How many times a user may extend their apps per day (UTC), in all.",
    ).tag(config=True)

    interval = Float(
        10.0,
        min=0.1,
        help="""Seconds between two looks at the deadlines (an app is stopped at most
        this late), and between two writes of the last use to the database.""",
    ).tag(config=True)

    def __init__(
        self, running: RunningApps, events: EventStream, owner: str, **kwargs: Any
    ) -> None:
        super().__init__(running, events, owner, **kwargs)
        self._used: dict[str, float] = {}  # url_id: last use (epoch), not yet written
        self._warned: set[str] = set()
        running.on_change(self._forget_stopped)

    # -- what the gateway and the API call --

    def touch(self, url_id: str) -> None:
        """A use of the app now (a request or a websocket frame): cheap, in memory."""
        self._used[url_id] = time.time()

    def effective(self, policy: GrantPolicy) -> GrantPolicy:
        """The policy with the limits that hold: its own, else the site's."""
        return dataclasses.replace(
            policy,
            idle_timeout=pick(policy.idle_timeout, self.idle_timeout),
            max_lifetime=pick(policy.max_lifetime, self.max_lifetime),
        )

    def deadlines(self, containers: Iterable[Container]) -> dict[str, Deadline]:
        """The deadline of each container that has one (any user's: the admin API
        shows them too; the last use is as this service last wrote it, or saw it)."""
        containers = list(containers)
        if not containers:
            return {}
        limits = self._limits(c.mapping_id for c in containers)
        runs = self._runs(c.url_id for c in containers)
        now = datetime.now(timezone.utc)
        found = {}
        for container in containers:
            deadline = self._deadline(container, limits.get(container.mapping_id), runs, now)
            if deadline is not None:
                found[container.url_id] = deadline
        return found

    async def extend(self, url_id: str, requester: Requester) -> tuple[Container, Deadline]:
        """Push the app's deadline back by ``extension`` (and count a use)."""
        container = (await self.running.current()).get(url_id)
        if container is None or container.user != self.owner:
            raise NotFound(f"there is no application {url_id!r}")
        if url_id not in self.deadlines([container]):
            raise RequestError(
                409, "this application has no time limit: there is nothing to extend"
            )
        with self.database.transaction() as session:
            audit = AuditLog(session)
            used = audit.count_since("container.extend", start_of_day(), actor=self.owner)
            if used >= self.max_extensions_per_day:
                raise RequestError(
                    429,
                    f"you have extended your applications {used} times today, the most "
                    "allowed; the count starts again at midnight (UTC)",
                )
            run = self._run_row(session, url_id)
            run.extended_seconds += self.extension
            run.last_active_at = utc_naive(time.time())
            audit.record(
                self.owner,
                "container.extend",
                url_id,
                requester=requester,
                mapping_id=container.mapping_id,
                seconds=self.extension,
            )
        self._used.pop(url_id, None)
        self._warned.discard(url_id)
        deadline = self.deadlines([container])[url_id]
        self.events.publish("deadline", url_id=url_id, **deadline_json(deadline))
        return container, deadline

    # -- the loop --

    async def close(self) -> None:
        await super().close()
        self._write_uses()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the next tick tries again; the service goes on
                self.log.exception("the culler failed")
            await asyncio.sleep(self.interval)

    async def tick(self) -> None:
        """Write the uses seen, warn of near deadlines, stop the apps past theirs."""
        self._write_uses()
        running = [c for c in (await self.running.current()).values() if c.running]
        if not running:
            return
        now = datetime.now(timezone.utc)
        mapping_ids = {c.url_id: c.mapping_id for c in running}
        for url_id, deadline in self.deadlines(running).items():
            if deadline.at <= now:
                await self._cull(url_id, mapping_ids[url_id], deadline.reason)
            elif deadline.warning and url_id not in self._warned:
                self._warned.add(url_id)
                self.events.publish("deadline", url_id=url_id, **deadline_json(deadline))
            elif not deadline.warning and url_id in self._warned:
                self._warned.discard(url_id)  # used again: the warning is over
                self.events.publish("deadline", url_id=url_id, **deadline_json(deadline))

    async def _cull(self, url_id: str, mapping_id: str, reason: str) -> None:
        try:
            await self.containers.stop(
                self.owner, url_id, actor="culler", requester=CULLER, culled_for=reason
            )
        except NotFound:
            return  # stopped meanwhile
        except RemoteAppError as error:
            self.log.warning("could not stop %s (%s): %s", url_id, reason, error.log_message)
            return
        self.log.info("stopped %s of %s: %s", url_id, self.owner, CULL_REASONS[reason])
        self.events.publish("culled", url_id=url_id, mapping_id=mapping_id, reason=reason)

    # -- the database --

    def _limits(self, mapping_ids: Iterable[str]) -> dict[str, GrantPolicy]:
        """The effective policy of each grant (of those that still exist)."""
        with self.database.transaction(readonly=True) as session:
            query = (
                select(Grant)
                .where(Grant.mapping_id.in_(set(mapping_ids)))
                .options(selectinload(Grant.policy))
            )
            return {
                grant.mapping_id: self.effective(GrantPolicy.from_model(grant.policy))
                for grant in session.scalars(query)
            }

    def _runs(self, url_ids: Iterable[str]) -> dict[str, tuple[float, int]]:
        """url_id: (last use as epoch seconds, seconds extended), from the DB and
        from what was seen since the last write."""
        url_ids = list(url_ids)
        with self.database.transaction(readonly=True) as session:
            rows = session.scalars(select(AppRun).where(AppRun.url_id.in_(url_ids))).all()
            runs = {
                row.url_id: (
                    row.last_active_at.replace(tzinfo=timezone.utc).timestamp(),
                    row.extended_seconds,
                )
                for row in rows
            }
        for url_id in url_ids:
            if url_id in self._used:
                last, extended = runs.get(url_id, (0.0, 0))
                runs[url_id] = (max(last, self._used[url_id]), extended)
        return runs

    def _deadline(
        self,
        container: Container,
        limits: GrantPolicy | None,
        runs: dict[str, tuple[float, int]],
        now: datetime,
    ) -> Deadline | None:
        if limits is None:
            return None  # its grant is gone: stopping it is the grant's business
        started = container.created_at.timestamp()
        last_use, extended = runs.get(container.url_id, (started, 0))
        candidates = []
        if limits.idle_timeout:
            candidates.append((max(last_use, started) + limits.idle_timeout, "idle"))
        if limits.max_lifetime:
            candidates.append((started + limits.max_lifetime + extended, "lifetime"))
        if not candidates:
            return None
        at, reason = min(candidates)
        moment = datetime.fromtimestamp(at, timezone.utc)
        return Deadline(moment, reason, moment - now <= timedelta(seconds=self.warning))

    def _run_row(self, session: Session, url_id: str) -> AppRun:
        run = session.get(AppRun, url_id)
        if run is None:
            run = AppRun(url_id=url_id, user_name=self.owner, extended_seconds=0)
            session.add(run)
        return run

    def _write_uses(self) -> None:
        if not self._used:
            return
        used, self._used = self._used, {}
        try:
            with self.database.transaction() as session:
                for url_id, moment in used.items():
                    run = self._run_row(session, url_id)
                    run.last_active_at = max(run.last_active_at or UTC_EPOCH, utc_naive(moment))
        except RemoteAppError as error:
            self.log.warning("could not write the apps' last use: %s", error.log_message)
            for url_id, moment in used.items():  # kept for the next try
                self._used[url_id] = max(moment, self._used.get(url_id, 0.0))

    def _forget_stopped(self, changes: list[Change]) -> None:
        """A `RunningApps` listener: a gone app's run is over."""
        gone = [url_id for url_id, _, now in changes if now is None]
        if not gone:
            return
        for url_id in gone:
            self._used.pop(url_id, None)
            self._warned.discard(url_id)
        try:
            with self.database.transaction() as session:
                session.execute(delete(AppRun).where(AppRun.url_id.in_(gone)))
        except RemoteAppError as error:
            self.log.warning("could not forget the runs of %s: %s", gone, error.log_message)


CULL_REASONS = {"idle": "unused past its idle timeout", "lifetime": "past its maximum lifetime"}
UTC_EPOCH = datetime(1970, 1, 1)


def pick(own: int | None, site: int) -> int:
    """A grant's own limit if it has one, else the site's."""
    return site if own is None else own


def utc_naive(epoch: float) -> datetime:
    """As the database keeps times: naive UTC."""
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def start_of_day() -> datetime:
    """Today's midnight, UTC, naive (as the audit log keeps times)."""
    return datetime.now(timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0, tzinfo=None
    )


def deadline_json(deadline: Deadline) -> dict[str, Any]:
    return {
        "at": deadline.at.isoformat(),
        "reason": deadline.reason,
        "warning": deadline.warning,
    }
