"""`remoteapprest`: use the remoteappmanager REST API from the command line.

It talks to the user's own service through JupyterHub's proxy, at
``{url}user/{user}/api/v1/``, with a JupyterHub API token: the user API for one's own
applications, and the admin API under ``admin/`` for the site's administrators (the
service decides who is one). Only the standard library and the package's
dependency-free modules are imported, so that it starts fast.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import ssl
import stat
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from ..errors import InvalidInput, RemoteAppError
from ..naming import url_path_name
from .exit_codes import (
    CONFLICT,
    EXIT_CODES,
    INVALID,
    NOT_FOUND,
    REFUSED,
    START_FAILED,
    UNAVAILABLE,
    UNEXPECTED,
)
from .output import (
    format_fields,
    format_table,
    plural,
    print_json,
    said,
    when,
    yes_or_no,
)
from .policy_options import add_policy_options

ADMINISTRATION = """\
administration:
  The commands marked (admin) - user, grant, container, stats, audit, and app list,
  show, create, update and remove - call the admin API of your own service, so your
  server must be running. They are for the site's administrators: the Hub's admins,
  and the members of the groups the service takes for administrators. The service
  checks; anyone else is refused (exit 8).
"""

CONFIGURATION = """\
configuration:
  Each of the Hub's URL, the user and the token comes from its option, else from
  $JUPYTERHUB_URL, $JUPYTERHUB_USER, $JUPYTERHUB_API_TOKEN, else from the JSON
  config file (keys "url", "user", "token"; default ~/.config/remoteapprest.json),
  which may be readable by its owner only (chmod 600). Without a user, the Hub is
  asked whose token it is.
"""

SETTINGS_ENV = {"url": "JUPYTERHUB_URL", "user": "JUPYTERHUB_USER", "token": "JUPYTERHUB_API_TOKEN"}

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

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- configuration --


@dataclass(frozen=True)
class Settings:
    """Where the Hub is, and who asks."""

    url: str
    token: str
    user: str | None  # None: ask the Hub whose token it is


def default_config_path() -> Path:
    return Path.home() / ".config" / "remoteapprest.json"


def load_settings(
    options: Mapping[str, str | None], environ: Mapping[str, str], config: Path | None
) -> Settings:
    """Each setting from its option, else the environment, else the config file.

    ``config`` None reads the default file if there is one; a given file must exist.
    """
    from_file = read_config(config or default_config_path(), required=config is not None)

    def setting(key: str) -> str | None:
        return options.get(key) or environ.get(SETTINGS_ENV[key]) or from_file.get(key)

    url, token = setting("url"), setting("token")
    if not url:
        raise InvalidInput(missing("Hub URL", "url"))
    if not token:
        raise InvalidInput(missing("API token", "token"))
    return Settings(url=hub_url(url), token=token, user=setting("user"))


def missing(what: str, key: str) -> str:
    return f"no {what}: give --{key}, set ${SETTINGS_ENV[key]} or put {key!r} in the config file"


def read_config(path: Path, required: bool) -> dict[str, str]:
    try:
        with open(path, "rb") as file:
            # Checked on the open file, so that it is the file that is read.
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:
                raise InvalidInput(
                    f"{path} may hold a token but group or others may access it "
                    f"(mode {mode:04o}): run `chmod 600 {path}`"
                )
            content = json.loads(file.read())
    except FileNotFoundError:
        if required:
            raise InvalidInput(f"there is no config file {path}") from None
        return {}
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError:
        raise InvalidInput(f"{path} is not valid JSON") from None
    if not isinstance(content, dict):
        raise InvalidInput(f'{path} must hold a JSON object, like {{"url": "...", "token": "..."}}')
    for key, value in content.items():
        if key not in SETTINGS_ENV:
            raise InvalidInput(f"{path}: unknown key {key!r} (known: url, user, token)")
        if not isinstance(value, str):
            raise InvalidInput(f"{path}: {key!r} must be a string")
    return content


def hub_url(url: str) -> str:
    """The Hub's public URL, ending in ``/`` so that paths join under it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidInput(
            f"the Hub URL must be like https://hub.example.org/ (its public URL), not {url!r}"
        )
    return url if url.endswith("/") else f"{url}/"


def tls_context(insecure: bool, ca_file: str | None) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=ca_file)
    except OSError as error:  # ssl.SSLError is one too
        raise InvalidInput(f"cannot use the CA file {ca_file}: {error.strerror or error}") from None


# -- the client --


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
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url
        self._token = token
        self._user = user
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            _HubRedirects(), urllib.request.HTTPSHandler(context=ssl_context)
        )

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
            # If the service takes the token for the user API, the admin API refused
            # the user, not the token.
            if (
                error.exit_code == REFUSED
                and path.startswith(ADMIN_API)
                and self._service_accepts_token()
            ):
                raise RequestFailed(
                    f"{self.user} is not an administrator of the site: this command is for "
                    "administrators only",
                    REFUSED,
                ) from None
            raise

    def _service_accepts_token(self) -> bool:
        """Whether the user's service accepts the token for the user API."""
        try:
            self.call("GET", urljoin(self.api_url, "applications"))
        except RequestFailed:
            return False
        return True

    def call(self, method: str, url: str, body: object = None) -> tuple[int, Any]:
        """Send a request; return the status and the decoded JSON answer (None if empty)."""
        request = urllib.request.Request(url, method=method)
        request.add_header("Authorization", f"token {self._token}")
        request.add_header("Accept", "application/json")
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            raise self._refusal(url, error) from None
        except (OSError, http.client.HTTPException) as error:
            raise RequestFailed(f"cannot reach {url}: {describe(error)}", 1) from None
        if not data:
            return status, None
        try:
            return status, json.loads(data)
        except ValueError:
            raise RequestFailed(
                f"{url} answered something else than JSON: is {self.url} the Hub's public URL?", 1
            ) from None

    def _refusal(self, url: str, error: urllib.error.HTTPError) -> RequestFailed:
        if 300 <= error.code < 400:
            location = urljoin(url, error.headers.get("Location", ""))
            if is_login_page(location):
                return RequestFailed(f"the Hub at {self.url} did not accept the token", REFUSED)
            return RequestFailed(
                f"{url} redirects to {location}: is {self.url} the Hub's public URL?", 1
            )
        message = error_message(read_quietly(error))
        if error.code in (401, 403):
            return self._token_refused(by_service=message is not None)
        exit_code = EXIT_BY_STATUS.get(
            error.code, INVALID if 400 <= error.code < 500 else UNEXPECTED
        )
        return RequestFailed(message or f"HTTP {error.code} {error.reason}", exit_code)

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


def read_quietly(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read()
    except (OSError, http.client.HTTPException):
        return b""


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


# -- app, your own applications --


def app_available(args: argparse.Namespace, client: RestClient) -> None:
    applications = client.get("applications")["items"]
    if args.json:
        print_json(applications)
        return
    rows = [
        (
            app["mapping_id"],
            app["name"],
            app["image"],
            ",".join(each["name"] for each in app["configurables"]) or "-",
            app["container"]["url_id"] if app["container"] else "-",
        )
        for app in applications
    ]
    print(format_table(("MAPPING_ID", "NAME", "IMAGE", "SETTINGS", "RUNNING"), rows))


def app_running(args: argparse.Namespace, client: RestClient) -> None:
    containers = client.get("containers")["items"]
    if args.json:
        print_json(containers)
        return
    names = {app["mapping_id"]: app["name"] for app in client.get("applications")["items"]}
    rows = [
        (
            container["url_id"],
            names.get(container["mapping_id"], container["image"]),
            container["state"],
            client.public_url(container["url"]),
        )
        for container in containers
    ]
    print(format_table(("URL_ID", "NAME", "STATE", "URL"), rows))


def app_start(args: argparse.Namespace, client: RestClient) -> None:
    configurables = {
        name: value
        for name, value in (("resolution", args.resolution), ("startupdata", args.startupdata))
        if value is not None
    }
    status, container = client.post(
        "containers", {"mapping_id": args.mapping_id, "configurables": configurables}
    )
    if status == 200:
        print("remoteapprest: it was running already, unchanged", file=sys.stderr)
    if args.json:
        print_json(container)
    else:
        print(client.public_url(container["url"]))


def app_stop(args: argparse.Namespace, client: RestClient) -> None:
    client.delete(f"containers/{quote(args.url_id, safe='')}")
    report_stopped(args, args.url_id)


def report_stopped(args: argparse.Namespace, url_id: str) -> None:
    """The API answers a stop with nothing; this says which container stopped."""
    if args.json:
        print_json({"url_id": url_id, "stopped": True})
    else:
        print(f"stopped {url_id}")


# -- the admin API: users --


def admin_path(*parts: object) -> str:
    """The path of an admin resource, each part quoted (a user name may hold ``/``)."""
    return ADMIN_API + "/".join(quote(str(part), safe="") for part in parts)


USER_COLUMNS = ("NAME", "GRANTS", "RUNNING", "CREATED")


def user_row(user: Any) -> tuple[object, ...]:
    return (user["name"], user["grant_count"], user["running_count"], when(user["created_at"]))


def user_list(args: argparse.Namespace, client: RestClient) -> None:
    query = {"q": args.search, "offset": args.offset, "limit": args.limit}
    show_items(args, client.get(admin_path("users"), query), USER_COLUMNS, user_row)


def user_show(args: argparse.Namespace, client: RestClient) -> None:
    show(args, client.get(admin_path("users", args.name)), describe_user)


def user_create(args: argparse.Namespace, client: RestClient) -> None:
    _, user = client.post(admin_path("users"), {"name": args.name})
    show(args, user, lambda user: f"created the user {user['name']!r}")


def user_remove(args: argparse.Namespace, client: RestClient) -> None:
    removed = client.delete(admin_path("users", args.name))
    show(
        args,
        removed,
        lambda removed: (
            f"removed the user {args.name!r} and "
            f"{plural(removed['grants'], 'grant')}{said(removed['stopped'])}"
        ),
    )


def describe_user(user: Any) -> str:
    """The user, then their grants and their containers."""
    parts = [
        format_fields(
            [
                ("name", user["name"]),
                ("created", when(user["created_at"])),
                ("grants", user["grant_count"]),
                ("running", user["running_count"]),
            ]
        )
    ]
    if user["grants"]:
        parts.append(format_table(GRANT_COLUMNS, [grant_row(g) for g in user["grants"]]))
    if user["containers"]:
        containers = [container_row(c) for c in user["containers"]]
        parts.append(format_table(CONTAINER_COLUMNS, containers))
    return "\n\n".join(parts)


# -- the admin API: applications --

APPLICATION_COLUMNS = ("ID", "IMAGE", "NAME", "TYPE", "ON_ENGINE", "GRANTS")


def application_row(application: Any) -> tuple[object, ...]:
    labels = application["labels"]
    return (
        application["id"],
        application["image"],
        labels["name"],
        labels["type"],
        yes_or_no(labels["available"]),
        application["grant_count"],
    )


def app_list(args: argparse.Namespace, client: RestClient) -> None:
    query = {"q": args.search, "offset": args.offset, "limit": args.limit}
    page = client.get(admin_path("applications"), query)
    show_items(args, page, APPLICATION_COLUMNS, application_row)


def app_show(args: argparse.Namespace, client: RestClient) -> None:
    show(args, client.get(admin_path("applications", args.app_id)), describe_application)


def app_create(args: argparse.Namespace, client: RestClient) -> None:
    body = {"image": args.image, "verify": args.verify}
    body.update(
        (field, value)
        for field, value in (("display_name", args.display_name), ("description", args.description))
        if value is not None
    )
    try:
        _, application = client.post(admin_path("applications"), body)
    except RequestFailed as error:
        if error.exit_code == 3 and args.verify:  # the engine has no such image
            raise RequestFailed(f"{error.message}, or pass --no-verify", 3) from None
        raise
    if not application["labels"]["available"]:
        print(
            "remoteapprest: the Docker engine has no such image yet: nobody can start "
            "the application until it is built or pulled",
            file=sys.stderr,
        )
    show(
        args,
        application,
        lambda app: f"created the application {app['id']}: {app['image']}",
    )


def app_update(args: argparse.Namespace, client: RestClient) -> None:
    # A field left out is unchanged; null clears the override (the image's label shows).
    changes = {
        field: None if clear else value
        for field, value, clear in (
            ("display_name", args.display_name, args.clear_display_name),
            ("description", args.description, args.clear_description),
        )
        if clear or value is not None
    }
    if not changes:
        raise InvalidInput(
            "nothing to change: give --display-name, --clear-display-name, --description "
            "or --clear-description"
        )
    application = client.patch(admin_path("applications", args.app_id), changes)
    show(args, application, lambda app: f"updated the application {app['id']}: {app['image']}")


def app_remove(args: argparse.Namespace, client: RestClient) -> None:
    removed = client.delete(admin_path("applications", args.app_id))
    show(
        args,
        removed,
        lambda removed: (
            f"removed the application {args.app_id} and "
            f"{plural(removed['grants'], 'grant')}{said(removed['stopped'])}"
        ),
    )


def describe_application(application: Any) -> str:
    labels = application["labels"]
    return format_fields(
        [
            ("id", application["id"]),
            ("image", application["image"]),
            ("name", labels["name"]),
            ("description", labels["description"] or "-"),
            ("type", labels["type"]),
            ("on the engine", yes_or_no(labels["available"])),
            # What the admin set over the image's labels.
            ("display name set", application["display_name"] or "-"),
            ("description set", application["description"] or "-"),
            ("grants", application["grant_count"]),
            ("created", when(application["created_at"])),
        ]
    )


def application_id(text: str) -> int:
    """An application id on the command line: a whole number, as `app list` shows."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an application id (a whole number, from `app list`)"
        )
    return int(text)


# -- the admin API: grants --

GRANT_COLUMNS = ("MAPPING_ID", "USER", "APP_ID", "IMAGE", "POLICY", "RUNNING")


def grant_row(grant: Any) -> tuple[object, ...]:
    return (
        grant["mapping_id"],
        grant["user"],
        grant["application_id"],
        grant["image"],
        describe_policy(grant["policy"]),
        grant["container"]["url_id"] if grant["container"] else "-",
    )


def grant_list(args: argparse.Namespace, client: RestClient) -> None:
    query = {"user": args.user_name, "application_id": args.app}
    show_items(args, client.get(admin_path("grants"), query), GRANT_COLUMNS, grant_row)


def grant_show(args: argparse.Namespace, client: RestClient) -> None:
    show(args, client.get(admin_path("grants", args.mapping_id)), describe_grant)


def grant_create(args: argparse.Namespace, client: RestClient) -> None:
    body = {"user": args.user_name, "application_id": args.app_id, "policy": policy_json(args)}
    status, grant = client.post(admin_path("grants"), body)
    if status == 200:
        print(f"remoteapprest: {grant['user']} had this grant already, unchanged", file=sys.stderr)
    show(
        args, grant, lambda grant: f"created {summary(grant)}" if status == 201 else summary(grant)
    )


def grant_update(args: argparse.Namespace, client: RestClient) -> None:
    grant = client.patch(admin_path("grants", args.mapping_id), {"policy": policy_json(args)})
    show(args, grant, lambda grant: f"updated {summary(grant)}")


def grant_remove(args: argparse.Namespace, client: RestClient) -> None:
    removed = client.delete(admin_path("grants", args.mapping_id))
    show(
        args,
        removed,
        lambda removed: f"removed the grant {args.mapping_id}{said(removed['stopped'])}",
    )


def policy_json(args: argparse.Namespace) -> dict[str, object]:
    """The whole policy the options give; the service checks it."""
    return {
        "allow_home": args.allow_home,
        "allow_view": args.allow_view,
        "allow_startup_data": args.allow_startup_data,
        "volume": args.volume,
        "app_license": args.app_license,
    }


def describe_policy(policy: Any) -> str:
    """A policy in a few words, as `remoteappdb user list --show-apps` writes it."""
    words = [
        word
        for word, allowed in (
            ("home", policy["allow_home"]),
            ("view", policy["allow_view"]),
            ("startup-data", policy["allow_startup_data"]),
        )
        if allowed
    ]
    if policy["volume"]:
        words.append(f"volume={policy['volume']}")
    if policy["app_license"]:
        words.append("license")
    return ",".join(words) or "-"


def summary(grant: Any) -> str:
    return (
        f"the grant {grant['mapping_id']}: {grant['user']} may run {grant['image']} "
        f"({describe_policy(grant['policy'])})"
    )


def describe_grant(grant: Any) -> str:
    policy, container = grant["policy"], grant["container"]
    licence = policy["app_license"]
    return format_fields(
        [
            ("mapping id", grant["mapping_id"]),
            ("user", grant["user"]),
            ("application", f"{grant['application_id']}: {grant['image']}"),
            ("home", yes_or_no(policy["allow_home"])),
            ("view", yes_or_no(policy["allow_view"])),
            ("startup data", yes_or_no(policy["allow_startup_data"])),
            ("volume", policy["volume"] or "-"),
            ("license", f"set ({len(licence)} characters)" if licence else "-"),
            ("running", f"{container['url_id']} ({container['state']})" if container else "-"),
            ("created", when(grant["created_at"])),
        ]
    )


# -- the admin API: containers, stats, audit --

CONTAINER_COLUMNS = ("URL_ID", "USER", "IMAGE", "STATE", "CREATED")


def container_row(container: Any) -> tuple[object, ...]:
    return (
        container["url_id"],
        container["user"],
        container["image"],
        container["state"],
        when(container["created_at"]),
    )


def container_list(args: argparse.Namespace, client: RestClient) -> None:
    show_items(args, client.get(admin_path("containers")), CONTAINER_COLUMNS, container_row)


def container_stop(args: argparse.Namespace, client: RestClient) -> None:
    client.delete(admin_path("containers", args.url_id))
    report_stopped(args, args.url_id)


def stats(args: argparse.Namespace, client: RestClient) -> None:
    show(
        args,
        client.get(admin_path("stats")),
        lambda numbers: format_fields([(name.replace("_", " "), n) for name, n in numbers.items()]),
    )


AUDIT_COLUMNS = ("AT", "ACTOR", "ACTION", "TARGET", "DETAILS")


def audit_row(entry: Any) -> tuple[object, ...]:
    details = entry["details"]
    return (
        when(entry["at"]),
        entry["actor"],
        entry["action"],
        entry["target"] or "-",
        json.dumps(details, ensure_ascii=False) if details else "-",
    )


def audit(args: argparse.Namespace, client: RestClient) -> None:
    query = {"offset": args.offset, "limit": args.limit}
    show_items(args, client.get(admin_path("audit"), query), AUDIT_COLUMNS, audit_row)


# -- output --


def show(args: argparse.Namespace, answer: Any, readable: Callable[[Any], str]) -> None:
    """The API's answer: unchanged with ``--json``, else made readable."""
    if args.json:
        print_json(answer)
    else:
        print(readable(answer))


def show_items(
    args: argparse.Namespace,
    answer: Any,
    header: Sequence[str],
    row: Callable[[Any], Sequence[object]],
) -> None:
    """A list (``{"items": [...]}``, a page with ``total``, ``offset``, ``limit`` too):
    unchanged with ``--json``, else a table; stderr says when there is more."""
    show(args, answer, lambda answer: format_table(header, [row(i) for i in answer["items"]]))
    if args.json or "total" not in answer:
        return
    shown_to = answer["offset"] + len(answer["items"])
    if answer["items"] and shown_to < answer["total"]:
        print(
            f"remoteapprest: {answer['offset'] + 1} to {shown_to} of {answer['total']} "
            f"shown; for the next ones, give --offset {shown_to}",
            file=sys.stderr,
        )


# -- the parser --

Command = Callable[[argparse.Namespace, RestClient], int | None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remoteapprest",
        description="Start, list and stop your remoteappmanager applications through "
        "JupyterHub, with a JupyterHub API token; administrators also manage the site's "
        "users, applications, grants and containers. Your server must be running on the Hub.",
        epilog=f"{CONFIGURATION}\n{ADMINISTRATION}\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    connection = parser.add_argument_group("connection")
    connection.add_argument(
        "--url", metavar="URL", help="the Hub's public URL, like https://hub.example.org/"
    )
    connection.add_argument("--user", metavar="NAME", help="whose service to use")
    connection.add_argument(
        "--token",
        metavar="TOKEN",
        help="a JupyterHub API token (others on this machine may see command lines: "
        "prefer $JUPYTERHUB_API_TOKEN or the config file)",
    )
    connection.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        help="the JSON config file (default: ~/.config/remoteapprest.json, if it exists)",
    )
    tls = connection.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", metavar="PATH", help="trust the certificates in this PEM file")
    tls.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the Hub's TLS certificate (anyone on the way can read the token)",
    )
    connection.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="how long to wait for an answer (default: %(default)s)",
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", help="print JSON, for scripts")
    groups = parser.add_subparsers(title="commands", required=True)

    def command_group(name: str, help: str) -> Any:
        sub = groups.add_parser(
            name,
            help=help,
            description=help,
            epilog=ADMINISTRATION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        return sub.add_subparsers(title="commands", required=True)

    def command(
        group: Any, name: str, run: Command, help: str, admin: bool = False
    ) -> argparse.ArgumentParser:
        if admin:
            help = f"(admin) {help}"
        sub: argparse.ArgumentParser = group.add_parser(
            name,
            help=help,
            description=help,
            parents=[output],
            epilog=f"{ADMINISTRATION}\n{EXIT_CODES}" if admin else EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    app = command_group(
        "app",
        "applications: yours (available, running, start, stop) and, for administrators, "
        "the site's (list, show, create, update, remove)",
    )
    command(
        app,
        "available",
        app_available,
        "list the applications you may run, their settings and which one runs",
    )
    command(app, "running", app_running, "list your application containers and their URLs")
    sub = command(
        app, "start", app_start, "start an application and print its URL (once it answers)"
    )
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `app available`")
    sub.add_argument(
        "--resolution",
        metavar="WxH",
        help="screen size of a desktop application, like 1280x800",
    )
    sub.add_argument(
        "--startupdata",
        metavar="PATH",
        help="a file for the application to open, as the application sees it "
        "(if your grant allows it)",
    )
    sub = command(app, "stop", app_stop, "stop and remove an application container")
    sub.add_argument("url_id", metavar="URL_ID", help="from `app running`")

    sub = command(
        app, "list", app_list, "list the site's applications and their grants", admin=True
    )
    add_search(sub, "applications whose image name contains Q (any case)")
    add_paging(sub)
    sub = command(app, "show", app_show, "show an application", admin=True)
    add_application_id(sub, "ID")
    sub = command(
        app, "create", app_create, "add an application: an image users may be granted", admin=True
    )
    sub.add_argument("image", metavar="IMAGE", help="a Docker image name, like org/app:1.0")
    sub.add_argument(
        "--display-name", metavar="TEXT", help="the name users see (default: the image's label)"
    )
    sub.add_argument(
        "--description", metavar="TEXT", help="what users read (default: the image's label)"
    )
    sub.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not check that the Docker engine has the image (pull it later)",
    )
    sub = command(
        app,
        "update",
        app_update,
        "change the name or description users see; what is not given is unchanged",
        admin=True,
    )
    add_application_id(sub, "ID")
    for option, what in (("display-name", "name"), ("description", "description")):
        choice = sub.add_mutually_exclusive_group()
        choice.add_argument(f"--{option}", metavar="TEXT", help=f"the {what} users see")
        choice.add_argument(
            f"--clear-{option}",
            action="store_true",
            help=f"show the image's own {what} again",
        )
    sub = command(
        app,
        "remove",
        app_remove,
        "remove an application and every grant of it; its running apps are stopped",
        admin=True,
    )
    add_application_id(sub, "ID")

    user = command_group("user", "(admin) the site's users: list, show, create, remove")
    sub = command(user, "list", user_list, "list users, their grants and running apps", admin=True)
    add_search(sub, "users whose name contains Q (any case)")
    add_paging(sub)
    sub = command(user, "show", user_show, "show a user, their grants and containers", admin=True)
    sub.add_argument("name", metavar="NAME", help="the user's JupyterHub name")
    sub = command(user, "create", user_create, "add a user, by their JupyterHub name", admin=True)
    sub.add_argument("name", metavar="NAME", help="the user's JupyterHub name")
    sub = command(
        user,
        "remove",
        user_remove,
        "remove a user and all their grants; their running apps are stopped",
        admin=True,
    )
    sub.add_argument("name", metavar="NAME", help="the user's JupyterHub name")

    grant = command_group(
        "grant",
        "(admin) who may run which application, with which policy: list, show, "
        "create, update, remove",
    )
    sub = command(grant, "list", grant_list, "list grants, with their policy", admin=True)
    sub.add_argument("--user", dest="user_name", metavar="NAME", help="only this user's")
    sub.add_argument(
        "--app", type=application_id, metavar="ID", help="only of this application (`app list`)"
    )
    sub = command(grant, "show", grant_show, "show a grant and its policy", admin=True)
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `grant list`")
    sub = command(
        grant,
        "create",
        grant_create,
        "let a user run an application, with a policy; granting an equal policy again "
        "changes nothing",
        admin=True,
    )
    sub.add_argument("user_name", metavar="USER", help="the user's JupyterHub name")
    add_application_id(sub, "APP_ID")
    add_policy_options(sub, "policy (the service checks it)")
    sub = command(
        grant,
        "update",
        grant_update,
        "give a grant a new policy, whole: an option left out is off; an app running "
        "under the grant is stopped",
        admin=True,
    )
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `grant list`")
    add_policy_options(sub, "policy (the service checks it)")
    sub = command(
        grant,
        "remove",
        grant_remove,
        "remove a grant; an app running under it is stopped",
        admin=True,
    )
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `grant list`")

    container = command_group(
        "container", "(admin) every application container of the site: list, stop"
    )
    command(container, "list", container_list, "list every user's containers", admin=True)
    sub = command(container, "stop", container_stop, "stop anyone's container", admin=True)
    sub.add_argument("url_id", metavar="URL_ID", help="from `container list`")

    command(groups, "stats", stats, "the site in a few numbers", admin=True)
    sub = command(groups, "audit", audit, "the audit log of changes, newest first", admin=True)
    add_paging(sub)
    return parser


def add_search(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--search", metavar="Q", help=help)


def add_paging(parser: argparse.ArgumentParser) -> None:
    paging = parser.add_argument_group("paging")
    paging.add_argument(
        "--offset", metavar="N", type=whole_number, help="skip the first N (default: 0)"
    )
    paging.add_argument(
        "--limit", metavar="N", type=whole_number, help="show at most N, up to 500 (default: 100)"
    )


def whole_number(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def add_application_id(parser: argparse.ArgumentParser, metavar: str) -> None:
    parser.add_argument(
        "app_id",
        metavar=metavar,
        type=application_id,
        help="the application's id, from `app list`",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        options = {"url": args.url, "user": args.user, "token": args.token}
        settings = load_settings(options, os.environ, args.config)
        client = RestClient(
            settings.url,
            settings.token,
            settings.user,
            ssl_context=tls_context(args.insecure, args.ca_file),
            timeout=args.timeout,
        )
        return run(args, client) or 0
    except RemoteAppError as error:
        print(f"remoteapprest: error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("remoteapprest: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, or an answer of an unexpected shape: no traceback
        print(
            f"remoteapprest: error: unexpected failure ({type(error).__name__}: {error}); "
            "please report it",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
