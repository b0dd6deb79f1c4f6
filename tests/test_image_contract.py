"""Reading the image labels (SECURITY-TESTS 13 parsing side, 15, 16) and configurables (17, 18)."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from remoteappmanager.docker.image import ImageCache, ImageInfo
from remoteappmanager.errors import InvalidInput
from remoteappmanager.services.configurables import (
    available_configurables,
    configurable_environment,
)
from remoteappmanager.services.policy import GrantPolicy

PREFIX = "eu.simphony-project.docker."
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()


def inspected(labels: dict[str, str], image_id: str = "sha256:1") -> dict[str, Any]:
    return {"Id": image_id, "Config": {"Labels": labels}}


def info(**labels: str) -> ImageInfo:
    return ImageInfo.from_inspect("demo/app", inspected({PREFIX + k: v for k, v in labels.items()}))


def test_labels_become_the_image_info() -> None:
    image = ImageInfo.from_inspect(
        "demo/app",
        inspected(
            {
                PREFIX + "ui_name": "Demo",
                PREFIX + "description": "A demo",
                PREFIX + "icon_128": PNG,
                PREFIX + "type": "vncapp",
                PREFIX + "env.x11-width": "",
                PREFIX + "env.x11-height": "",
                PREFIX + "env.startupdata": "",
            }
        ),
    )
    assert (image.ui_name, image.description, image.icon_128, image.type) == (
        "Demo",
        "A demo",
        PNG,
        "vncapp",
    )
    assert image.env_keys == {"x11-width", "x11-height", "startupdata"}


def test_an_image_without_labels_falls_back_to_overrides_and_its_name() -> None:
    bare = ImageInfo.from_inspect("demo/app", {"Id": "sha256:2", "Config": {"Labels": None}})
    assert (bare.title, bare.description, bare.icon_128, bare.type) == (
        "demo/app",
        None,
        None,
        "webapp",
    )
    named = bare.with_overrides("My app", "Described by the admin")
    assert (named.title, named.description) == ("My app", "Described by the admin")


def test_hostile_text_is_kept_as_text_for_the_views_to_escape() -> None:
    """SECURITY-TESTS 13: the views escape it; parsing keeps it whole and bounded."""
    image = info(ui_name="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>")
    assert image.ui_name == "<script>alert(1)</script>"
    assert info(ui_name="a\nb\0c").ui_name == "a b c"
    assert len(info(description="d" * 100_000).description or "") == 4096


@pytest.mark.parametrize(
    "icon",
    [
        "not base64!",
        base64.b64encode(b"GIF89a" + b"\0" * 32).decode(),
        base64.b64encode(b'<svg onload="alert(1)"/>').decode(),
        PNG[:-3],
        base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * (300 * 1024)).decode(),
    ],
)
def test_bad_icons_give_the_generic_icon(icon: str) -> None:
    """SECURITY-TESTS 15."""
    assert info(icon_128=icon).icon_128 is None


def test_a_50_megabyte_icon_is_refused_at_once() -> None:
    huge = "A" * (50 * 1024 * 1024)
    started = time.perf_counter()
    assert info(icon_128=huge).icon_128 is None
    assert time.perf_counter() - started < 0.5


def test_only_well_formed_env_labels_count() -> None:
    """SECURITY-TESTS 16."""
    image = ImageInfo.from_inspect(
        "demo/app",
        inspected(
            {
                PREFIX + "env.x11-width": "",
                PREFIX + "env.my-option": "",
                PREFIX + "env.A=B": "",
                PREFIX + "env.line\nbreak": "",
                PREFIX + "env.UPPER": "",
                PREFIX + "env.jpy-user": "",
                PREFIX + "env.user": "",
                PREFIX + "env.url-id": "",
                PREFIX + "env.jpy-base-user-url": "",
                PREFIX + "env.app-license": "",
                PREFIX + "env.-lead": "",
                PREFIX + "env.": "",
            }
        ),
    )
    assert image.env_keys == {"x11-width", "my-option"}


def test_unknown_types_are_web_apps() -> None:
    assert info(type="jupyter").type == "jupyter"
    assert info(type="<b>x</b>").type == "webapp"


def test_the_cache_reads_each_image_id_once() -> None:
    cache = ImageCache(size=2)
    first = cache.get("demo/app", inspected({PREFIX + "ui_name": "One"}, "sha256:a"))
    assert cache.get("demo/app", inspected({PREFIX + "ui_name": "Changed"}, "sha256:a")) is first
    rebuilt = cache.get("demo/app", inspected({PREFIX + "ui_name": "Two"}, "sha256:b"))
    assert rebuilt.ui_name == "Two"


DESKTOP = info(**{"env.x11-width": "", "env.x11-height": "", "env.x11-depth": ""})
FILES = info(**{"env.startupdata": ""})


def test_a_resolution_becomes_the_x11_variables() -> None:
    assert configurable_environment(DESKTOP, GrantPolicy(), {"resolution": "1024x768"}) == {
        "X11_WIDTH": "1024",
        "X11_HEIGHT": "768",
        "X11_DEPTH": "24",
    }
    assert configurable_environment(DESKTOP, GrantPolicy(), {}) == {}
    assert [c.name for c in available_configurables(DESKTOP, GrantPolicy())] == ["resolution"]


@pytest.mark.parametrize(
    "value",
    [
        "0x0",
        "-1x5",
        "1e9x1e9",
        "100000x100000",
        "abc",
        None,
        {},
        [],
        1024,
        "1024x",
        "639x480",
        "7681x4320",
        "1024x768 ",
        "\uff11\uff10\uff12\uff14x768",  # full-width digits,
    ],
)
def test_bad_resolutions_are_refused_with_a_message(value: Any) -> None:
    """SECURITY-TESTS 17."""
    with pytest.raises(InvalidInput, match="resolution"):
        configurable_environment(DESKTOP, GrantPolicy(), {"resolution": value})


def test_startup_data_needs_the_grant_to_allow_it() -> None:
    """SECURITY-TESTS 18."""
    with pytest.raises(InvalidInput, match="does not allow startup data"):
        configurable_environment(FILES, GrantPolicy(), {"startupdata": "case.vtk"})
    allowed = GrantPolicy(allow_startup_data=True)
    shell = "$(rm -rf /); `id` && echo 'x'"
    assert configurable_environment(FILES, allowed, {"startupdata": shell}) == {
        "STARTUPDATA": shell
    }
    for bad in ("a\nb", "x" * (10 * 1024 * 1024), "", 5, None):
        with pytest.raises(InvalidInput, match="startup data"):
            configurable_environment(FILES, allowed, {"startupdata": bad})


@pytest.mark.parametrize(
    "requested", [{"environment": {"X": "1"}}, {"volumes": ["/:/host"]}, {"resolution": "800x600"}]
)
def test_settings_the_image_does_not_accept_are_refused(requested: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="accepts: none"):
        configurable_environment(info(), GrantPolicy(), requested)


@pytest.mark.parametrize("requested", ["1024x768", ["resolution"], 3])
def test_configurables_must_be_an_object(requested: Any) -> None:
    with pytest.raises(InvalidInput, match="must be an object"):
        configurable_environment(DESKTOP, GrantPolicy(), requested)
