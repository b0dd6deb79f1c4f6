"""What both command lines print: tables and fields safe for a terminal, JSON, times
in UTC, counted nouns. One module, so that `remoteappdb` and `remoteapprest` say
things the same way."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any


def print_json(value: object) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    print()


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print(format_table(header, rows))


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns aligned with two spaces; the last one is not padded."""
    lines = [tuple(header), *(tuple(printable(cell) for cell in row) for row in rows)]
    widths = [max(len(cell) for cell in column) for column in zip(*lines, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def format_fields(fields: Sequence[tuple[str, object]]) -> str:
    """One ``name: value`` a line, the values aligned."""
    width = max((len(name) for name, _ in fields), default=0) + 1
    return "\n".join(f"{name + ':':{width}}  {printable(value)}" for name, value in fields)


def printable(value: object) -> str:
    """A cell on one line, with no control characters: what the API gives (an image's
    labels, say) can move neither the table nor the terminal."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in str(value)
    )


def when(moment: str) -> str:
    """A time of the API, to the second, in UTC."""
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
    return parsed.strftime("%Y-%m-%d %H:%M:%SZ")


def yes_or_no(flag: object) -> str:
    return "yes" if flag else "no"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def said(stopped: int) -> str:
    return f"; stopped {plural(stopped, 'running application')}" if stopped else ""


def describe_policy(policy: Any) -> str:
    """A grant's policy (as the API writes it: `GrantPolicy.to_json`) in a few words."""
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
    for limit in ("idle_timeout", "max_lifetime"):
        if policy.get(limit) is not None:
            words.append(f"{limit}={policy[limit]}s")
    return ",".join(words) or "-"
