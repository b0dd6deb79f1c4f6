"""tests/conftest.py opens with a docstring that lists every fixture it defines, one
``- ``name``: what it gives`` line each, and lists nothing else; it holds fixtures and
hooks only, the helpers being in tests/support.py. No service is needed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CONFTEST = Path(__file__).with_name("conftest.py")
# A line of the docstring's list: "- ``name``: ...".
LISTED = re.compile(r"^- ``(\w+)``:", re.MULTILINE)


def fixture_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name pytest knows the function by, when a ``pytest.fixture`` decorates it."""
    for decorator in function.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if ast.unparse(target) not in {"pytest.fixture", "fixture"}:
            continue
        for keyword in call.keywords if call is not None else []:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
        return function.name
    return None


def conftest_fixtures(module: ast.Module) -> set[str]:
    functions = (
        node for node in module.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    )
    return {name for function in functions if (name := fixture_name(function)) is not None}


def test_the_conftest_docstring_lists_every_fixture_and_only_those() -> None:
    module = ast.parse(CONFTEST.read_text())
    docstring = ast.get_docstring(module)
    assert docstring, "tests/conftest.py has no module docstring"
    defined = conftest_fixtures(module)
    listed = set(LISTED.findall(docstring))
    assert defined, "found no fixture in tests/conftest.py"
    assert defined - listed == set(), "fixtures missing from the conftest.py docstring"
    assert listed - defined == set(), "the conftest.py docstring lists what it does not define"


def test_conftest_defines_no_helper_for_tests_to_import() -> None:
    """Only fixtures and ``pytest_*`` hooks: a test imports helpers from tests/support.py."""
    module = ast.parse(CONFTEST.read_text())
    fixtures = conftest_fixtures(module)
    others = [
        node.name
        for node in module.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.name not in fixtures
        and not node.name.startswith("pytest_")
    ]
    assigned = [
        target.id
        for node in module.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    assert others + assigned == []


def test_the_check_sees_a_fixture_left_out() -> None:
    module = ast.parse(
        '"""Fixtures.\n\n- ``listed``: one.\n"""\n'
        "import pytest\n"
        "@pytest.fixture\ndef listed(): ...\n"
        '@pytest.fixture(scope="session", name="renamed")\ndef _renamed(): ...\n'
        "def helper(): ...\n"
    )
    docstring = ast.get_docstring(module) or ""
    assert conftest_fixtures(module) == {"listed", "renamed"}
    assert conftest_fixtures(module) - set(LISTED.findall(docstring)) == {"renamed"}
