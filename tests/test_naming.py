"""Names derived from user names (SECURITY-TESTS 23, 24)."""

from __future__ import annotations

import re

import pytest

from remoteappmanager.naming import escape_name, unix_name

TRICKY = [
    "alice",
    "Alice",
    "ALICE",
    "a-b",
    "a_2db",
    "a_2Db",
    "a.b",
    "a_2eb",
    "alice@example.org",
    "alice_40example_2eorg",
    "../../etc",
    "-o",
    "root",
    "a;id",
    "$(id)",
    "x" * 255,
    "x" * 254 + "y",
    "élodie",
    "<script>",
    "a b",
    "",
]


def test_escaped_names_never_meet() -> None:
    escaped = [escape_name(name) for name in TRICKY]
    assert len(set(escaped)) == len(TRICKY)


@pytest.mark.parametrize("name", TRICKY)
def test_escaped_names_are_safe_for_files_and_containers(name: str) -> None:
    escaped = escape_name(name)
    assert re.fullmatch(r"[a-z0-9_-]*", escaped)
    assert len(escaped) <= 64
    assert escaped not in (".", "..")


def test_long_names_that_share_a_start_stay_apart() -> None:
    assert escape_name("x" * 255) != escape_name("x" * 254 + "y")
    assert escape_name("x" * 200).endswith(escape_name("x" * 200)[-16:])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice", "alice"),
        ("Alice.Smith@example.org", "alice_smith_example_org"),
        ("root", "user_root"),
        ("ROOT", "user_root"),
        ("nobody", "user_nobody"),
        ("-o", "o"),
        ("123", "user_123"),
        ("../../etc", "etc"),
        ("a;id", "a_id"),
        ("$(id)", "id"),
        ("", "user"),
        ("x" * 255, "x" * 32),
    ],
)
def test_unix_names_are_safe_and_never_a_system_account(name: str, expected: str) -> None:
    assert unix_name(name) == expected
    assert re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", unix_name(name))
