"""``api/v1/applications``: what the user may run."""

from __future__ import annotations

from ..base import APIHandler
from .serialize import application_json


class ApplicationsHandler(APIHandler):
    async def get(self) -> None:
        user = self.require_owner()
        self.xsrf_token  # noqa: B018 (sets the _xsrf cookie a browser client sends back)
        found = await self.containers.applications_of(user)
        items = [
            application_json(grant.mapping_id, image, grant.policy, container)
            for grant, image, container in found
        ]
        self.write_json({"items": items})


class ApplicationHandler(APIHandler):
    async def get(self, mapping_id: str) -> None:
        user = self.require_owner()
        [(grant, image, container)] = await self.containers.applications_of(user, mapping_id)
        self.write_json(application_json(grant.mapping_id, image, grant.policy, container))


routes = [
    (r"applications", ApplicationsHandler),
    (r"applications/([^/]+)", ApplicationHandler),
]
