"""The REST API of the user's own service, through the Hub's proxy, and what each refusal
means as an exit code (the one table of cli/exit_codes.py).

`RestClient` makes the requests and reads the answers; a `Transport` only carries them,
so that tests can answer in its place. `UrllibTransport`, the real one, is the standard
library's: the command starts fast and needs nothing installed.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol
from urllib.parse import quote, urlencode, urljoin, urlsplit

from ...errors import InvalidInput, RemoteAppError
from ...naming import url_path_name
from ..exit_codes import (
    CONFLICT,
    INVALID,
    NOT_FOUND,
    REFUSED,
    START_FAILED,
    UNAVAILABLE,
    UNEXPECTED,
)

# Exit codes of API answers; 401 and 403 are REFUSED, other 4xx INVALID, the rest
# UNEXPECTED.
EXIT_BY_STATUS = {
    404: NOT_FOUND,
    409: CONFLICT,
    424: UNAVAILABLE,
    502: START_FAILED,
    503: UNAVAILABLE,
}

DEFAULT_TIMEOUT = 120.0  # starting an app waits until it answers

ADMIN_API = "admin/"  # under the user API of the caller's own service


class RequestFailed(RemoteAppError):
    """The Hub or the service refused a request, or could not be reached."""

    def __init__(self, message: str, exit_code: int, service_message: str | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        # A 401 or 403 of the service: its own words, which `message` replaces with what
        # is wrong with the token until the service is seen to accept the token.
        self.service_message = service_message


def admin_path(*parts: object) -> str:
    """The path of an admin resource, each part quoted (a user name may hold ``/``)."""
    return ADMIN_API + "/".join(quote(str(part), safe="") for part in parts)


# -- what a transport carries --


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Response:
    """An answer, of any status."""

    status: int
    body: bytes = b""
    reason: str = ""  # the status line's words, "Not Found"
    location: str | None = None  # where a redirect that was not followed points


class Transport(Protocol):
    """Carries a request to the Hub and brings back its answer."""

    def send(self, request: Request) -> Response:
        """The answer, whatever its status; `OSError` or `http.client.HTTPException`
        when there is none (no connection, no TLS, no answer in time)."""
        ...


class UrllibTransport:
    """The standard library's HTTP, with its TLS context and a timeout; it follows
    only the redirects `_HubRedirects` allows."""

    def __init__(
        self, ssl_context: ssl.SSLContext | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            _HubRedirects(), urllib.request.HTTPSHandler(context=ssl_context)
        )

    def send(self, request: Request) -> Response:
        sent = urllib.request.Request(
            request.url, data=request.body, headers=dict(request.headers), method=request.method
        )
        try:
            with self._opener.open(sent, timeout=self.timeout) as answer:
                return Response(answer.status, answer.read(), answer.reason)
        except urllib.error.HTTPError as error:  # any status but 2xx
            return Response(
                error.code, read_quietly(error), error.reason, error.headers.get("Location")
            )


class _HubRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a read that the Hub sends to itself: a request to a server that is not
    running goes from /user/... to /hub/user/..., which answers why. Never carries the
    token to another site, never turns a write into a read, and never follows to the
    login page (the token was refused)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if (
            req.get_method() != "GET"
            or origin(newurl) != origin(req.full_url)
            or is_login_page(newurl)
        ):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def is_login_page(url: str) -> bool:
    return urlsplit(url).path.endswith("/hub/login")


def read_quietly(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except (OSError, http.client.HTTPException):
        return b""


# -- the client --


class RestClient:
    """The REST API of the user's service, through the Hub's proxy.

    Every method raises `RequestFailed`, with the service's message and an exit code,
    when the answer is not a success.
    """

    def __init__(
        self,
        url: str,
        token: str,
        user: str | None = None,
        *,
        transport: Transport | None = None,
    ) -> None:
        self.url = url
        self._token = token
        self._user = user
        self._transport = transport or UrllibTransport()

    @property
    def user(self) -> str:
        if self._user is None:
            self._user = self.whoami()
        return self._user

    @property
    def api_url(self) -> str:
        return f"{self.url}user/{url_path_name(self.user)}/api/v1/"

    def public_url(self, path: str) -> str:
        """The full URL of a path the API gives (``/user/alice/containers/...``)."""
        return urljoin(self.url, path)

    def whoami(self) -> str:
        _, model = self.call("GET", f"{self.url}hub/api/user")
        if not isinstance(model, dict) or model.get("kind", "user") != "user":
            raise InvalidInput("the token is not a user's: give the user with --user")
        return str(model["name"])

    def get(self, path: str, query: Mapping[str, object] | None = None) -> Any:
        return self.request("GET", path, query=query)[1]

    def get_every_item(self, path: str, query: Mapping[str, object] | None = None) -> list[Any]:
        """Every item of a paged list (``{"items", "total", "offset", "limit"}``).

        The first page is the one ``query`` asks for; each next one starts where the
        last ended, until ``total``. An empty page ends it too, so that rows removed
        meanwhile cannot make it ask forever.
        """
        items: list[Any] = []
        asked = dict(query or {})
        while True:
            page = self.get(path, asked)
            items += page["items"]
            if not page["items"]:
                return items
            asked["offset"] = page["offset"] + len(page["items"])
            if asked["offset"] >= page["total"]:
                return items

    def post(self, path: str, body: object) -> tuple[int, Any]:
        return self.request("POST", path, body)

    def patch(self, path: str, body: object) -> Any:
        return self.request("PATCH", path, body)[1]

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)[1]

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        query: Mapping[str, object] | None = None,
    ) -> tuple[int, Any]:
        """A request to the API at ``path`` under `api_url`; the query leaves out Nones."""
        url = urljoin(self.api_url, path)
        given = {name: value for name, value in (query or {}).items() if value is not None}
        if given:
            url = f"{url}?{urlencode(given)}"
        try:
            return self.call(method, url, body)
        except RequestFailed as error:
            if error.exit_code != REFUSED:
                raise
            raise self._what_was_refused(path, error) from None

    def _what_was_refused(self, path: str, error: RequestFailed) -> RequestFailed:
        """A refusal, once the service says whether it takes the token for the user API.

        If it does, the token is good: the admin API refused a user who is not an
        administrator, or the service refused the request itself (a grant that does not
        allow sharing, a site without app origins), in its own words. If not, the token
        is what failed, as ``error`` says.
        """
        is_admin_path = path.startswith(ADMIN_API)
        if not (is_admin_path or error.service_message) or not self._accepts("applications"):
            return error
        if is_admin_path and not self._accepts(admin_path("stats")):
            return RequestFailed(
                f"{self.user} is not an administrator of the site: this command is for "
                "administrators only",
                REFUSED,
            )
        if error.service_message:
            return RequestFailed(error.service_message, REFUSED)
        return error

    def _accepts(self, path: str) -> bool:
        """Whether the user's service answers a GET of ``path`` with this token; only
        a refusal counts as no (an answer of 503 says nothing of the token)."""
        try:
            self.call("GET", urljoin(self.api_url, path))
        except RequestFailed as error:
            return error.exit_code != REFUSED
        return True

    def call(self, method: str, url: str, body: object = None) -> tuple[int, Any]:
        """Send a request; return the status and the decoded JSON answer (None if empty)."""
        headers = {"Authorization": f"token {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self._transport.send(Request(method, url, headers, data))
        except (OSError, http.client.HTTPException) as error:
            raise RequestFailed(f"cannot reach {url}: {describe(error)}", UNEXPECTED) from None
        if not 200 <= response.status < 300:
            raise self._refusal(url, response)
        if not response.body:
            return response.status, None
        try:
            return response.status, json.loads(response.body)
        except ValueError:
            raise RequestFailed(
                f"{url} answered something else than JSON: is {self.url} the Hub's public URL?",
                UNEXPECTED,
            ) from None

    def _refusal(self, url: str, response: Response) -> RequestFailed:
        if 300 <= response.status < 400:
            location = urljoin(url, response.location or "")
            if is_login_page(location):
                return RequestFailed(f"the Hub at {self.url} did not accept the token", REFUSED)
            return RequestFailed(
                f"{url} redirects to {location}: is {self.url} the Hub's public URL?", UNEXPECTED
            )
        message = error_message(response.body)
        if response.status in (401, 403):
            refused = self._token_refused(by_service=message is not None)
            refused.service_message = message
            return refused
        exit_code = EXIT_BY_STATUS.get(
            response.status, INVALID if 400 <= response.status < 500 else UNEXPECTED
        )
        return RequestFailed(message or f"HTTP {response.status} {response.reason}", exit_code)

    def _token_refused(self, by_service: bool) -> RequestFailed:
        # self._user, not self.user: asking the Hub who it is may be what failed.
        user = self._user
        if user is None:
            return RequestFailed(f"the Hub at {self.url} did not accept the token", REFUSED)
        if not by_service:  # a page of the Hub: the request never reached the service
            return RequestFailed(
                f"the Hub refused the request: the token is not valid for {user}, or "
                f"{user}'s server is not running (start it at {self.url}hub/home)",
                REFUSED,
            )
        # The service's own message is meant for browsers; the token is what failed.
        return RequestFailed(
            f"{user}'s service refused the token: it must be a valid token of {user}'s, "
            "allowed to access their server",
            REFUSED,
        )


def error_message(body: bytes) -> str | None:
    """The message of an error answer: the service's ``{"error": {"message"}}`` or
    the Hub's ``{"message"}``."""
    try:
        content = json.loads(body)
    except ValueError:
        return None
    if isinstance(content, dict) and isinstance(content.get("error"), dict):
        content = content["error"]
    message = content.get("message") if isinstance(content, dict) else None
    return message if isinstance(message, str) and message else None


def describe(error: BaseException) -> str:
    """Why a connection failed, in words rather than a repr."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (
            f"its TLS certificate is not trusted ({reason.verify_message}): "
            "give --ca-file, or --insecure to skip verification"
        )
    if isinstance(reason, ssl.SSLError):
        return f"the TLS handshake failed ({reason.reason or reason}): is it an https URL?"
    if isinstance(reason, TimeoutError):
        return "no answer in time (see --timeout)"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__
