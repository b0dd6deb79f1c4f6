"""``admin/applications``: the images users may be granted."""

from __future__ import annotations

from typing import Any

from ....errors import InvalidInput
from ....services.administration import DISPLAY_FIELDS
from ..icons import write_icon
from ..serialize import admin_application_json, page_json
from .base import AdminHandler, whole_number


class ApplicationsHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        search = self.get_query_argument("q", "")
        page = await self.administration.applications_page(search, offset, limit)
        self.write_json(page_json(page, lambda state: admin_application_json(state, self.api_url)))

    async def post(self) -> None:
        body = self.json_body(allowed={"image", "verify", *DISPLAY_FIELDS})
        image = body.get("image")
        if not isinstance(image, str):
            raise InvalidInput("image must be the name of a Docker image")
        verify = body.get("verify", True)
        if not isinstance(verify, bool):
            raise InvalidInput("verify must be true or false")
        display = display_fields(body)
        application_id = await self.administration.create_application(
            image, display.get("display_name"), display.get("description"), verify=verify
        )
        self.set_header("Location", f"{self.request.path.rstrip('/')}/{application_id}")
        await write_application(self, application_id, status=201)


class ApplicationHandler(AdminHandler):
    async def get(self, application_id: str) -> None:
        await write_application(self, to_id(application_id))

    async def patch(self, application_id: str) -> None:
        identifier = to_id(application_id)
        changes = display_fields(self.json_body(allowed=set(DISPLAY_FIELDS)))
        if not changes:
            raise InvalidInput(f"nothing to change: send {' or '.join(DISPLAY_FIELDS)}")
        self.administration.describe_application(identifier, changes)
        await write_application(self, identifier)

    async def delete(self, application_id: str) -> None:
        image = self.administration.application_view(to_id(application_id)).image
        grants, stopped = await self.administration.remove_application(image)
        self.write_json({"grants": grants, "stopped": stopped})


class ApplicationIconHandler(AdminHandler):
    """The icon of an application's image, as PNG (see `write_icon`)."""

    async def get(self, application_id: str) -> None:
        identifier = to_id(application_id)
        state = await self.administration.application(identifier)
        write_icon(self, state.image, f"the application {identifier}")


def to_id(text: str) -> int:
    return whole_number(text, f"{text!r} is not an application id (a whole number)")


def display_fields(body: dict[str, Any]) -> dict[str, str | None]:
    """The display override in a body: strings, or null to clear."""
    for field in DISPLAY_FIELDS:
        if field in body and not isinstance(body[field], str | None):
            raise InvalidInput(f"{field} must be a string or null")
    return {field: body[field] for field in DISPLAY_FIELDS if field in body}


async def write_application(handler: AdminHandler, application_id: int, status: int = 200) -> None:
    state = await handler.administration.application(application_id)
    handler.write_json(admin_application_json(state, handler.api_url), status=status)


routes = [
    (r"applications", ApplicationsHandler),
    (r"applications/([^/]+)", ApplicationHandler),
    (r"applications/([^/]+)/icon", ApplicationIconHandler),
]
