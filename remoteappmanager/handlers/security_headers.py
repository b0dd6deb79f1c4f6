"""The headers every answer of the service itself carries (kept apart from the
handlers, light to import: the Hub's probe of the service uses them too)."""

from __future__ import annotations

from tornado import web

# What every answer of the service itself carries (the dashboard has a policy of its
# own; the apps' answers, forwarded by the gateway, carry the apps' headers instead):
# nothing in an error page or a JSON document may run or load, and no browser may
# guess another type than the one said. Nothing may frame them either, except the
# gateway's own error pages, which the dashboard shows in the
# frame where the app was.
FRAMEABLE_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'"
OWN_POLICY = f"{FRAMEABLE_POLICY}; frame-ancestors 'none'"


def set_security_headers(handler: web.RequestHandler, frameable: bool = False) -> None:
    handler.set_header("Content-Security-Policy", FRAMEABLE_POLICY if frameable else OWN_POLICY)
    handler.set_header("X-Content-Type-Options", "nosniff")
