"""``admin/users``: everyone who may use the site."""

from __future__ import annotations

from urllib.parse import quote

from ....errors import InvalidInput
from ..serialize import admin_user_detail_json, admin_user_json, page_json
from .base import AdminHandler


class UsersHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        search = self.get_query_argument("q", "")
        page = await self.administration.users_page(search, offset, limit)
        self.write_json(page_json(page, admin_user_json))

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
    detail = await handler.administration.user_detail(name)
    deadlines = handler.culler.deadlines(detail.containers)
    handler.write_json(admin_user_detail_json(detail, deadlines), status=status)


routes = [
    (r"users", UsersHandler),
    (r"users/([^/]+)", UserHandler),
]
