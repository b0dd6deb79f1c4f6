"""``admin/shares``: every share of the site; revoke any."""

from __future__ import annotations

from ..serialize import page_json, share_json
from .base import AdminHandler


class SharesHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        self.write_json(page_json(self.sharing.page(offset, limit), share_json))


class ShareHandler(AdminHandler):
    async def delete(self, share_id: str) -> None:
        self.sharing.revoke(share_id, self.owner, self.requester, admin=True)
        self.set_status(204)
        self.finish()


routes = [
    (r"shares", SharesHandler),
    (r"shares/([^/]+)", ShareHandler),
]
