"""MkDocs hooks: the reference pages that are generated from the code at build time.

Registered in ``mkdocs.yml``. ``on_files`` adds pages that exist only in the build
(MkDocs' generated files), so nothing generated is ever written into ``doc/``:

- ``reference/configuration.md``: every configurable trait of the service, the router
  and the spawners, from traitlets' own introspection;
- ``reference/rest-api.md``: ``openapi.yaml`` made readable, and ``reference/openapi.yaml``,
  the file itself;
- ``reference/commands/*.md``: the ``--help`` of each command and of every subcommand,
  from the commands' own parsers.

A page here that reads wrong is fixed in the code it comes from (a trait's ``help``, the
OpenAPI file, an argparse ``help``), not here.
"""

from __future__ import annotations

import argparse
import html
import inspect
import json
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files as package_files
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

OPENAPI = package_files("remoteappmanager") / "handlers" / "api" / "openapi.yaml"
# Help is wrapped at the terminal's width: fix it so the pages do not depend on who builds.
HELP_COLUMNS = "88"
# Environment that the traits' dynamic defaults read: left out when computing them, so the
# reference shows the defaults of a clean environment, not those of the build machine.
SETTINGS_ENV = re.compile(r"^(JUPYTERHUB_|DOCKER_|REMOTEAPPMANAGER_|CONFIGPROXY_)")
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]])")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, content in generated_pages():
        files.append(File.generated(config, path, content=content))
    files.append(File.generated(config, "reference/openapi.yaml", abs_src_path=str(OPENAPI)))
    return files


def generated_pages() -> Iterator[tuple[str, str]]:
    yield "reference/configuration.md", configuration_page()
    yield "reference/rest-api.md", rest_api_page(yaml.safe_load(OPENAPI.read_text()))
    yield from command_pages()


# -- Markdown helpers --


def outside_code(text: str, escape: Any) -> str:
    """``text`` with ``escape`` applied to everything but its code spans."""
    parts, position = [], 0
    for match in CODE_SPAN.finditer(text):
        parts += [escape(text[position : match.start()]), match[0]]
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def markdown(text: str) -> str:
    """Text written as Markdown (the OpenAPI file): only raw HTML is escaped."""
    return outside_code(text.strip(), lambda part: html.escape(part, quote=False))


def prose(text: str) -> str:
    """Plain text (a trait's help) shown as written: code spans kept, and the little
    reStructuredText that traitlets' own help uses (bullets, code blocks) understood."""

    def escape(part: str) -> str:
        return MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(part, quote=False))

    def line(words: str) -> str:
        # Joined: a help line starting with "-" or "#" must not become a list or heading.
        return outside_code(" ".join(words.split()), escape)

    blocks, language = [], "text"
    for paragraph in re.split(r"\n\s*\n", inspect.cleandoc(text)):
        directive = re.fullmatch(r"\.\. code-block:: *(\w+)", paragraph.strip())
        if directive:
            language = directive[1]
        elif paragraph.startswith((" ", "\t")):
            blocks.append(fenced(textwrap.dedent(paragraph), language))
        elif paragraph.startswith(("* ", "- ")):
            items = re.split(r"^[*-] ", paragraph, flags=re.MULTILINE)[1:]
            blocks.append("\n".join(f"- {line(item)}" for item in items))
        else:
            blocks.append(line(paragraph))
    return "\n\n".join(blocks)


def code(value: str) -> str:
    """An inline code span holding ``value`` whatever backticks it contains."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{padding}{value}{padding}{fence}"


def cell(text: str) -> str:
    """Markdown made fit for a table cell: one line, pipes escaped outside code."""
    return outside_code(" ".join(text.split()), lambda part: part.replace("|", "\\|"))


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) or " " for value in row) + " |" for row in rows]
    return "\n".join(lines)


def fenced(text: str, language: str = "text") -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


@contextmanager
def environment(**changes: str | None) -> Iterator[None]:
    """``os.environ`` with ``changes`` (None removes a variable), restored afterwards."""
    saved = dict(os.environ)
    try:
        for key, value in changes.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- configuration options --


def configuration_page() -> str:
    from traitlets.config import Configurable

    from remoteappmanager.application import RemoteAppManager
    from remoteappmanager.jupyterhub import spawners
    from remoteappmanager.jupyterhub.router import Router

    programs: dict[type[Configurable], list[Any]] = {}
    for app in (RemoteAppManager, Router):
        for cls in (app, *app.classes):
            programs.setdefault(cls, []).append(app)
    spawner_classes = [
        cls
        for _, cls in inspect.getmembers(spawners, inspect.isclass)
        if cls.__module__ == spawners.__name__ and issubclass(cls, Configurable)
    ]
    spawner_classes.sort(key=lambda cls: len(cls.__mro__))  # the base first

    lines = [
        "# Configuration options",
        "",
        "Generated from the code when this site is built: every option (a trait with",
        "`config=True`) of every configurable class, with its type, its default and its",
        "help. Set them as `c.Class.option = value` in a configuration file, or on the",
        "command line of `remoteappmanager` and `remoteappmanager-router` as",
        "`--Class.option=value`.",
        "",
        "- **`remoteappmanager_config.py`** is read by each user's `remoteappmanager`",
        "  service (`--config`, which the spawner passes when",
        "  [`RemoteAppSpawner.config_file`](#remoteappspawnerconfig_file) is set) and by",
        "  `remoteappmanager-router` (`--config`). `remoteappmanager --generate-config`",
        "  writes one with every option, commented out.",
        "- **`jupyterhub_config.py`** holds the spawners' options, with JupyterHub's own.",
        "- `remoteappdb` reads neither: it takes `--db` (else `$REMOTEAPPMANAGER_DB_URL`)",
        "  and the Docker engine from `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and",
        "  `DOCKER_CERT_PATH`.",
        "",
        "A default marked *computed* is worked out when the program starts, mostly from",
        "the environment (the help says from what); the value shown is the one it takes",
        "in an environment without `JUPYTERHUB_*`, `DOCKER_*`, `REMOTEAPPMANAGER_*` and",
        "`CONFIGPROXY_*` variables, with `<sys.prefix>` standing for the Python",
        "installation's prefix (the virtual environment).",
        "",
        "## `remoteappmanager_config.py`",
        "",
    ]
    for cls, apps in programs.items():
        read_by = " and ".join(f"`{app.name}`" for app in apps)
        shortcuts: dict[str, list[str]] = {}
        for app in apps:
            for trait_name, options in command_line_shortcuts(app).items():
                shortcuts.setdefault(trait_name, []).extend(options)
        lines += class_section(cls, f"Read by {read_by}.", shortcuts)
    lines += [
        "## `jupyterhub_config.py`: the spawners",
        "",
        "The spawners in `remoteappmanager.jupyterhub.spawners` are JupyterHub",
        "`LocalProcessSpawner`s: they take all of its options too (see JupyterHub's",
        "documentation). Listed here are the options they add, and those of",
        "JupyterHub whose default they change.",
        "",
    ]
    for cls in spawner_classes:
        lines += class_section(cls, "Set in `jupyterhub_config.py`.", {})
    return "\n".join(lines)


def command_line_shortcuts(app: Any) -> dict[str, list[str]]:
    """``{"Class.trait": ["prog --alias=...", ...]}``: an Application's aliases, and its
    flags that set one trait."""
    found: dict[str, list[str]] = {}
    for alias, target in app.aliases.items():
        name = target if isinstance(target, str) else target[0]
        found.setdefault(name, []).append(f"{app.name} --{alias}=...")
    for flag, (settings, _) in app.flags.items():
        for class_name, values in settings.items():
            for trait_name, value in values.items():
                sets = "" if value is True else f" (sets {value!r})"
                found.setdefault(f"{class_name}.{trait_name}", []).append(
                    f"{app.name} --{flag}{sets}"
                )
    return found


def documented_traits(cls: Any) -> list[tuple[str, Any]]:
    """The config traits of ``cls``, but those of JupyterHub's classes whose default we
    leave alone: JupyterHub documents those."""
    chosen = []
    for name, trait in sorted(cls.class_traits(config=True).items()):
        defined_by = trait.this_class.__module__
        default_by = getattr(cls._all_trait_default_generators.get(name), "this_class", None)
        ours = default_by is not None and default_by.__module__.startswith("remoteappmanager")
        if defined_by.startswith("jupyterhub") and not ours:
            continue
        chosen.append((name, trait))
    return chosen


def class_section(cls: Any, read_by: str, shortcuts: dict[str, list[str]]) -> list[str]:
    lines = [f"### `{cls.__name__}`", ""]
    if cls.__doc__:
        lines += [prose(cls.__doc__.split("\n\n")[0]), ""]
    lines += [f"`{cls.__module__}.{cls.__name__}`. {read_by}", ""]
    for name, trait in documented_traits(cls):
        full_name = f"{cls.__name__}.{name}"
        facts = [f"Type: {code(trait_type(trait))}", f"default: {default_of(cls, name, trait)}"]
        # Aliases name the class that defines the trait (Application.log_level).
        names = dict.fromkeys((full_name, f"{trait.this_class.__name__}.{name}"))
        options = [option for each in names for option in shortcuts.get(each, [])]
        if options:
            facts.append("command line: " + ", ".join(code(option) for option in options))
        lines += [f"#### `{full_name}`", "", " · ".join(facts) + ".", ""]
        lines += [prose(trait.help) if trait.help else "*(no description)*", ""]
    return lines


def trait_type(trait: Any) -> str:
    kind = type(trait).__name__
    if kind in ("Enum", "CaselessStrEnum"):
        return f"{kind}: " + " | ".join(repr(value) for value in trait.values)
    inner = getattr(trait, "_trait", None)
    if inner is not None:
        return f"{kind} of {type(inner).__name__}"
    return kind


def default_of(cls: Any, name: str, trait: Any) -> str:
    generator = cls._all_trait_default_generators.get(name)
    if getattr(generator, "__self__", None) is trait:  # a static default
        return code(trait.default_value_repr())
    # A dynamic default (an @default method): computed on an instance made without
    # __init__ (no side effects), in a clean environment.
    clean = {key: None for key in os.environ if SETTINGS_ENV.match(key)}
    try:
        with environment(**clean):
            value = getattr(cls.__new__(cls), name)
    except Exception:  # a default that needs a running program: the help says what it is
        return "*computed at start*"
    shown = repr(value).replace(sys.prefix, "<sys.prefix>")
    if name == "log_level" and isinstance(value, int):
        shown += f" ({logging.getLevelName(value)})"
    return f"{code(shown)} (*computed*)"


# -- the REST API --


def rest_api_page(spec: dict[str, Any]) -> str:
    info = spec["info"]
    server = spec["servers"][0]
    lines = [
        f"# {info['title']}",
        "",
        "Generated from the service's OpenAPI description when this site is built:",
        "[`openapi.yaml`](openapi.yaml) (OpenAPI "
        f"{spec['openapi']}, API version {info['version']}) is the definitive text.",
        "",
        markdown(info.get("summary", "")),
        "",
        markdown(info.get("description", "")),
        "",
        f"Every path below is under {code(server['url'])}: "
        + markdown(server.get("description", "")),
        "",
        "## Authentication",
        "",
    ]
    for name, scheme in spec["components"]["securitySchemes"].items():
        where = f"{scheme.get('in', '')} {code(scheme.get('name', ''))}"
        described = " ".join(markdown(scheme.get("description", "")).split())
        lines += [f"- **{name}** ({where}): {described}"]
    lines += [""]
    lines += [
        "Every operation takes the token or the cookie; a write with the cookie also needs",
        "the `X-XSRFToken` header (marked below).",
        "",
    ]
    operations = list(each_operation(spec))
    for tag in spec.get("tags", []):
        lines += [f"## {tag['name']}", "", markdown(tag.get("description", "")), ""]
        for path, method, path_item, operation in operations:
            if (operation.get("tags") or ["(untagged)"])[0] == tag["name"]:
                lines += operation_section(spec, path, method, path_item, operation)
    lines += ["## Schemas", "", "The objects the operations take and answer.", ""]
    for name, schema in spec["components"]["schemas"].items():
        lines += [f"### {name} {{#schema-{name}}}", ""]
        if schema.get("description"):
            lines += [markdown(schema["description"]), ""]
        lines += [fields_table(spec, schema), ""]
        for example in schema.get("examples", []):
            lines += ["Example:", "", fenced(json.dumps(example, indent=2), "json"), ""]
    return "\n".join(lines)


def each_operation(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    for path, path_item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in path_item:
                yield path, method, path_item, path_item[method]


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with its ``$ref`` (``#/components/...``) followed."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation_section(
    spec: dict[str, Any], path: str, method: str, path_item: dict[str, Any], operation: Any
) -> list[str]:
    operation_id = operation["operationId"]
    lines = [f"### `{method.upper()} {path}` {{#{operation_id}}}", ""]
    lines += [f"**{markdown(operation.get('summary', ''))}** (operation {code(operation_id)})", ""]
    if operation.get("description"):
        lines += [markdown(operation["description"]), ""]
    security = operation.get("security", spec.get("security", []))
    needs_xsrf = any("xsrfHeader" in requirement for requirement in security)
    if needs_xsrf:
        lines += ["A write: with the cookie, send the `X-XSRFToken` header too.", ""]

    parameters = [resolve(spec, p) for p in path_item.get("parameters", [])]
    parameters += [resolve(spec, p) for p in operation.get("parameters", [])]
    if parameters:
        rows = [
            (
                code(p["name"]),
                p["in"],
                type_of(spec, p.get("schema", {})),
                "yes" if p.get("required") else "no",
                " ".join(
                    [markdown(p.get("description", "")), *constraints(p.get("schema", {}))]
                    + ([f"Example: {code(str(p['example']))}."] if "example" in p else [])
                ),
            )
            for p in parameters
        ]
        lines += [
            "**Parameters**",
            "",
            table(("name", "in", "type", "required", "description"), rows),
            "",
        ]

    body = operation.get("requestBody")
    if body:
        content = body["content"]["application/json"]
        schema = resolve(spec, content["schema"])
        required = "required" if body.get("required") else "optional"
        lines += [f"**Request body** (JSON, {required}): " + markdown(body.get("description", ""))]
        lines += ["", fields_table(spec, schema), ""]
        for name, example in content.get("examples", {}).items():
            lines += [f"Example *{name}*:", "", fenced(json.dumps(example["value"]), "json"), ""]

    rows = []
    for status, response in operation.get("responses", {}).items():
        response = resolve(spec, response)
        content = response.get("content", {})
        schema = content.get("application/json", {}).get("schema")
        described = [markdown(response.get("description", ""))]
        for header, value in response.get("headers", {}).items():
            described.append(
                f"Header {code(header)}: " + markdown(resolve(spec, value).get("description", ""))
            )
        # Not JSON (an icon): the media type.
        body = type_of(spec, schema) if schema else ", ".join(map(code, content)) or "-"
        rows.append((status, " ".join(described), body))
    lines += ["**Responses**", "", table(("status", "meaning", "body"), rows), ""]
    return lines


def fields_table(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = resolve(spec, schema)
    properties = schema.get("properties", {})
    if not properties:
        return f"A {type_of(spec, schema)}."
    required = set(schema.get("required", []))
    rows = [
        (
            code(name),
            type_of(spec, field),
            "yes" if name in required else "no",
            " ".join([markdown(field.get("description", "")), *constraints(field)]),
        )
        for name, field in properties.items()
    ]
    text = table(("field", "type", "required", "description"), rows)
    if schema.get("additionalProperties") is False:
        text += "\n\nNo other field."
    return text


def type_of(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    """A short, readable type: ``string or null``, ``array of [Container](#...)``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name})"
    for combinator, word in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
        if combinator in schema:
            return word.join(type_of(spec, each) for each in schema[combinator])
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    named = []
    for kind in kinds:
        if kind == "array":
            named.append("array of " + type_of(spec, schema.get("items", {})))
        elif kind == "object" and schema.get("properties"):
            fields = ", ".join(
                f"{code(name)} ({type_of(spec, field)})"
                for name, field in schema["properties"].items()
            )
            named.append(f"object: {fields}")
        elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            named.append("object of " + type_of(spec, schema["additionalProperties"]))
        elif "format" in schema and kind != "null":
            named.append(f"{kind} ({schema['format']})")
        else:
            named.append(str(kind))
    return " or ".join(named)


def constraints(schema: dict[str, Any]) -> list[str]:
    said = []
    if "enum" in schema:
        said.append("One of " + ", ".join(code(str(value)) for value in schema["enum"]) + ".")
    if "maxLength" in schema:
        said.append(f"{schema.get('minLength', 0)} to {schema['maxLength']} characters.")
    elif schema.get("minLength") == 1:
        said.append("Not empty.")
    elif "minLength" in schema:
        said.append(f"At least {schema['minLength']} characters.")
    if "minimum" in schema and "maximum" in schema:
        said.append(f"From {schema['minimum']} to {schema['maximum']}.")
    elif "minimum" in schema:
        said.append(f"At least {schema['minimum']}.")
    if "pattern" in schema:
        said.append(f"Matches {code(schema['pattern'])}.")
    if "default" in schema and schema["default"] != "":
        said.append(f"Default: {code(json.dumps(schema['default']))}.")
    if schema.get("examples"):
        said.append(f"Example: {code(json.dumps(schema['examples'][0]))}.")
    return said


# -- commands --


def command_pages() -> Iterator[tuple[str, str]]:
    from remoteappmanager.application import RemoteAppManager
    from remoteappmanager.cli import remoteappdb, remoteapprest
    from remoteappmanager.jupyterhub.router import Router

    overview = {
        "remoteappdb": "[`remoteappdb`](../remoteappdb.md)",
        "remoteapprest": "[`remoteapprest`](../remoteapprest.md)",
    }
    with environment(COLUMNS=HELP_COLUMNS):
        for module in (remoteappdb, remoteapprest):
            parser = module.build_parser()
            lines = [
                f"# `{parser.prog} --help`",
                "",
                f"What `{parser.prog} --help` and each command's `--help` print,",
                "generated from the command's parser when this site is built. The overview,",
                f"with examples, is {overview[parser.prog]}.",
                "",
            ]
            for each in parsers(parser):
                lines += [f"## `{each.prog}`", "", fenced(each.format_help()), ""]
            yield f"reference/commands/{parser.prog}.md", "\n".join(lines)

        for app_class in (Router, RemoteAppManager):
            name = app_class.name
            text = "\n".join(app_class().emit_help())
            lines = [
                f"# `{name} --help`",
                "",
                f"What `{name} --help` prints, generated when this site is built. Every",
                f"option of `{name}` is in the [configuration reference](../configuration.md);",
                f"`{name} --help-all` lists them too.",
                "",
                fenced(text),
                "",
            ]
            yield f"reference/commands/{name}.md", "\n".join(lines)


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and, depth first, the parsers of all its subcommands."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for subparser in action.choices.values():
                if id(subparser) not in seen:  # an alias names the same parser
                    seen.add(id(subparser))
                    yield from parsers(subparser)
