"""``admin/audit``: the audit log, newest first, a page at a time."""

from __future__ import annotations

from ..serialize import audit_json, page_json
from .base import AdminHandler


class AuditHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        self.write_json(page_json(self.administration.audit_page(offset, limit), audit_json))


routes = [(r"audit", AuditHandler)]
