"""``admin/audit``: the audit log, newest first, a page at a time."""

from __future__ import annotations

from ....services.audit import AuditLog
from ..serialize import audit_json, page_json
from .base import AdminHandler


class AuditHandler(AdminHandler):
    async def get(self) -> None:
        offset, limit = self.page()
        with self.database.transaction(readonly=True) as session:
            entries, total = AuditLog(session).entries(offset, limit)
            items = [audit_json(entry) for entry in entries]
        self.write_json(page_json(items, total, offset, limit))


routes = [(r"audit", AuditHandler)]
