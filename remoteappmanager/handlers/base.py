"""Base handlers: who is asking, the services, and errors as JSON."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from jupyterhub.services.auth import HubOAuth, HubOAuthenticated, UserNotAllowed
from tornado import web
from tornado.http1connection import HTTP1Connection
from tornado.httputil import HTTPServerRequest

from ..errors import LoginTooOld, RemoteAppError, RequestError
from ..services.audit import Requester
from ..services.containers import ContainerService
from ..services.culler import Culler
from ..services.sharing import Sharing
from .security_headers import set_security_headers

MAX_JSON_BODY = 64 * 1024
# Over the bound, a body up to this size is read and dropped, so that the 413 reaches
# the client through the proxy (CHP answers its own 503 when the connection closes
# under an upload); a larger one is refused at once and its connection closed.
MAX_DRAINED_BODY = 1024 * 1024


def is_same_origin(origin: str, request: HTTPServerRequest) -> bool:
    """Whether an ``Origin`` header names the origin the request went to: scheme and
    host (with port) alike; an https page may not write to its http twin."""
    parts = urlsplit(origin)
    return (parts.scheme, parts.netloc.lower()) == (request.protocol, request.host.lower())


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    """Every page and API call: the Hub says who the user is; only the owner gets in."""

    def set_default_headers(self) -> None:
        set_security_headers(self)

    @property
    def hub_auth(self) -> HubOAuth:
        auth: HubOAuth = self.settings["hub_auth"]
        return auth

    @hub_auth.setter
    def hub_auth(self, auth: HubOAuth) -> None:  # HubAuthenticated assigns it
        self.settings["hub_auth"] = auth

    @property
    def owner(self) -> str:
        owner: str = self.settings["owner"]
        return owner

    @property
    def api_url(self) -> str:
        """The REST API's absolute path, ``{prefix}api/v1/``."""
        base_url: str = self.settings["base_url"]
        return f"{base_url}api/v1/"

    @property
    def containers(self) -> ContainerService:
        service: ContainerService = self.settings["container_service"]
        return service

    @property
    def culler(self) -> Culler:
        culler: Culler = self.settings["culler"]
        return culler

    @property
    def sharing(self) -> Sharing:
        sharing: Sharing = self.settings["sharing"]
        return sharing

    @property
    def groups(self) -> list[str]:
        """The Hub groups the user is in, as the Hub says."""
        return list((self.current_user or {}).get("groups") or ())

    async def prepare(self) -> None:
        # Ask the Hub (cached) without blocking the event loop.
        model = await self.hub_auth.get_user(self, sync=False)
        # Someone the Hub knows but who may not use this service (not a stranger).
        self.someone_else = False
        if model is not None:
            try:
                model = self.check_hub_user(model)
            except UserNotAllowed:
                model, self.someone_else = None, True
        self._hub_auth_user_cache = model
        self.current_user = model
        if model is not None and model.get("session_id") and model["name"] == self.owner:
            self.settings["login_sessions"].seen(model["session_id"])
        self.check_origin_of_write()

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, RemoteAppError):
            log = self.log.warning if value.status >= 500 else self.log.info
            log("%s %s: %s", self.request.method, self.request.path, value.log_message)
            return
        super().log_exception(typ, value, tb)

    @property
    def log(self) -> Any:
        return self.settings["log"]

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, RemoteAppError):
            status_code = error.status
        super().send_error(status_code, **kwargs)

    def check_origin_of_write(self) -> None:
        """A cookie-authenticated write must come from a page of this site."""
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return
        origin = self.request.headers.get("Origin")
        if origin is not None and not is_same_origin(origin, self.request):
            raise web.HTTPError(403, "cross-origin request refused")

    @property
    def user_name(self) -> str | None:
        return self.current_user["name"] if self.current_user else None

    @property
    def is_admin(self) -> bool:
        """Whether the Hub says the user is an admin, or puts them in an admin group."""
        model = self.current_user
        if not model:
            return False
        groups = set(model.get("groups") or ()) & set(self.settings.get("admin_groups", ()))
        return bool(model.get("admin")) or bool(groups)

    @property
    def requester(self) -> Requester:
        """How this request asks, for the audit log: the Hub says which session or
        token its credential belongs to."""
        model = self.current_user or {}
        session_id, token_id = model.get("session_id"), model.get("token_id")
        return Requester(
            via="browser session" if session_id else "token",
            credential_id=session_id or token_id,
            client=self.request.remote_ip,
            user_agent=self.request.headers.get("User-Agent"),
        )

    def require_owner(self) -> str:
        """The owner's name; anyone else is refused."""
        if self.current_user is None:
            # A cookie without the X-XSRFToken header on a write counts as no login.
            raise web.HTTPError(403, "log in first (writes need the X-XSRFToken header)")
        if self.user_name != self.owner:
            raise web.HTTPError(403, "this is not your service")
        return self.owner


@web.stream_request_body
class APIHandler(BaseHandler):
    """JSON in, JSON out; errors as {"error": {"code", "message"}}, never a traceback.

    The body is streamed in, so that at most ``MAX_JSON_BODY`` bytes of it are ever
    kept: buffered, tornado would hold up to 100 MB before a handler could refuse it.
    """

    _body: bytes | None = b""  # None once the body outgrew MAX_JSON_BODY

    async def prepare(self) -> None:
        await super().prepare()
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_DRAINED_BODY:
            raise RequestError(413, f"the body is larger than {MAX_JSON_BODY} bytes")
        if isinstance(self.request.connection, HTTP1Connection):
            self.request.connection.set_max_body_size(MAX_DRAINED_BODY)

    def data_received(self, chunk: bytes) -> None:
        if self._body is not None and len(self._body) + len(chunk) <= MAX_JSON_BODY:
            self._body += chunk
        else:
            self._body = None

    def get_login_url(self) -> str:
        raise web.HTTPError(403, "log in first")  # an API never redirects to a login page

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")

    def json_body(self, allowed: set[str]) -> dict[str, Any]:
        """The request's JSON object; anything else is a 400 that says why."""
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type.lower() != "application/json":  # media types ignore case
            raise RequestError(415, "send JSON with Content-Type: application/json")
        if self._body is None:
            raise RequestError(413, f"the body is larger than {MAX_JSON_BODY} bytes")
        try:
            body = json.loads(self._body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise RequestError(400, "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise RequestError(400, "the body must be a JSON object")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise RequestError(
                400,
                f"unknown field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})",
            )
        return body

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(value))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # A refusal from prepare() comes before the (streamed) body was read, and
        # tornado then closes the connection: say so, or the proxy, which keeps its
        # connections to the service alive, would send its next request into it.
        self.set_header("Connection", "close")
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, RemoteAppError):
            message = error.message
        elif isinstance(error, web.HTTPError) and error.log_message and status_code < 500:
            message = error.log_message % error.args if error.args else error.log_message
        elif status_code < 500:
            message = HTTPStatus(status_code).phrase
        else:
            message = "the service failed; the administrator can find the details in its log"
        body: dict[str, Any] = {"code": status_code, "message": message}
        if isinstance(error, LoginTooOld):
            body["login_again"] = error.login_again
        self.finish(json.dumps({"error": body}))
