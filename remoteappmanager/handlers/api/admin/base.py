"""What every admin endpoint shares: the admin check, paging, the services."""

from __future__ import annotations

from tornado import web

from ....errors import InvalidInput, LoginTooOld
from ....services.administration import Administration
from ...base import APIHandler

MAX_PAGE = 500


class AdminHandler(APIHandler):
    """Only for the owner of this service, and only if the Hub says they are an admin."""

    async def prepare(self) -> None:
        await super().prepare()
        self.require_owner()
        if not self.is_admin:
            raise web.HTTPError(403, "this is for administrators only")
        self.require_recent_login()

    def require_recent_login(self) -> None:
        """A change asked from a browser needs a login within the site's window, so
        that a page left open, or an app's page in it, has less time to make one.
        Tokens (remoteapprest) are not browser sessions: they are exempt."""
        window: int = self.settings["admin_login_max_age"]
        session_id = (self.current_user or {}).get("session_id")
        if self.request.method in ("GET", "HEAD", "OPTIONS") or not window or not session_id:
            return
        if self.settings["login_sessions"].age(session_id) > window:
            raise LoginTooOld(
                f"changing the site from a browser needs a login within the last "
                f"{duration(window)}: log in again, then retry",
                login_again=f"{self.settings['base_url']}logout",
            )

    @property
    def administration(self) -> Administration:
        return Administration(
            self.containers.database, self.containers, actor=self.owner, requester=self.requester
        )

    def page(self) -> tuple[int, int]:
        """``offset`` and ``limit`` from the query (defaults 0 and 100, limit <= 500)."""
        offset = self.integer_argument("offset", 0)
        limit = self.integer_argument("limit", 100)
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"offset must be 0 or more, and limit between 1 and {MAX_PAGE}")
        return offset, limit

    def integer_argument(self, name: str, default: int) -> int:
        value = self.get_query_argument(name, None)
        if value is None:
            return default
        return whole_number(value, f"{name} must be a whole number, not {value!r}")


def duration(seconds: int) -> str:
    if seconds % 60 or seconds < 120:
        return f"{seconds} seconds" if seconds != 1 else "second"
    return f"{seconds // 60} minutes"


def whole_number(text: str, error: str) -> int:
    """``text`` as a non-negative int of at most 9 digits (0-9 only), else InvalidInput."""
    if not (text.isascii() and text.isdecimal() and len(text) <= 9):
        raise InvalidInput(error)
    return int(text)
