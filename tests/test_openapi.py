"""openapi.yaml against the code: the routes, the handlers' methods and the JSON shapes.

Fast: no network, no Docker, no database. The JSON samples come from the real
serializers (``handlers/api/serialize.py``) and the real error writer.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from tornado import httputil, web

from remoteappmanager.docker.container import Container
from remoteappmanager.docker.image import ImageInfo
from remoteappmanager.errors import NotFound
from remoteappmanager.handlers.api import NotFoundHandler, api_routes
from remoteappmanager.handlers.api.serialize import application_json, container_json
from remoteappmanager.services.policy import GrantPolicy, Volume

SPEC_PATH = Path(__file__).resolve().parents[1] / "remoteappmanager/handlers/api/openapi.yaml"
PREFIX = "/user/alice/"
SERVER_URL = "/user/{name}/api/v1"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ERROR_STATUSES = {400, 403, 404, 409, 413, 415, 502, 503}
GROUP = re.compile(r"\((?:[^()\\]|\\.)*\)")
PARAMETER = re.compile(r"\{([^{}/]+)\}")


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


def test_path_parameters_are_declared(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        declared = [
            resolve(spec, parameter)
            for parameter in [
                *spec["paths"][path].get("parameters", []),
                *operation.get("parameters", []),
            ]
        ]
        in_path = {p["name"] for p in declared if p["in"] == "path"}
        assert in_path == set(PARAMETER.findall(path)), f"{method} {path}"
        assert all(p["required"] for p in declared if p["in"] == "path")


def test_errors_use_the_error_schema(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            assert int(status) in ERROR_STATUSES, f"{method} {path}: {status}"
            schema = resolve(spec, response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


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


# -- the JSON shapes --


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


def sample_image(env_keys: set[str]) -> ImageInfo:
    return ImageInfo(
        name="demo/desktop:latest",
        id="sha256:" + "1" * 64,
        ui_name="Demo desktop",
        description=None,
        icon_128=None,
        type="vncapp",
        env_keys=frozenset(env_keys),
    )


@pytest.fixture(scope="module")
def samples() -> dict[str, list[Any]]:
    """Real serializer output, by the component schema it must match."""
    containers = [container_json(sample_container(secrets.token_hex(16)))]
    everything = sample_image({"x11-width", "x11-height", "x11-depth", "startupdata"})
    applications = [
        application_json("a" * 32, sample_image(set()), GrantPolicy(), None),
        application_json(
            "b" * 32,
            everything,
            GrantPolicy(
                allow_home=True,
                allow_view=True,
                allow_startup_data=True,
                volume=Volume("/srv/data", "/data", "rw"),
                app_license="licence",
            ),
            sample_container("b" * 32),
        ),
    ]
    return {"Container": containers, "Application": applications}


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


class ShapeChecker:
    """Checks JSON values against the spec's schemas: the subset of JSON Schema it uses."""

    TYPES = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "integer": int,
        "null": type(None),
    }

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.keys_seen: dict[str, set[str]] = {}

    def check(self, schema: dict[str, Any], value: Any, where: str) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rpartition("/")[2]
            target = resolve(self.spec, schema)
            if isinstance(value, dict):
                self.keys_seen.setdefault(name, set()).update(value)
            self.check(target, value, f"{where} ({name})")
            return
        if "anyOf" in schema:
            failures = []
            for option in schema["anyOf"]:
                try:
                    self.check(option, value, where)
                    return
                except AssertionError as failure:
                    failures.append(str(failure))
            raise AssertionError(f"{where}: {value!r} matches no option: {failures}")
        types = schema.get("type")
        if types is not None:
            allowed = types if isinstance(types, list) else [types]
            assert any(
                isinstance(value, self.TYPES[each])
                and not (each == "integer" and isinstance(value, bool))
                for each in allowed
            ), f"{where}: {value!r} is not {allowed}"
        if "enum" in schema:
            assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
        if "pattern" in schema and isinstance(value, str):
            assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
        if isinstance(value, dict) and "properties" in schema:
            properties = schema["properties"]
            assert set(schema.get("required", [])) <= set(value), (
                f"{where}: required {sorted(set(schema['required']) - set(value))} missing"
            )
            if schema.get("additionalProperties") is False:
                assert set(value) <= set(properties), (
                    f"{where}: {sorted(set(value) - set(properties))} not in the schema"
                )
            for key, each in value.items():
                if key in properties:
                    self.check(properties[key], each, f"{where}.{key}")
        if isinstance(value, list) and "items" in schema:
            for index, each in enumerate(value):
                self.check(schema["items"], each, f"{where}[{index}]")


def response_schemas(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, method, operation in operations(spec):
        for status in ("200", "201"):
            if status in operation["responses"]:
                response = resolve(spec, operation["responses"][status])
                schema = response["content"]["application/json"]["schema"]
                found.append((f"{method.upper()} {path} {status}", schema))
    return found


def test_success_responses_match_the_serializers(
    spec: dict[str, Any], samples: dict[str, list[Any]]
) -> None:
    checker = ShapeChecker(spec)
    schemas = response_schemas(spec)
    assert len(schemas) == 6  # GET x4, and POST containers 200 and 201
    for where, schema in schemas:
        if schema.get("type") == "object":  # a list: {"items": [...]}
            assert set(schema["properties"]) == set(schema["required"]) == {"items"}, where
            name = schema["properties"]["items"]["items"]["$ref"].rpartition("/")[2]
            assert name in samples, f"{where}: no serializer for {name}"
            checker.check(schema, {"items": samples[name]}, where)
        else:
            name = schema["$ref"].rpartition("/")[2]
            assert name in samples, f"{where}: no serializer for {name}"
            for value in samples[name]:
                checker.check(schema, value, where)
    components = spec["components"]["schemas"]
    # Every key the code sends is described, every described key is sent, and every
    # key of Application, Policy and Container is always there (Configurable's
    # minimum and maximum belong to resolution only).
    assert set(checker.keys_seen) == {"Application", "Policy", "Configurable", "Container"}
    for name, keys in checker.keys_seen.items():
        assert keys == set(components[name]["properties"]), name
    for name in ("Application", "Policy", "Container"):
        assert set(components[name]["required"]) == set(components[name]["properties"]), name
    assert components["Configurable"]["required"] == ["name"]


def test_the_201_and_200_of_a_start_send_location(spec: dict[str, Any]) -> None:
    responses = spec["paths"]["/containers"]["post"]["responses"]
    for status in ("200", "201"):
        assert "Location" in responses[status]["headers"], status
    assert set(spec["paths"]["/containers/{url_id}"]["delete"]["responses"]) >= {"204"}


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, NotFound("there is no application 'x'")), (403, web.HTTPError(403, "log in first"))],
)
def test_errors_match_the_error_writer(spec: dict[str, Any], status: int, error: Exception) -> None:
    body = error_sample(status, error)
    assert body["error"]["code"] == status
    checker = ShapeChecker(spec)
    checker.check({"$ref": "#/components/schemas/Error"}, body, f"error {status}")
    assert checker.keys_seen == {"Error": {"error"}}


def test_request_body_matches_what_post_accepts(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/containers"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert body["required"] is True
    # ContainersHandler.post: json_body(allowed={"mapping_id", "configurables"})
    assert set(schema["properties"]) == {"mapping_id", "configurables"}
    assert schema["required"] == ["mapping_id"]
    assert schema["additionalProperties"] is False
    checker = ShapeChecker(spec)
    for name, example in body["content"]["application/json"]["examples"].items():
        checker.check(schema, example["value"], f"example {name}")
