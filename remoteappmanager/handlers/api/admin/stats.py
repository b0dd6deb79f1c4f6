"""``admin/stats``: the site in a few numbers."""

from __future__ import annotations

from ..serialize import stats_json
from .base import AdminHandler


class StatsHandler(AdminHandler):
    async def get(self) -> None:
        self.write_json(stats_json(await self.administration.stats()))


routes = [(r"stats", StatsHandler)]
