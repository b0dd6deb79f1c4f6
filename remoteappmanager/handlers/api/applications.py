"""``api/v1/applications``: what the user may run."""

from __future__ import annotations

from ..base import APIHandler
from .icons import write_icon
from .serialize import application_json


class ApplicationsHandler(APIHandler):
    async def get(self) -> None:
        user = self.require_owner()
        self.xsrf_token  # noqa: B018 (sets the _xsrf cookie a browser client sends back)
        found = await self.containers.applications_of(user)
        deadlines = self.culler.deadlines(c for _, _, c in found if c)
        items = [
            application_json(
                grant.mapping_id,
                image,
                self.culler.effective(grant.policy),
                container,
                deadlines,
                self.api_url,
                self.sharing.permissions(grant.policy, image),
            )
            for grant, image, container in found
        ]
        self.write_json({"items": items})


class ApplicationHandler(APIHandler):
    async def get(self, mapping_id: str) -> None:
        user = self.require_owner()
        [(grant, image, container)] = await self.containers.applications_of(user, mapping_id)
        deadlines = self.culler.deadlines([container] if container else [])
        self.write_json(
            application_json(
                grant.mapping_id,
                image,
                self.culler.effective(grant.policy),
                container,
                deadlines,
                self.api_url,
                self.sharing.permissions(grant.policy, image),
            )
        )


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
