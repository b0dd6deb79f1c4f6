"""Sharing: ``containers/<url_id>/shares`` (the owner shares a running app, lists its
shares), ``shares/<id>`` (revokes one), ``shared`` (what others share with the user).
The rules are the sharing's (services/sharing.py): only the owner of a running app,
whose grant allows it, shares it, on a site that puts apps on their own origins."""

from __future__ import annotations

from ...errors import InvalidInput
from ..base import APIHandler
from .serialize import share_json, shared_app_json


class ContainerSharesHandler(APIHandler):
    async def get(self, url_id: str) -> None:
        self.require_owner()
        shares = self.sharing.owned(url_id)
        self.write_json({"items": [share_json(share) for share in shares]})

    async def post(self, url_id: str) -> None:
        self.require_owner()
        body = self.json_body(allowed={"kind", "name", "permission", "expires_in"})
        if "kind" not in body:
            raise InvalidInput("say with whom to share: kind is user, group or link")
        share, code = await self.sharing.create(
            url_id,
            body.get("kind"),
            body.get("name"),
            body.get("permission", "view"),
            body.get("expires_in"),
            requester=self.requester,
        )
        self.set_header("Location", f"{self.api_url}shares/{share.id}")
        self.write_json(share_json(share, link=self.link_of(code)), status=201)

    def link_of(self, code: str | None) -> str | None:
        """Where a link sends whoever has it: through the Hub to their own server
        (which JupyterHub starts if needed), that turns the code into their share."""
        if code is None:
            return None
        hub_host: str = self.hub_auth.hub_host  # set when the Hub uses subdomains
        return f"{hub_host}{self.settings['hub_url']}user-redirect/shared/link/{code}"


class ShareHandler(APIHandler):
    async def delete(self, share_id: str) -> None:
        owner = self.require_owner()
        self.sharing.revoke(share_id, actor=owner, requester=self.requester)
        self.set_status(204)
        self.finish()


class SharedWithMeHandler(APIHandler):
    async def get(self) -> None:
        self.require_owner()
        found = await self.sharing.shared_with(self.groups)
        base_url: str = self.settings["base_url"]
        self.write_json({"items": [shared_app_json(each, base_url) for each in found]})


routes = [
    (r"containers/([^/]+)/shares", ContainerSharesHandler),
    (r"shares/([^/]+)", ShareHandler),
    (r"shared", SharedWithMeHandler),
]
