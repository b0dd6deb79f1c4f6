"""The layers keep to their jobs (doc/explanation/architecture.md, "The map of the
code"): read from the package's source, so a change that crosses a line fails here
with the place it crossed it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import remoteappmanager

PACKAGE = Path(remoteappmanager.__file__).parent


def modules(under: Path = PACKAGE) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(under.rglob("*.py")):
        yield str(path.relative_to(PACKAGE.parent)), ast.parse(path.read_text())


def imported(tree: ast.Module, path: str) -> set[str]:
    """Every module ``tree`` imports, as absolute dotted names."""
    package = path.removesuffix(".py").replace("/", ".").rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            module = f"{base}.{node.module}" if node.level else node.module or ""
            names.add(module.rstrip("."))
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def awaits_in_transactions(tree: ast.Module, path: str) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With | ast.AsyncWith) and any(
            "transaction" in ast.unparse(item.context_expr) for item in node.items
        ):
            found += [
                f"{path}:{sub.lineno}: {ast.unparse(sub)}"
                for sub in ast.walk(node)
                if isinstance(sub, ast.Await)
            ]
    return found


def test_no_transaction_waits_on_anything() -> None:
    """An await inside ``database.transaction()`` holds the transaction open while
    the engine (or anything else) answers; on SQLite that holds every writer back."""
    assert [line for path, tree in modules() for line in awaits_in_transactions(tree, path)] == []


def test_admin_handlers_call_services_only() -> None:
    crossing = [
        f"{path}: {name}"
        for path, tree in modules(PACKAGE / "handlers" / "api" / "admin")
        for name in imported(tree, path)
        if name.startswith(
            ("remoteappmanager.db", "remoteappmanager.docker", "sqlalchemy", "docker")
        )
    ]
    assert crossing == []


def test_only_the_docker_seam_knows_the_sdk_errors() -> None:
    crossing = [
        f"{path}: {name}"
        for path, tree in modules()
        for name in imported(tree, path)
        if name.startswith("docker.errors") and not path.startswith("remoteappmanager/docker/")
    ]
    assert crossing == []


def test_the_checks_see_what_they_look_for() -> None:
    """The import reader resolves relative imports: else the checks above pass on
    anything."""
    tree = ast.parse("from ....db import Database\nfrom ..serialize import page_json\n")
    names = imported(tree, "remoteappmanager/handlers/api/admin/users.py")
    assert {"remoteappmanager.db.Database", "remoteappmanager.handlers.api.serialize"} <= names
    waiting = ast.parse("async def f(db):\n    with db.transaction():\n        await g()\n")
    assert awaits_in_transactions(waiting, "f.py") == ["f.py:3: await g()"]
