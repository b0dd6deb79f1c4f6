"""The viewer's pages of sharing, on the viewer's own service:

- ``{prefix}shared/open/<share id>``: "Open" on the dashboard's "Shared with me";
  sends the browser to the app's origin with a single-use ticket;
- ``{prefix}shared/link/<code>``: where a share link leads (through the Hub's
  ``user-redirect``, so that whoever opens it lands on their own service): the code
  becomes the viewer's share, then opens as above.

A person reads these, not a script: a refusal is a short page that says why, with a
way back to the dashboard.
"""

from __future__ import annotations

import html
from http import HTTPStatus
from typing import Any

from tornado import web

from ..errors import RemoteAppError
from .base import BaseHandler


class SharedPageHandler(BaseHandler):
    async def open_share(self, share_id: str) -> None:
        target = await self.sharing.open(share_id, self.groups, self.requester)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")  # the ticket stays here
        self.redirect(target)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, RemoteAppError):
            message = error.message
        elif isinstance(error, web.HTTPError) and error.log_message and status_code < 500:
            message = error.log_message % error.args if error.args else error.log_message
        else:
            message = "the service failed; the administrator can find the details in its log"
        title = HTTPStatus(status_code).phrase
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(
            "<!doctype html><meta charset=utf-8><title>{title}</title>"
            "<body style='font-family:sans-serif;max-width:40em;margin:4em auto'>"
            "<h1>{title}</h1><p>{message}.</p>"
            "<p><a href='{home}'>Back to your applications</a></p>".format(
                title=html.escape(title),
                message=html.escape(message[:1].upper() + message[1:]),
                home=html.escape(self.settings["base_url"], quote=True),
            )
        )


class OpenShareHandler(SharedPageHandler):
    @web.authenticated
    async def get(self, share_id: str) -> None:
        self.require_owner()
        await self.open_share(share_id)


class ShareLinkHandler(SharedPageHandler):
    @web.authenticated
    async def get(self, code: str) -> None:
        self.require_owner()
        share_id = self.sharing.redeem_link(code, self.requester)
        await self.open_share(share_id)


def shared_routes(prefix: str) -> list[tuple[str, Any]]:
    return [
        (rf"{prefix}shared/open/([0-9a-f]{{32}})", OpenShareHandler),
        (rf"{prefix}shared/link/([A-Za-z0-9_-]{{1,64}})", ShareLinkHandler),
    ]
