"""``admin/containers``: every application container of the site; stop any."""

from __future__ import annotations

from ..serialize import container_json, page_json
from .base import AdminHandler


class ContainersHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        page = await self.administration.containers_page(offset, limit)
        deadlines = self.culler.deadlines(page.items)
        self.write_json(page_json(page, lambda c: container_json(c, deadlines)))


class ContainerHandler(AdminHandler):
    async def delete(self, url_id: str) -> None:
        await self.administration.stop_container(url_id)
        self.set_status(204)
        self.finish()


routes = [
    (r"containers", ContainersHandler),
    (r"containers/([^/]+)", ContainerHandler),
]
