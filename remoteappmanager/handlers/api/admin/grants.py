"""``admin/grants`` (simphony-remote's "accounting"): who may run what, with which policy."""

from __future__ import annotations

from ....errors import InvalidInput
from ....services.policy import GrantPolicy
from ..serialize import grant_json, page_json
from .applications import to_id
from .base import AdminHandler


class GrantsHandler(AdminHandler):
    async def get(self) -> None:
        user = self.get_query_argument("user", None)
        application = self.get_query_argument("application_id", None)
        offset, limit = self.page()
        page = await self.administration.grants_page(
            user, to_id(application) if application else None, offset, limit
        )
        deadlines = self.culler.deadlines(s.container for s in page.items if s.container)
        self.write_json(page_json(page, lambda state: grant_json(state, deadlines)))

    async def post(self) -> None:
        body = self.json_body(allowed={"user", "application_id", "policy"})
        user, application_id = body.get("user"), body.get("application_id")
        if not isinstance(user, str):
            raise InvalidInput("user must be a user name")
        if not isinstance(application_id, int) or isinstance(application_id, bool):
            raise InvalidInput("application_id must be the id of an application")
        policy = GrantPolicy.from_json(body.get("policy"))
        image = self.administration.application_view(application_id).image
        mapping_id, created = self.administration.grant(image, user, policy)
        self.set_header("Location", f"{self.request.path.rstrip('/')}/{mapping_id}")
        await write_grant(self, mapping_id, status=201 if created else 200)


class GrantHandler(AdminHandler):
    async def get(self, mapping_id: str) -> None:
        await write_grant(self, mapping_id)

    async def patch(self, mapping_id: str) -> None:
        body = self.json_body(allowed={"policy"})
        if "policy" not in body:
            raise InvalidInput('send the new policy as {"policy": {...}}')
        await self.administration.set_policy(mapping_id, GrantPolicy.from_json(body["policy"]))
        await write_grant(self, mapping_id)

    async def delete(self, mapping_id: str) -> None:
        stopped = await self.administration.remove_grant(mapping_id)
        self.write_json({"stopped": stopped})


async def write_grant(handler: AdminHandler, mapping_id: str, status: int = 200) -> None:
    state = await handler.administration.grant_state(mapping_id)
    deadlines = handler.culler.deadlines([state.container] if state.container else [])
    handler.write_json(grant_json(state, deadlines), status=status)


routes = [
    (r"grants", GrantsHandler),
    (r"grants/([^/]+)", GrantHandler),
]
