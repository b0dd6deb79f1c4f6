"""``admin/containers``: every application container of the site; stop any."""

from __future__ import annotations

from ..serialize import container_json
from .base import AdminHandler


class ContainersHandler(AdminHandler):
    async def get(self) -> None:
        found = await self.containers.list_all()
        found.sort(key=lambda container: container.created_at)
        self.write_json({"items": [container_json(container) for container in found]})


class ContainerHandler(AdminHandler):
    async def delete(self, url_id: str) -> None:
        await self.administration.stop_container(url_id)
        self.set_status(204)
        self.finish()


routes = [
    (r"containers", ContainersHandler),
    (r"containers/([^/]+)", ContainerHandler),
]
