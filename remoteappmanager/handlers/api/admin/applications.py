"""``admin/applications``: the images users may be granted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ....db.models import Application
from ....errors import InvalidInput
from ....services.administration import DISPLAY_FIELDS
from ....services.catalogue import Catalogue
from ..icons import write_icon
from ..serialize import admin_application_json, page_json
from .base import AdminHandler, whole_number


class ApplicationsHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        search = self.get_query_argument("q", "").lower()
        with self.database.transaction(readonly=True) as session:
            every = Catalogue(session).list_applications()
            matching = [a for a in every if search in a.image.lower()]
            page = matching[offset : offset + limit]
            items = await describe(self, page)
        self.write_json(page_json(items, len(matching), offset, limit))

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
        with self.database.transaction(readonly=True) as session:
            image = Catalogue(session).get_application_by_id(to_id(application_id)).image
        grants, stopped = await self.administration.remove_application(image)
        self.write_json({"grants": grants, "stopped": stopped})


class ApplicationIconHandler(AdminHandler):
    """The icon of an application's image, as PNG (see `write_icon`)."""

    async def get(self, application_id: str) -> None:
        identifier = to_id(application_id)
        with self.database.transaction(readonly=True) as session:
            image_name = Catalogue(session).get_application_by_id(identifier).image
        [image] = await self.containers.images_named([image_name])
        write_icon(self, image, f"the application {identifier}")


def to_id(text: str) -> int:
    return whole_number(text, f"{text!r} is not an application id (a whole number)")


def display_fields(body: dict[str, Any]) -> dict[str, str | None]:
    """The display override in a body: strings, or null to clear."""
    for field in DISPLAY_FIELDS:
        if field in body and not isinstance(body[field], str | None):
            raise InvalidInput(f"{field} must be a string or null")
    return {field: body[field] for field in DISPLAY_FIELDS if field in body}


async def describe(handler: AdminHandler, applications: Sequence[Application]) -> list[Any]:
    """Applications with what their images say (inside the caller's transaction)."""
    images = await handler.containers.images_named(sorted({a.image for a in applications}))
    by_name = {image.name: image for image in images}
    return [
        admin_application_json(
            application,
            by_name[application.image].with_overrides(
                application.display_name, application.description
            ),
            len(application.grants),
            handler.api_url,
        )
        for application in applications
    ]


async def write_application(handler: AdminHandler, application_id: int, status: int = 200) -> None:
    with handler.database.transaction(readonly=True) as session:
        application = Catalogue(session).get_application_by_id(application_id)
        [body] = await describe(handler, [application])
    handler.write_json(body, status=status)


routes = [
    (r"applications", ApplicationsHandler),
    (r"applications/([^/]+)", ApplicationHandler),
    (r"applications/([^/]+)/icon", ApplicationIconHandler),
]
