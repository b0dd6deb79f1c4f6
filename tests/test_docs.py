"""The documentation site: `mkdocs build --strict` succeeds (no broken link or anchor),
the reference generated from the code covers all of it (every option, every REST
operation, every command), and no page loads anything from another site.

The site is built once, into a temporary directory, by the mkdocs of this virtual
environment; no Docker engine and no network are needed.
"""

from __future__ import annotations

import argparse
import html
import inspect
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from remoteappmanager.application import RemoteAppManager
from remoteappmanager.cli import remoteappdb, remoteapprest
from remoteappmanager.jupyterhub import spawners
from remoteappmanager.jupyterhub.router import Router

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).with_name("mkdocs")
OPENAPI = ROOT / "remoteappmanager" / "handlers" / "api" / "openapi.yaml"
GENERATED = (
    "reference/configuration.md",
    "reference/rest-api.md",
    "reference/openapi.yaml",
    "reference/commands",
)
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
# Where a page would load something from: a src or href of these tags.
ASSET_ATTRIBUTES = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "embed": "src",
    "object": "data",
}
CSS_EXTERNAL = re.compile(r"(?:url\(|@import)\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    command = [str(MKDOCS), "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
    result = subprocess.run(
        [*command, "--site-dir", str(site_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return site_dir


def page_text(site: Path, page: str) -> str:
    """The readable text of a built page's main part."""
    source = (site / page / "index.html").read_text()
    main = source[source.index('role="main"') :]
    return html.unescape(re.sub(r"<[^>]+>", "", main))


def test_the_site_builds_and_nothing_generated_is_written_into_doc(site: Path) -> None:
    assert (site / "index.html").exists()
    assert (site / "reference" / "openapi.yaml").read_text() == OPENAPI.read_text()
    for path in GENERATED:
        assert not (ROOT / "doc" / path).exists(), f"doc/{path} must only exist in the build"


def documented_classes() -> list[Any]:
    classes = [RemoteAppManager, *RemoteAppManager.classes, Router, *Router.classes]
    classes += [
        cls
        for _, cls in inspect.getmembers(spawners, inspect.isclass)
        if cls.__module__ == spawners.__name__ and hasattr(cls, "class_traits")
    ]
    return classes


def test_the_configuration_reference_has_every_option(site: Path) -> None:
    text = page_text(site, "reference/configuration")
    expected = set()
    for cls in documented_classes():
        for name, trait in cls.class_traits(config=True).items():
            # JupyterHub's own spawner options are JupyterHub's to document.
            if not trait.this_class.__module__.startswith("jupyterhub"):
                expected.add(f"{cls.__name__}.{name}")
    assert {"ContainerService.mem_limit", "RouteTable.mode", "RemoteAppManager.admin_groups"} <= (
        expected
    )
    missing = sorted(name for name in expected if name not in text)
    assert not missing, f"options missing from the configuration reference: {missing}"
    # The spawner's command is JupyterHub's option, with a default of ours.
    assert "RemoteAppSpawner.cmd" in text
    assert "'2g'" in text  # defaults are shown (ContainerService.mem_limit)


def test_the_rest_reference_has_every_operation(site: Path) -> None:
    text = page_text(site, "reference/rest-api")
    spec = yaml.safe_load(OPENAPI.read_text())
    missing = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for wanted in (operation["operationId"], f"{method.upper()} {path}"):
                if wanted not in text:
                    missing.append(wanted)
    missing += [name for name in spec["components"]["schemas"] if name not in text]
    assert not missing, f"missing from the REST API reference: {missing}"


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                yield from parsers(subparser)


@pytest.mark.parametrize("command", [remoteappdb, remoteapprest], ids=lambda m: m.__name__)
def test_the_command_reference_has_every_subcommand(site: Path, command: Any) -> None:
    parser = command.build_parser()
    text = page_text(site, f"reference/commands/{parser.prog}")
    progs = [each.prog for each in parsers(parser)]
    assert len(progs) > 10
    missing = [prog for prog in progs if f"usage: {prog}" not in text]
    assert not missing, f"subcommands missing from the {parser.prog} reference: {missing}"


def test_the_router_and_service_help_is_there(site: Path) -> None:
    router = page_text(site, "reference/commands/remoteappmanager-router")
    assert "--config=<Unicode>" in router and "$CONFIGPROXY_AUTH_TOKEN" in router
    service = page_text(site, "reference/commands/remoteappmanager")
    assert "--generate-config" in service


class AssetLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attribute = ASSET_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == attribute and value:
                self.found.append((tag, value))


def test_no_page_loads_anything_from_another_site(site: Path) -> None:
    external = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 15
    for page in pages:
        links = AssetLinks()
        links.feed(page.read_text())
        assert links.found, f"{page} has no assets at all: is the parser right?"
        name = page.relative_to(site)
        external += [f"{name}: <{tag}> {url}" for tag, url in links.found if EXTERNAL.match(url)]
    for stylesheet in sorted(site.rglob("*.css")):
        # Comments (licences) may name web sites; only what is loaded counts.
        css = re.sub(r"/\*.*?\*/", "", stylesheet.read_text(errors="replace"), flags=re.DOTALL)
        external += [f"{stylesheet.relative_to(site)}: {m[0]}" for m in CSS_EXTERNAL.finditer(css)]
    assert not external, "assets loaded from elsewhere:\n" + "\n".join(external)
