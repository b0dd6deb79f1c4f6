"""``admin/users``: everyone who may use the site."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from ....errors import InvalidInput
from ....services.catalogue import Catalogue
from ..serialize import admin_user_json, container_json, grant_json, page_json
from .base import AdminHandler


class UsersHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        search = self.get_query_argument("q", "")
        running = Counter(c.user for c in await self.containers.list_all() if c.running)
        with self.database.transaction(readonly=True) as session:
            found, total = Catalogue(session).find_users(search, offset, limit)
            items = [admin_user_json(user, grants, running[user.name]) for user, grants in found]
        self.write_json(page_json(items, total, offset, limit))

    async def post(self) -> None:
        name = self.json_body(allowed={"name"}).get("name")
        if not isinstance(name, str):
            raise InvalidInput("name must be the user's JupyterHub name")
        self.administration.create_user(name)
        self.set_header("Location", f"{self.request.path.rstrip('/')}/{quote(name, safe='')}")
        await write_user(self, name, status=201)


class UserHandler(AdminHandler):
    async def get(self, name: str) -> None:
        await write_user(self, name)

    async def delete(self, name: str) -> None:
        grants, stopped = await self.administration.remove_user(name)
        self.write_json({"grants": grants, "stopped": stopped})


async def write_user(handler: AdminHandler, name: str, status: int = 200) -> None:
    """The user with their grants and containers."""
    containers = {c.mapping_id: c for c in await handler.containers.list_for_user(name)}
    with handler.database.transaction(readonly=True) as session:
        catalogue = Catalogue(session)
        user = catalogue.get_user(name)
        grants = catalogue.find_grants(user_name=name)
        running = sum(1 for c in containers.values() if c.running)
        body = admin_user_json(user, len(grants), running)
        body["grants"] = [grant_json(g, containers.get(g.mapping_id)) for g in grants]
    body["containers"] = [container_json(c) for c in containers.values()]
    handler.write_json(body, status=status)


routes = [
    (r"users", UsersHandler),
    (r"users/([^/]+)", UserHandler),
]
