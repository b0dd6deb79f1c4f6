"""Configurables: settings a user may choose when starting an application.

An image accepts a configurable by declaring its ``env.*`` labels; the value the
user gives is validated here, on the server, and becomes environment variables of
the container. A new configurable is one small subclass added to ``CONFIGURABLES``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from ..docker.image import ImageInfo
from ..errors import InvalidInput
from .policy import GrantPolicy


class Configurable:
    """One setting: its name in start requests and the env labels it needs."""

    name: ClassVar[str]
    env_keys: ClassVar[frozenset[str]]

    def applies(self, image: ImageInfo, policy: GrantPolicy) -> bool:
        return self.env_keys <= image.env_keys

    def environment(self, value: Any, image: ImageInfo) -> dict[str, str]:
        """The container's variables for ``value``; raises InvalidInput if it is bad."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What a client needs to offer the setting."""
        return {"name": self.name}


class Resolution(Configurable):
    """The screen size of a desktop app: ``"WIDTHxHEIGHT"``.

    "Fit my window" is the client's business: it measures the window and sends
    the size like any other.
    """

    name = "resolution"
    env_keys = frozenset({"x11-width", "x11-height"})
    minimum = (640, 480)
    maximum = (7680, 4320)
    depth = 24
    pattern = re.compile(r"([0-9]{1,5})x([0-9]{1,5})")

    def environment(self, value: Any, image: ImageInfo) -> dict[str, str]:
        match = self.pattern.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise InvalidInput(
                f"the resolution must be WIDTHxHEIGHT in pixels, like '1280x800', not {value!r}"
            )
        width, height = int(match[1]), int(match[2])
        (min_width, min_height), (max_width, max_height) = self.minimum, self.maximum
        if not (min_width <= width <= max_width and min_height <= height <= max_height):
            raise InvalidInput(
                f"the resolution {width}x{height} is outside {min_width}x{min_height} "
                f"to {max_width}x{max_height}"
            )
        environment = {"X11_WIDTH": str(width), "X11_HEIGHT": str(height)}
        if "x11-depth" in image.env_keys:
            environment["X11_DEPTH"] = str(self.depth)
        return environment

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "minimum": "{}x{}".format(*self.minimum),
            "maximum": "{}x{}".format(*self.maximum),
        }


class StartupData(Configurable):
    """A file for the app to open at start, if the grant allows it."""

    name = "startupdata"
    env_keys = frozenset({"startupdata"})
    max_length = 1024

    def applies(self, image: ImageInfo, policy: GrantPolicy) -> bool:
        return super().applies(image, policy) and policy.allow_startup_data

    def environment(self, value: Any, image: ImageInfo) -> dict[str, str]:
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("the startup data must be a file path, like 'project/case1.vtk'")
        if len(value) > self.max_length:
            raise InvalidInput(f"the startup data is longer than {self.max_length} characters")
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise InvalidInput("the startup data contains control characters such as newlines")
        # Given to the app as a value, never through a shell: `$(...)` stays text.
        return {"STARTUPDATA": value}


CONFIGURABLES: tuple[Configurable, ...] = (Resolution(), StartupData())


def available_configurables(image: ImageInfo, policy: GrantPolicy) -> list[Configurable]:
    return [each for each in CONFIGURABLES if each.applies(image, policy)]


def configurable_environment(
    image: ImageInfo, policy: GrantPolicy, requested: Any
) -> dict[str, str]:
    """Check every requested value and return the variables they give the container."""
    if requested is None:
        return {}
    if not isinstance(requested, dict):
        raise InvalidInput('configurables must be an object, like {"resolution": "1280x800"}')
    available = {each.name: each for each in available_configurables(image, policy)}
    environment: dict[str, str] = {}
    for name, value in requested.items():
        configurable = available.get(name)
        if configurable is None:
            if name == StartupData.name and StartupData().env_keys <= image.env_keys:
                raise InvalidInput("this grant does not allow startup data")
            accepted = ", ".join(sorted(available)) or "none"
            raise InvalidInput(f"{image.title} has no setting {name!r} (it accepts: {accepted})")
        environment.update(configurable.environment(value, image))
    return environment
