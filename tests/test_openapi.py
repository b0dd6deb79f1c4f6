"""openapi.yaml against the code: the routes, the handlers' methods and the JSON shapes.

Fast: no network, no Docker, no database. The JSON samples come from the real
serializers (``handlers/api/serialize.py``), fed views (``services/views.py``) of
in-memory model objects, and from the real error writer. The query parameters a
handler reads are read from its code.

Some answers are composed by the handlers themselves (a user with their grants, the
stats, what a removal took away), and statuses, ``Location`` and the fields a body may
have are the handlers' doing too. For those, the real routes and handlers answer
requests through tornado with their seams replaced: `RecordedConnection` stands for
the HTTP connection, `FakeSite` for the services (the administration, whose reads
give views of its rows, and the container service), and the Hub's login is skipped,
the owner being an administrator (the admin check itself is tested end to end in
``test_admin_api.py``).
"""

from __future__ import annotations

import ast
import asyncio
import base64
import inspect
import json
import logging
import re
import secrets
import textwrap
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from tornado import httputil, web

from remoteappmanager.db import models
from remoteappmanager.docker.container import Container
from remoteappmanager.docker.image import APP_TYPES, ImageInfo
from remoteappmanager.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    RequestError,
    Unavailable,
)
from remoteappmanager.handlers.api import NotFoundHandler, api_routes
from remoteappmanager.handlers.api.admin.base import MAX_PAGE
from remoteappmanager.handlers.api.icons import ICON_MAX_AGE
from remoteappmanager.handlers.api.serialize import (
    admin_application_json,
    admin_user_json,
    application_json,
    audit_json,
    container_json,
    grant_json,
    share_json,
    shared_app_json,
)
from remoteappmanager.services.audit import ACTIONS
from remoteappmanager.services.culler import Deadline
from remoteappmanager.services.policy import POLICY_FIELDS, VOLUME_MODES, GrantPolicy, Volume
from remoteappmanager.services.sharing import SharedApp, ShareView
from remoteappmanager.services.views import (
    ApplicationState,
    ApplicationView,
    AuditRecord,
    EngineImage,
    GrantState,
    GrantView,
    Page,
    SiteStats,
    UserDetail,
    UserState,
    UserView,
)

SPEC_PATH = Path(__file__).resolve().parents[1] / "remoteappmanager/handlers/api/openapi.yaml"
OWNER = "alice"
PREFIX = f"/user/{OWNER}/"
SERVER_URL = "/user/{name}/api/v1"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WRITES = ("post", "put", "patch", "delete")
ERROR_STATUSES = {400, 403, 404, 409, 413, 415, 429, 502, 503}
GROUP = re.compile(r"\((?:[^()\\]|\\.)*\)")
PARAMETER = re.compile(r"\{([^{}/]+)\}")
CREATED = datetime(2024, 5, 1, 12, 0)  # naive UTC, as the database keeps times


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow ``$ref`` (local JSON pointers only) until a node without one."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref not in seen, f"$ref cycle at {ref}"
        seen.add(ref)
        node = pointer(spec, ref)
    return node


def pointer(spec: dict[str, Any], ref: str) -> Any:
    assert isinstance(ref, str) and ref.startswith("#/"), f"not a local $ref: {ref!r}"
    node: Any = spec
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and key in node, f"$ref {ref} does not resolve"
        node = node[key]
    return node


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in refs_in(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs_in(value)]
    return []


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def parameters_of(spec: dict[str, Any], path: str, operation: dict[str, Any]) -> list[Any]:
    return [
        resolve(spec, parameter)
        for parameter in [
            *spec["paths"][path].get("parameters", []),
            *operation.get("parameters", []),
        ]
    ]


def url_of(spec: dict[str, Any], path: str, operation: dict[str, Any]) -> str:
    """The path with each path parameter's example put in."""
    examples = {
        p["name"]: p["example"] for p in parameters_of(spec, path, operation) if p["in"] == "path"
    }
    return PARAMETER.sub(lambda match: str(examples[match[1]]), path)


# -- the document --


def test_is_an_openapi_3_1_document(spec: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.1\.\d+", str(spec["openapi"]))
    assert spec["info"]["title"] and spec["info"]["version"]
    assert [server["url"] for server in spec["servers"]] == [SERVER_URL]
    assert set(spec["servers"][0]["variables"]) == {"name"}
    assert spec["paths"] and all(path.startswith("/") for path in spec["paths"])
    schemes = spec["components"]["securitySchemes"]
    for requirement in spec["security"]:
        assert set(requirement) <= set(schemes)
    for path, method, operation in operations(spec):
        assert operation["responses"], f"{method} {path} has no responses"
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(schemes), f"{method} {path}"
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids))
    declared = [tag["name"] for tag in spec["tags"]]
    used = {tag for _, _, operation in operations(spec) for tag in operation["tags"]}
    assert len(declared) == len(set(declared)) and set(declared) == used


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    refs = refs_in(spec)
    assert refs
    for ref in refs:
        pointer(spec, ref)


def test_component_schemas(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert {"Application", "Policy", "Configurable", "Container", "Error"} <= set(schemas)
    for name, schema in schemas.items():
        assert set(schema.get("required", [])) <= set(schema.get("properties", {})), name
    # A user's details are the user as listed, and more.
    listed = schemas["AdminUser"]["properties"]
    details = schemas["AdminUserDetails"]["properties"]
    assert {key: details[key] for key in listed} == listed
    # A policy is given as it is sent, every field optional.
    sent, given = schemas["GrantPolicy"], schemas["GrantPolicyInput"]
    assert "required" not in given and given["additionalProperties"] is False
    for key, each in sent["properties"].items():
        # Of the same type, or the same shared schema.
        kind = each.get("type", each.get("$ref"))
        assert kind and kind == given["properties"][key].get("type", each.get("$ref")), key
        assert each.get("pattern") == given["properties"][key].get("pattern"), key


def test_the_spec_names_what_the_code_allows(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert set(schemas["AuditEntry"]["properties"]["action"]["enum"]) == ACTIONS
    assert set(schemas["GrantPolicy"]["properties"]) == POLICY_FIELDS
    assert set(schemas["GrantPolicyInput"]["properties"]) == POLICY_FIELDS
    volume = schemas["Policy"]["properties"]["volume"]["anyOf"][0]
    assert tuple(volume["properties"]["mode"]["enum"]) == VOLUME_MODES
    for name in ("Application", "ApplicationLabels", "AdminImage"):
        assert tuple(schemas[name]["properties"]["type"]["enum"]) == APP_TYPES, name
    limit = spec["components"]["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, MAX_PAGE)
    for path, _, operation in operations(spec):
        page = operation["responses"].get("200", {}).get("content", {})
        schema = page.get("application/json", {}).get("schema", {})
        if "limit" in schema.get("properties", {}):
            assert schema["properties"]["limit"]["maximum"] == MAX_PAGE, path


def test_path_parameters_are_declared(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        declared = parameters_of(spec, path, operation)
        in_path = {p["name"] for p in declared if p["in"] == "path"}
        assert in_path == set(PARAMETER.findall(path)), f"{method} {path}"
        assert all(p["required"] for p in declared if p["in"] == "path")
        # The examples make the URLs the tests below request.
        assert all("example" in p for p in declared if p["in"] == "path"), f"{method} {path}"


def test_errors_use_the_error_schema(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            assert int(status) in ERROR_STATUSES, f"{method} {path}: {status}"
            schema = resolve(spec, response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_admin_operations_say_who_may_call_them(spec: dict[str, Any]) -> None:
    assert "c.RemoteAppManager.admin_groups" in spec["info"]["description"]
    admin = [(p, m, o) for p, m, o in operations(spec) if p.startswith("/admin/")]
    assert admin
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        is_admin = path.startswith("/admin/")
        assert all(tag.startswith("admin-") == is_admin for tag in operation["tags"]), where
        if is_admin:
            description = operation["description"]
            assert description.startswith("Administrators only"), where
            assert "c.RemoteAppManager.admin_groups" in description, where
            assert "checked on every request" in description and "403" in description, where
            forbidden = operation["responses"]["403"]
            assert forbidden == {"$ref": "#/components/responses/AdminForbidden"}, where
        if method in WRITES:  # a cookie alone does not write
            assert {"hubCookie": [], "xsrfHeader": []} in operation["security"], where
            assert {"hubCookie": []} not in operation["security"], where


# -- the routes --


def route_templates() -> dict[str, type]:
    """Each API route as ``/skeleton/{}`` (groups unnamed) -> its handler."""
    base = f"{PREFIX}api/v1"
    templates: dict[str, type] = {}
    for pattern, handler in api_routes(PREFIX):
        if handler is NotFoundHandler:
            continue
        assert pattern.startswith(base) and pattern.endswith("/?$"), pattern
        templates[GROUP.sub("{}", pattern[len(base) : -len("/?$")])] = handler
    return templates


def handler_methods(handler: type) -> set[str]:
    """HTTP methods the handler defines, in its own classes (not tornado's defaults)."""
    return {
        method
        for cls in handler.__mro__
        if not cls.__module__.startswith(("tornado.", "jupyterhub."))
        for method in HTTP_METHODS
        if method in vars(cls)
    }


def test_routes_are_described(spec: dict[str, Any]) -> None:
    routes = route_templates()
    assert routes, "no API routes"
    by_skeleton = {PARAMETER.sub("{}", path): path for path in spec["paths"]}
    for skeleton, handler in routes.items():
        assert skeleton in by_skeleton, (
            f"the route {skeleton} ({handler.__name__}) is not in the spec"
        )
        # The groups, in order, get the names of the spec's path parameters, in order.
        path = skeleton.format(
            *(f"{{{name}}}" for name in PARAMETER.findall(by_skeleton[skeleton]))
        )
        assert path in spec["paths"], path
        described = {method for method in spec["paths"][path] if method in HTTP_METHODS}
        assert handler_methods(handler) == described, f"{path} ({handler.__name__})"


def test_every_described_path_has_a_route(spec: dict[str, Any]) -> None:
    routes = route_templates()
    for path in spec["paths"]:
        assert PARAMETER.sub("{}", path) in routes, f"{path} has no route"


def test_the_catch_all_comes_last() -> None:
    routes = api_routes(PREFIX)
    assert routes[-1][1] is NotFoundHandler
    assert NotFoundHandler not in [handler for _, handler in routes[:-1]]


QUERY_READERS = {"get_query_argument", "get_query_arguments", "get_argument", "integer_argument"}


def query_arguments(handler: type, method: str) -> dict[str, Any]:
    """The query arguments ``handler.method`` reads, by name, with their default (None
    when the code gives none), found in its code and in the code of the handler's own
    methods that it calls (as ``self.page()``)."""
    found: dict[str, Any] = {}
    visited: set[str] = set()

    def ours(function: Any) -> bool:  # not tornado's, say
        return inspect.isfunction(function) and function.__module__.startswith("remoteappmanager.")

    def visit(name: str) -> None:
        visited.add(name)
        tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(handler, name))))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "self"
            ):
                continue
            called = node.func.attr
            if called in QUERY_READERS:
                if node.args and isinstance(node.args[0], ast.Constant):
                    default = node.args[1] if len(node.args) > 1 else None
                    found[node.args[0].value] = (
                        default.value if isinstance(default, ast.Constant) else None
                    )
            elif called not in visited and ours(getattr(handler, called, None)):
                visit(called)

    visit(method)
    return found


def test_query_parameters_match_the_handlers(spec: dict[str, Any]) -> None:
    by_skeleton = {PARAMETER.sub("{}", path): path for path in spec["paths"]}
    read_somewhere = set()
    for skeleton, handler in route_templates().items():
        path = by_skeleton[skeleton]
        for method in handler_methods(handler):
            where = f"{method.upper()} {path}"
            operation = spec["paths"][path][method]
            declared = {
                p["name"]: p for p in parameters_of(spec, path, operation) if p["in"] == "query"
            }
            read = query_arguments(handler, method)
            read_somewhere |= set(read)
            assert set(read) == set(declared), where
            for name, default in read.items():
                assert declared[name]["schema"].get("default") == default, f"{where} {name}"
    assert read_somewhere == {"q", "offset", "limit", "user", "application_id"}


# -- sample objects, as the database and the Docker engine give them --


def sample_container(mapping_id: str) -> Container:
    url_id = secrets.token_hex(16)
    return Container(
        id="0" * 64,
        name=f"remoteapp-alice-{mapping_id}",
        image="demo/desktop:latest",
        state="running",
        user="alice",
        mapping_id=mapping_id,
        url_id=url_id,
        urlpath=f"/user/alice/containers/{url_id}/",
        realm="remoteappmanager",
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc),
        host_ip="127.0.0.1",
        host_port=32768,
    )


# The smallest PNG there is: a 1x1 transparent pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def sample_image(env_keys: set[str], icon: bool = False) -> ImageInfo:
    return ImageInfo(
        name="demo/desktop:latest",
        id="sha256:" + "1" * 64,
        ui_name="Demo desktop",
        description=None,
        icon_128=base64.b64encode(PNG).decode() if icon else None,
        type="vncapp",
        env_keys=frozenset(env_keys),
    )


def sample_grant(
    user: models.User, application: models.Application, policy: GrantPolicy
) -> models.Grant:
    return models.Grant(
        mapping_id=secrets.token_hex(16),
        user=user,
        application=application,
        application_id=application.id,  # a new object has it only once flushed
        policy=policy.to_model(),
        created_at=CREATED,
    )


RICH_POLICY = GrantPolicy(
    allow_home=True,
    allow_view=True,
    allow_startup_data=True,
    volume=Volume("/srv/data", "/data", "rw"),
    app_license="licence",
    idle_timeout=3600,
    max_lifetime=0,
)
NO_LIMITS = GrantPolicy(idle_timeout=0, max_lifetime=0)


def sample_share(container: Container, kind: str, name: str | None) -> ShareView:
    return ShareView(
        id=secrets.token_hex(16),
        url_id=container.url_id,
        mapping_id=container.mapping_id,
        owner=container.user,
        kind=kind,
        name=name,
        permission="view",
        via=None,
        created_at=CREATED,
        expires_at=CREATED.replace(year=CREATED.year + 1),
    )


class FakeContainers:
    """The `ContainerService` calls of the user API's icon: one image."""

    def __init__(self, image: ImageInfo) -> None:
        self.image = image

    async def image_of_grant(self, user: str, mapping_id: str) -> ImageInfo:
        return self.image


class FakeAdministration:
    """The `Administration` calls of the admin handlers, each a success; its reads
    give the site's one user, application, grant and container, and its log, as
    views of the rows (``image``: what the application's image says)."""

    def __init__(self, site: FakeSite, image: ImageInfo) -> None:
        self.site = site
        self.image = image

    async def stats(self) -> SiteStats:
        return SiteStats(
            users=7,
            active_users=1,
            applications=7,
            grants=7,
            running_containers=1,
            starts_last_day=7,
        )

    def user_view(self) -> UserView:
        return UserView.of(self.site.user, grant_count=1)

    async def users_page(self, search: str, offset: int, limit: int) -> Page[UserState]:
        return Page([UserState(self.user_view(), 1)], 1, offset, limit)

    async def user_detail(self, name: str) -> UserDetail:
        return UserDetail(self.user_view(), 1, [self.grant_now()], [self.site.container])

    def application_view(self, application_id: int) -> ApplicationView:
        return ApplicationView.of(self.site.application, grant_count=1)

    async def application(self, application_id: int) -> ApplicationState:
        return ApplicationState(self.application_view(application_id), self.image)

    async def applications_page(
        self, search: str, offset: int, limit: int
    ) -> Page[ApplicationState]:
        return Page([await self.application(self.site.application.id)], 1, offset, limit)

    async def engine_images(self) -> list[EngineImage]:
        other = replace(self.image, name="demo/other:2", ui_name=None)
        return [EngineImage(self.image, True), EngineImage(other, False)]

    def grant_now(self) -> GrantState:
        return GrantState(GrantView.of(self.site.grant), self.site.container)

    async def grants_page(
        self, user: str | None, application_id: int | None, offset: int, limit: int
    ) -> Page[GrantState]:
        return Page([self.grant_now()], 1, offset, limit)

    async def grant_state(self, mapping_id: str) -> GrantState:
        return self.grant_now()

    async def containers_page(self, offset: int, limit: int) -> Page[Container]:
        return Page([self.site.container], 1, offset, limit)

    def audit_page(self, offset: int, limit: int) -> Page[AuditRecord]:
        entries = [AuditRecord.of(entry) for entry in self.site.entries]
        return Page(entries, len(entries), offset, limit)

    def create_user(self, name: str) -> None:
        pass

    async def remove_user(self, name: str) -> tuple[int, int]:
        return 2, 1

    async def create_application(self, image: str, *args: Any, **kwargs: Any) -> int:
        return self.site.application.id

    def describe_application(self, *args: Any) -> None:
        pass

    async def remove_application(self, image: str) -> tuple[int, int]:
        return 1, 1

    def grant(self, image: str, user: str, policy: GrantPolicy) -> tuple[str, bool]:
        return self.site.grant.mapping_id, not self.site.granted_already

    async def set_policy(self, mapping_id: str, policy: GrantPolicy) -> int:
        return 1

    async def remove_grant(self, mapping_id: str) -> int:
        return 1

    async def stop_container(self, url_id: str) -> Container:
        return self.site.container


class FakeSite:
    """One user with one grant of one application, running; and the audit log.
    ``granted_already``: granting finds the grant asked for exists."""

    def __init__(self, granted_already: bool = False) -> None:
        self.granted_already = granted_already
        self.user = models.User(id=1, name=OWNER, created_at=CREATED)
        self.application = models.Application(
            id=3, image="demo/desktop:latest", display_name=None, created_at=CREATED
        )
        self.grant = sample_grant(self.user, self.application, RICH_POLICY)
        self.container = sample_container(self.grant.mapping_id)
        self.entries = [
            models.AuditEntry(
                id=2,
                at=CREATED,
                actor="admin",
                action="grant.create",
                target=self.grant.mapping_id,
                details=json.dumps({"user": OWNER, "policy": RICH_POLICY.to_json()}),
            ),
            models.AuditEntry(
                id=1, at=CREATED, actor=OWNER, action="user.create", target=OWNER, details=None
            ),
        ]

    def services(self, image: ImageInfo | None = None) -> dict[str, Any]:
        """The handlers' settings; ``image``: what the application's image says."""
        image = image or sample_image(set(), icon=True)
        return {
            "container_service": FakeContainers(image),
            "administration": FakeAdministration(self, image),
            "culler": FakeCuller(),
            "sharing": FakeSharing(self.container),
        }


class FakeCuller:
    """Every container stops within the warning period, for being idle."""

    def deadlines(self, containers: Any) -> dict[str, Deadline]:
        return {c.url_id: SOON for c in containers}


class FakeSharing:
    """The `Sharing` calls of the sharing handlers, each a success, on one share."""

    def __init__(self, container: Container) -> None:
        self.share = sample_share(container, "user", "bob")

    def permissions(self, policy: GrantPolicy, image: ImageInfo) -> list[str]:
        return ["view", "control"]

    def owned(self, url_id: str | None = None) -> list[ShareView]:
        return [self.share]

    async def create(self, *args: Any, **kwargs: Any) -> tuple[ShareView, str | None]:
        return self.share, None

    def revoke(self, *args: Any, **kwargs: Any) -> ShareView:
        return self.share

    def page(self, offset: int, limit: int) -> Page[ShareView]:
        return Page([self.share], 1, offset, limit)


SOON = Deadline(datetime(2024, 5, 1, 13, 0, tzinfo=timezone.utc), "idle", warning=True)


class Unreachable:
    """Stands for every service: a handler that gets this far checked its input."""

    MESSAGE = "the test's services are out of reach"

    def __getattr__(self, name: str) -> Any:
        raise Unavailable(self.MESSAGE)


UNREACHABLE = {
    name: Unreachable() for name in ("container_service", "administration", "culler", "sharing")
}


# -- requests to the real routes --


class RecordedConnection:
    """Tornado's HTTP connection, keeping the response instead of sending it."""

    def __init__(self) -> None:
        self.status = 0
        self.headers = httputil.HTTPHeaders()
        self.body = b""
        self.finished = asyncio.Event()

    def set_close_callback(self, callback: Any) -> None:
        pass

    def write_headers(
        self, start_line: Any, headers: httputil.HTTPHeaders, chunk: bytes | None = None
    ) -> asyncio.Future[None]:
        self.status = start_line.code
        self.headers = headers
        return self.write(chunk or b"")

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        self.body += chunk
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def finish(self) -> None:
        self.finished.set()


async def maybe_await(result: Awaitable[None] | None) -> None:
    if result is not None:
        await result


def logged_in(handler: type) -> type:
    """The handler with the owner, an administrator, logged in (the Hub is not asked),
    its administration service from the settings, and the fields its body may have
    recorded in ``settings["accepted"]``."""

    class LoggedIn(handler):
        async def prepare(self) -> None:
            self.current_user = {"name": OWNER, "admin": True, "groups": []}

        @property
        def administration(self) -> Any:
            return self.settings["administration"]

        def json_body(self, allowed: set[str]) -> dict[str, Any]:
            self.settings["accepted"].append(allowed)
            return super().json_body(allowed)

    LoggedIn.__name__ = handler.__name__
    return LoggedIn


@dataclass
class Answer:
    status: int
    headers: httputil.HTTPHeaders
    body: bytes
    accepted: list[set[str]]

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def went_on_to_the_services(self) -> bool:
        return self.status == 503 and self.json["error"]["message"] == Unreachable.MESSAGE


async def call(
    method: str,
    path: str,
    services: dict[str, Any],
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """``method`` on ``path`` (under the API) through the real routes and handlers."""
    routes = [
        (pattern, handler if handler is NotFoundHandler else logged_in(handler))
        for pattern, handler in api_routes(PREFIX)
    ]
    settings = {
        "log": logging.getLogger(__name__),
        "owner": OWNER,
        "base_url": PREFIX,
        "accepted": [],
        **services,
    }
    application = web.Application(routes, **settings)
    connection = RecordedConnection()
    sent = httputil.HTTPHeaders({"Host": "hub.example", **(headers or {})})
    if body is not None:
        sent["Content-Type"] = "application/json"
    # As the HTTP server does it: the headers, then the body (the API streams it in).
    delegate = application.start_request(None, connection)  # type: ignore[arg-type]
    start_line = httputil.RequestStartLine(method, f"{PREFIX}api/v1{path}", "HTTP/1.1")
    await maybe_await(delegate.headers_received(start_line, sent))
    if body is not None:
        await maybe_await(delegate.data_received(json.dumps(body).encode()))
    delegate.finish()
    await asyncio.wait_for(connection.finished.wait(), timeout=10)
    return Answer(connection.status, connection.headers, connection.body, settings["accepted"])


# -- the JSON shapes --


@pytest.fixture
async def samples() -> dict[str, list[Any]]:
    """Real serializer output, by the component schema it must match; and what the
    handlers compose themselves, as they send it."""
    site = FakeSite()
    running = [sample_container(secrets.token_hex(16)) for _ in range(2)]
    soon = {running[0].url_id: SOON}  # one with a deadline, one without
    containers = [container_json(c, soon) for c in running]
    everything = sample_image({"x11-width", "x11-height", "x11-depth", "startupdata"}, icon=True)
    api_url = f"{PREFIX}api/v1/"
    applications = [
        # As the handler sends them: with the limits that hold (here none).
        application_json("a" * 32, sample_image(set()), NO_LIMITS, None, {}, api_url, []),
        application_json(
            "b" * 32, everything, RICH_POLICY, running[0], soon, api_url, ["view", "control"]
        ),
    ]
    shares = [sample_share(running[0], "user", "bob"), sample_share(running[0], "link", None)]
    described = models.Application(
        id=4,
        image="demo/viewer:1",
        display_name="Results viewer",
        description="Plots the results of a run.",
        created_at=CREATED,
    )
    gone = models.Application(
        id=5, image="demo/gone:1", display_name=None, description=None, created_at=CREATED
    )
    plain_grant = sample_grant(site.user, described, GrantPolicy())
    serialized = {
        "Container": containers,
        "Application": applications,
        "AdminUser": [
            admin_user_json(UserState(UserView.of(site.user, 2), 1)),
            admin_user_json(
                UserState(UserView.of(models.User(name="bob", created_at=CREATED), 0), 0)
            ),
        ],
        "AdminApplication": [
            admin_application_json(
                ApplicationState(
                    ApplicationView.of(described, 1),
                    sample_image(set(), icon=True).with_overrides(
                        described.display_name, described.description
                    ),
                ),
                api_url,
            ),
            admin_application_json(
                ApplicationState(ApplicationView.of(gone, 0), ImageInfo.missing(gone.image)),
                api_url,
            ),
        ],
        "Grant": [
            grant_json(GrantState(GrantView.of(site.grant), site.container), soon),
            grant_json(GrantState(GrantView.of(plain_grant), None), {}),
        ],
        "AuditEntry": [audit_json(AuditRecord.of(entry)) for entry in site.entries],
        "Share": [
            share_json(shares[0]),
            share_json(shares[1], link="http://hub.example/hub/user-redirect/shared/link/c0de"),
            share_json(replace(shares[0], via=shares[1].id, permission="control")),
        ],
        "SharedApp": [shared_app_json(SharedApp(shares[0], everything), PREFIX)],
    }

    async def sent(method: str, path: str) -> Any:
        answer = await call(method, path, site.services())
        assert answer.status == 200, (method, path, answer.body)
        return answer.json

    composed = {
        "AdminUserDetails": [await sent("GET", f"/admin/users/{OWNER}")],
        "Stats": [await sent("GET", "/admin/stats")],
        "Removal": [
            await sent("DELETE", f"/admin/users/{OWNER}"),
            await sent("DELETE", f"/admin/applications/{site.application.id}"),
        ],
        "GrantRemoval": [await sent("DELETE", f"/admin/grants/{site.grant.mapping_id}")],
        "AdminImage": (await sent("GET", "/admin/images"))["items"],
    }
    return {**serialized, **composed}


def error_sample(status: int, error: Exception) -> Any:
    """What the API's error writer sends for ``error``."""
    request = httputil.HTTPServerRequest(
        start_line=httputil.RequestStartLine("GET", f"{PREFIX}api/v1/nothing", "HTTP/1.1"),
        headers=httputil.HTTPHeaders({"Host": "hub.example"}),
        connection=mock.MagicMock(),
    )
    handler = NotFoundHandler(web.Application(), request)
    sent: list[str] = []
    with mock.patch.object(handler, "finish", side_effect=sent.append):
        handler.write_error(status, exc_info=(type(error), error, None))
    [body] = sent
    return json.loads(body)


SPEC_URI = "urn:remoteappmanager:openapi"
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def utc_said(value: object) -> bool:
    """A time with its zone: the API writes UTC and says so (``+00:00``)."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def absolute_refs(node: Any) -> Any:
    """``node`` with its local ``$ref``s pointing into the spec as registered."""
    if isinstance(node, dict):
        return {
            key: f"{SPEC_URI}{value}"
            if key == "$ref" and value.startswith("#")
            else absolute_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [absolute_refs(each) for each in node]
    return node


class ShapeChecker:
    """Validates JSON values against the spec's schemas with jsonschema (Draft 2020-12,
    the dialect of OpenAPI 3.1), and notes which properties of each component schema
    the values held, so a test can show its samples reach every one."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = DRAFT202012.create_resource(spec)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self.keys_seen: dict[str, set[str]] = {}

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(
            absolute_refs(schema), registry=self.registry, format_checker=FORMATS
        )

    def check(self, schema: dict[str, Any], value: Any, where: str) -> None:
        errors = [
            f"{error.json_path}: {error.message}"
            for error in self.validator(schema).iter_errors(value)
        ]
        assert errors == [], f"{where}: {errors}"
        self.note_keys(schema, value)

    def note_keys(self, schema: dict[str, Any], value: Any) -> None:
        if "$ref" in schema:
            if isinstance(value, dict):
                self.keys_seen.setdefault(schema["$ref"].rpartition("/")[2], set()).update(value)
            self.note_keys(resolve(self.spec, schema), value)
        for option in schema.get("anyOf", []):
            if self.validator(option).is_valid(value):
                self.note_keys(option, value)
                break
        if isinstance(value, dict):
            for key, each in value.items():
                if key in schema.get("properties", {}):
                    self.note_keys(schema["properties"][key], each)
        if isinstance(value, list) and "items" in schema:
            for each in value:
                self.note_keys(schema["items"], each)


def test_every_component_schema_is_json_schema_2020_12(spec: dict[str, Any]) -> None:
    for name, schema in spec["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(absolute_refs(schema))
        except SchemaError as error:
            pytest.fail(f"{name}: {error.message}")


def test_the_checker_refuses_what_the_spec_does_not_allow(spec: dict[str, Any]) -> None:
    """The validator is real: a wrong value of each kind fails, naming where."""
    checker = ShapeChecker(spec)
    grant = {"$ref": "#/components/schemas/Grant"}
    error = {"$ref": "#/components/schemas/Error"}
    wrong = [
        (grant, {"mapping_id": "m"}, "required property"),
        (error, {"error": {"code": 404, "message": "gone", "extra": 1}}, "Additional prop"),
        (error, {"error": {"code": "404", "message": "gone"}}, "is not of type"),
        ({"type": "string", "format": "date-time"}, "2024-05-01T12:00:00", "date-time"),
    ]
    for schema, value, message in wrong:
        with pytest.raises(AssertionError, match=message):
            checker.check(schema, value, "sample")
    checker.check({"type": "string", "format": "date-time"}, "2024-05-01T12:00:00+00:00", "ok")


def response_schemas(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, method, operation in operations(spec):
        for status in ("200", "201"):
            if status in operation["responses"]:
                response = resolve(spec, operation["responses"][status])
                if set(response["content"]) == {"image/png"}:
                    continue  # an icon: see test_icons_are_served_as_documented
                if set(response["content"]) == {"text/event-stream"}:
                    continue  # the events: see tests/test_culling.py
                schema = response["content"]["application/json"]["schema"]
                found.append((f"{method.upper()} {path} {status}", schema))
    return found


LIST = {"items"}
PAGE = {"items", "total", "offset", "limit"}


def test_success_responses_match_the_serializers(
    spec: dict[str, Any], samples: dict[str, list[Any]]
) -> None:
    checker = ShapeChecker(spec)
    schemas = response_schemas(spec)
    # 10 of the user API: GET x6, POST containers 200 and 201, POST extend, POST shares.
    # 20 of the admin API: GET x11; POST users, applications and grants 201, POST
    # grants 200 too; PATCH applications and grants; DELETE users, applications and
    # grants (the DELETEs of a container and a share are 204s, without a body). The
    # GETs of icons answer PNG, and that of the events a stream, not JSON.
    assert len(schemas) == 10 + 20
    for where, schema in schemas:
        if schema.get("type") == "object":  # a list {"items": [...]} or a page of one
            assert set(schema["properties"]) == set(schema["required"]) in (LIST, PAGE), where
            name = schema["properties"]["items"]["items"]["$ref"].rpartition("/")[2]
            assert name in samples, f"{where}: no serializer for {name}"
            items = samples[name]
            value = {"items": items, "total": len(items), "offset": 0, "limit": 100}
            checker.check(schema, {key: value[key] for key in schema["properties"]}, where)
        else:
            name = schema["$ref"].rpartition("/")[2]
            assert name in samples, f"{where}: no serializer for {name}"
            for value in samples[name]:
                checker.check(schema, value, where)
    components = spec["components"]["schemas"]
    # Every key the code sends is described, every described key is sent, and every
    # key of every schema sent is always there (but Configurable's minimum and maximum,
    # which belong to resolution only). Error is checked below, and GrantPolicyInput
    # and ShareInput, which are only received, with the request bodies; TimeLimit is a
    # number, no object.
    unkeyed = {"Error", "GrantPolicyInput", "ShareInput", "TimeLimit"}
    assert set(checker.keys_seen) == set(components) - unkeyed
    for name, keys in checker.keys_seen.items():
        assert keys == set(components[name]["properties"]), name
        if name != "Configurable":
            assert set(components[name]["required"]) == keys, name
    assert components["Configurable"]["required"] == ["name"]


def test_examples_match_their_schemas(spec: dict[str, Any]) -> None:
    checker = ShapeChecker(spec)
    checked = 0
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            media = resolve(spec, response).get("content", {}).get("application/json", {})
            for name, example in media.get("examples", {}).items():
                checker.check(media["schema"], example["value"], f"{method} {path} {status} {name}")
                checked += 1
        for parameter in parameters_of(spec, path, operation):
            if "example" in parameter:
                checker.check(parameter["schema"], parameter["example"], parameter["name"])
    for name, schema in spec["components"]["schemas"].items():
        for example in schema.get("examples", []):
            checker.check({"$ref": f"#/components/schemas/{name}"}, example, name)
            checked += 1
    assert checked >= 5


def test_the_201_and_200_of_a_start_send_location(spec: dict[str, Any]) -> None:
    responses = spec["paths"]["/containers"]["post"]["responses"]
    for status in ("200", "201"):
        assert "Location" in responses[status]["headers"], status
    assert set(spec["paths"]["/containers/{url_id}"]["delete"]["responses"]) >= {"204"}


ICON_OPERATIONS = [
    ("/applications/{mapping_id}/icon", "Application"),
    ("/admin/applications/{application_id}/icon", "AdminApplication"),
]


@pytest.mark.parametrize(("path", "listed_as"), ICON_OPERATIONS)
async def test_icons_are_served_as_documented(
    spec: dict[str, Any], samples: dict[str, list[Any]], path: str, listed_as: str
) -> None:
    """What an application's ``icon_url`` names answers the PNG, with the ETag (the
    image id) and Cache-Control, in place of the API's JSON and no-store; 304 for a
    matching If-None-Match; a JSON 404 when the image has no icon."""
    operation = spec["paths"][path]["get"]
    assert set(operation["responses"]) >= {"200", "304", "403", "404"}
    documented = resolve(spec, operation["responses"]["200"])
    assert list(documented["content"]) == ["image/png"]
    # The URL the JSON gives is this route; null for the sample image without an icon.
    urls = [(item.get("labels") or item)["icon_url"] for item in samples[listed_as]]
    [url] = [each for each in urls if each is not None]
    assert None in urls
    assert re.fullmatch(f"{PREFIX}api/v1{PARAMETER.sub('[^/]+', path)}", url), url
    site = FakeSite()

    answer = await call("GET", url_of(spec, path, operation), site.services())
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == "image/png" and answer.body == PNG
    etag = '"sha256:' + "1" * 64 + '"'
    assert answer.headers["ETag"] == etag
    assert answer.headers["Cache-Control"] == f"private, max-age={ICON_MAX_AGE}"
    assert all(name in answer.headers for name in documented["headers"])  # any case
    cache_control = resolve(spec, documented["headers"]["Cache-Control"])["description"]
    assert f"`private, max-age={ICON_MAX_AGE}`" in cache_control

    for if_none_match in (etag, f'"other", W/{etag}', "*"):
        again = await call(
            "GET",
            url_of(spec, path, operation),
            site.services(),
            headers={"If-None-Match": if_none_match},
        )
        assert (again.status, again.body) == (304, b""), if_none_match
        assert again.headers["ETag"] == etag and "Content-Type" not in again.headers
        assert again.headers["Cache-Control"] == f"private, max-age={ICON_MAX_AGE}"
    changed = await call(
        "GET", url_of(spec, path, operation), site.services(), headers={"If-None-Match": '"old"'}
    )
    assert (changed.status, changed.body) == (200, PNG)

    missing = await call("GET", url_of(spec, path, operation), site.services(sample_image(set())))
    assert missing.status == 404, missing.body
    assert missing.headers["Content-Type"].startswith("application/json")
    assert missing.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"the application \S+ has no icon", missing.json["error"]["message"])


async def test_admin_operations_answer_as_documented(spec: dict[str, Any]) -> None:
    checker = ShapeChecker(spec)
    gettable = {PARAMETER.sub("{}", path) for path, item in spec["paths"].items() if "get" in item}
    run = 0
    for path, method, operation in operations(spec):
        if not path.startswith("/admin/"):
            continue
        where = f"{method.upper()} {path}"
        body = None
        if "requestBody" in operation:
            examples = operation["requestBody"]["content"]["application/json"]["examples"]
            body = next(iter(examples.values()))["value"]
        url = url_of(spec, path, operation)
        statuses = set()
        for site in (FakeSite(), FakeSite(granted_already=True)):
            answer = await call(method.upper(), url, site.services(), body)
            statuses.add(str(answer.status))
            assert 200 <= answer.status < 300, f"{where}: {answer.status} {answer.body!r}"
            assert str(answer.status) in operation["responses"], f"{where}: {answer.status}"
            documented = resolve(spec, operation["responses"][str(answer.status)])
            content = documented.get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                checker.check(schema, answer.json, where)
            elif content:
                assert list(content) == [answer.headers["Content-Type"]] == ["image/png"], where
                assert answer.body == PNG, where
            else:
                assert answer.body == b"", where
            # Location where the handler sets it, and only there; it names what a GET gives.
            headers = documented.get("headers", {})
            assert ("Location" in answer.headers) == ("Location" in headers), where
            if "Location" in answer.headers:
                location = answer.headers["Location"]
                assert location.startswith(f"{PREFIX}api/v1/admin/"), f"{where}: {location}"
                target = location[len(f"{PREFIX}api/v1") :]
                assert re.sub(r"[^/]+$", "{}", target) in gettable, f"{where}: {location}"
        # Every success documented is one the handler gives.
        assert statuses == {s for s in operation["responses"] if s.startswith("2")}, where
        run += 1
    assert run == sum(1 for p, m, _ in operations(spec) if p.startswith("/admin/"))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, NotFound("there is no application 'x'")),
        (403, web.HTTPError(403, "log in first")),
        (403, web.HTTPError(403, "this is for administrators only")),
        (400, InvalidInput("the user name is empty")),
        (409, AlreadyExists("the user 'carol' exists already")),
        (415, RequestError(415, "send JSON with Content-Type: application/json")),
    ],
)
def test_errors_match_the_error_writer(spec: dict[str, Any], status: int, error: Exception) -> None:
    body = error_sample(status, error)
    assert body["error"]["code"] == status
    checker = ShapeChecker(spec)
    checker.check({"$ref": "#/components/schemas/Error"}, body, f"error {status}")
    assert checker.keys_seen == {"Error": {"error"}}


# -- the request bodies --


async def test_request_bodies_match_what_the_handlers_accept(spec: dict[str, Any]) -> None:
    """Each write's body schema has exactly the fields its handler's
    ``json_body(allowed=...)`` accepts, as the handler runs; its examples pass the
    handler's own checks, and leaving out a required field is a 400."""
    writes = [(p, m, o) for p, m, o in operations(spec) if m in ("post", "put", "patch")]
    # An extension is asked for with no body.
    assert [p for p, _, o in writes if "requestBody" not in o] == ["/containers/{url_id}/extend"]
    writes = [(p, m, o) for p, m, o in writes if "requestBody" in o]
    # POST containers, containers/{url_id}/shares, admin/users, admin/applications,
    # admin/grants; PATCH admin/applications/{id}, admin/grants/{mapping_id}.
    assert len(writes) == 7
    checker = ShapeChecker(spec)
    for path, method, operation in writes:
        where = f"{method.upper()} {path}"
        url = url_of(spec, path, operation)
        body = operation["requestBody"]
        assert body["required"] is True, where
        media = body["content"]["application/json"]
        schema = resolve(spec, media["schema"])
        assert schema["type"] == "object" and schema["additionalProperties"] is False, where
        # json_body refuses what is not a JSON object (400), too large (413), not JSON (415).
        assert {"400", "413", "415"} <= set(operation["responses"]), where
        required = set(schema.get("required", []))

        empty = await call(method.upper(), url, UNREACHABLE, {})
        assert empty.accepted == [set(schema["properties"])], where
        if required or schema.get("minProperties", 0) > 0:
            assert empty.status == 400, f"{where}: {{}} gives {empty.status}"
        else:
            assert empty.went_on_to_the_services, f"{where}: {{}} gives {empty.body!r}"

        unknown = await call(method.upper(), url, UNREACHABLE, {"surplus": 1})
        assert unknown.status == 400 and "unknown field" in unknown.json["error"]["message"]

        assert media["examples"], where
        for name, example in media["examples"].items():
            value = example["value"]
            checker.check(media["schema"], value, f"{where} example {name}")
            answer = await call(method.upper(), url, UNREACHABLE, value)
            assert answer.went_on_to_the_services, f"{where} example {name}: {answer.body!r}"
            for field in required:
                without = {key: each for key, each in value.items() if key != field}
                answer = await call(method.upper(), url, UNREACHABLE, without)
                assert answer.status == 400, f"{where} example {name} without {field}"
