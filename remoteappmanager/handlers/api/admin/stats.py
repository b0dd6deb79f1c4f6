"""``admin/stats``: the site in a few numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from ....db.models import Accounting, Application, User, utc_now
from ....services.audit import AuditLog
from .base import AdminHandler


class StatsHandler(AdminHandler):
    async def get(self) -> None:
        running = [c for c in await self.containers.list_all() if c.running]
        with self.database.transaction(readonly=True) as session:

            def count(column: Any) -> int:
                return session.scalar(select(func.count(column))) or 0

            body = {
                "users": count(User.id),
                "active_users": len({c.user for c in running}),
                "applications": count(Application.id),
                "grants": count(Accounting.mapping_id),
                "running_containers": len(running),
                "starts_last_day": AuditLog(session).count_since(
                    "container.start", utc_now() - timedelta(days=1)
                ),
            }
        self.write_json(body)


routes = [(r"stats", StatsHandler)]
