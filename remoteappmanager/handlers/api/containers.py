"""``api/v1/containers``: the user's running applications; start, stop and extend."""

from __future__ import annotations

from ...errors import InvalidInput, NotFound
from ..base import APIHandler
from .serialize import container_json


class ContainersHandler(APIHandler):
    async def get(self) -> None:
        user = self.require_owner()
        found = await self.containers.index.list_for_user(user)
        deadlines = self.culler.deadlines(found)
        self.write_json({"items": [container_json(c, deadlines) for c in found]})

    async def post(self) -> None:
        user = self.require_owner()
        body = self.json_body(allowed={"mapping_id", "configurables"})
        mapping_id = body.get("mapping_id")
        if not isinstance(mapping_id, str) or not mapping_id:
            raise InvalidInput("mapping_id must be the id of one of your applications")
        container, created = await self.containers.start(
            user, mapping_id, body.get("configurables"), requester=self.requester
        )
        self.set_header("Location", f"{self.request.path.rstrip('/')}/{container.url_id}")
        deadlines = self.culler.deadlines([container])
        self.write_json(container_json(container, deadlines), status=201 if created else 200)


class ContainerHandler(APIHandler):
    async def get(self, url_id: str) -> None:
        user = self.require_owner()
        container = await self.containers.index.find(url_id, user=user)
        if container is None:
            raise NotFound(f"there is no application {url_id!r}")
        self.write_json(container_json(container, self.culler.deadlines([container])))

    async def delete(self, url_id: str) -> None:
        user = self.require_owner()
        await self.containers.stop(user, url_id, requester=self.requester)
        self.set_status(204)
        self.finish()


class ExtendHandler(APIHandler):
    """``containers/<url_id>/extend``: push the app's deadline back (c.Culler.extension)."""

    async def post(self, url_id: str) -> None:
        self.require_owner()
        container, deadline = await self.culler.extend(url_id, requester=self.requester)
        self.write_json(container_json(container, {url_id: deadline}))


routes = [
    (r"containers", ContainersHandler),
    (r"containers/([^/]+)", ContainerHandler),
    (r"containers/([^/]+)/extend", ExtendHandler),
]
