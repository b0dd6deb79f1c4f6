"""``api/v1/applications``: what the user may run."""

from __future__ import annotations

from typing import Any

from ...docker.container import Container
from ...docker.image import ImageInfo
from ...services.views import GrantView
from ..base import APIHandler
from .icons import write_icon
from .serialize import application_json


def applications_json(
    handler: APIHandler, found: list[tuple[GrantView, ImageInfo, Container | None]]
) -> list[dict[str, Any]]:
    """Each grant as the user may use it: with the limits and the sharing that hold."""
    deadlines = handler.culler.deadlines(c for _, _, c in found if c)
    return [
        application_json(
            grant.mapping_id,
            image,
            handler.culler.effective(grant.policy),
            container,
            deadlines,
            handler.api_url,
            handler.sharing.permissions(grant.policy, image),
        )
        for grant, image, container in found
    ]


class ApplicationsHandler(APIHandler):
    async def get(self) -> None:
        user = self.require_owner()
        self.xsrf_token  # noqa: B018 (sets the _xsrf cookie a browser client sends back)
        found = await self.containers.applications_of(user)
        self.write_json({"items": applications_json(self, found)})


class ApplicationHandler(APIHandler):
    async def get(self, mapping_id: str) -> None:
        user = self.require_owner()
        found = await self.containers.applications_of(user, mapping_id)
        [application] = applications_json(self, found)
        self.write_json(application)


class ApplicationIconHandler(APIHandler):
    """The icon of one of the user's applications, as PNG (see `write_icon`)."""

    async def get(self, mapping_id: str) -> None:
        user = self.require_owner()
        image = await self.containers.image_of_grant(user, mapping_id)
        write_icon(self, image, f"the application {mapping_id!r}")


routes = [
    (r"applications", ApplicationsHandler),
    (r"applications/([^/]+)", ApplicationHandler),
    (r"applications/([^/]+)/icon", ApplicationIconHandler),
]
