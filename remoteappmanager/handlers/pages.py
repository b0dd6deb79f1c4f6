"""The dashboard: the page built from ``frontend/`` (Vue, by Vite) and its assets.

The page is the same for everyone; what it needs to know (who is logged in, where
the API is, whether the admin pages are for them) goes into its JSON config block.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tornado import web

from .. import __version__
from .base import BaseHandler

DASHBOARD = Path(__file__).resolve().parents[1] / "static" / "dashboard"
CONFIG_PLACEHOLDER = "__REMOTEAPPMANAGER_CONFIG__"


def content_security_policy(app_origins: str) -> str:
    """The page runs only its own scripts and talks only to its own service; the apps
    it shows in a frame are under its origin (the gateway), or on their own
    (``app_origins``, e.g. ``http://*.alice.hub.example.org``), which it may ping."""
    apps = f" {app_origins}" if app_origins else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            f"frame-src 'self'{apps}",
            f"connect-src 'self'{apps}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",  # it frames apps, and is framed by nothing
        )
    )


@cache
def dashboard_page() -> str | None:
    try:
        return (DASHBOARD / "index.html").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def config_json(config: dict[str, Any]) -> str:
    """JSON that cannot end the <script> block it sits in, whatever the user's name."""
    text = json.dumps(config, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class HomeHandler(BaseHandler):
    @web.authenticated
    def get(self) -> None:
        user = self.require_owner()
        page = dashboard_page()
        if page is None:
            raise web.HTTPError(503, "the dashboard is not built: run `make frontend`")
        base_url: str = self.settings["base_url"]
        config = {
            "user": user,
            "base_url": base_url,
            "api_url": self.api_url,
            "hub_url": self.settings["hub_url"],
            "admin": self.is_admin,
            "xsrf_token": self.xsrf_token.decode(),
            "version": __version__,
        }
        policy = content_security_policy(self.containers.app_origins_source())
        self.set_header("Content-Security-Policy", policy)
        self.set_header("Cache-Control", "no-store")
        self.finish(page.replace(CONFIG_PLACEHOLDER, config_json(config)))


class LogoutHandler(BaseHandler):
    """``{prefix}logout``, the dashboard's "Log out": the owner's app sessions end at
    once, the browser drops what this origin stored (a service worker or storage that
    an app left under the user's origin), then the Hub logs the user out and clears
    its cookies (this answer keeps them: the Hub needs them to end its session)."""

    def get(self) -> None:
        if self.user_name == self.owner:  # nobody else ends the owner's sessions
            self.settings["app_sessions"].end_all()
        self.set_header("Clear-Site-Data", '"cache", "storage"')
        self.redirect(f"{self.settings['hub_url']}logout")


class AssetHandler(web.StaticFileHandler):
    """The page's scripts and styles: names carry a hash of the content, so they are
    cached for good."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        self.set_header("X-Content-Type-Options", "nosniff")


def page_routes(prefix: str) -> list[tuple[str, Any, dict[str, Any]] | tuple[str, Any]]:
    return [
        (rf"{prefix}assets/(.*)", AssetHandler, {"path": str(DASHBOARD / "assets")}),
        (rf"{prefix}logout", LogoutHandler),
        (rf"{prefix}?", HomeHandler),
    ]
