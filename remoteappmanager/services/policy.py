"""What a grant allows, and the one place where it is validated.

The command line, the admin API and the container start all build a
`GrantPolicy` and so share these checks.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ..db.models import PATH_LENGTH, Policy
from ..errors import InvalidInput

# Host and container paths a grant may never mount: the system's own directories,
# where the Docker socket lives among others.
FORBIDDEN_ROOTS = ("/etc", "/proc", "/sys", "/dev", "/var/run", "/run", "/boot")
WORKSPACE_TARGET = "/workspace"
VOLUME_MODES = ("ro", "rw")
LICENSE_LENGTH = 64 * 1024
POLICY_FIELDS = frozenset(
    {"allow_home", "allow_view", "allow_startup_data", "volume", "app_license"}
)


def check_volume_path(path: str, role: str) -> str:
    """Return ``path`` if it is safe to mount as the volume's ``role``, else raise."""
    if not path:
        raise InvalidInput(f"the volume {role} is empty")
    if len(path) > PATH_LENGTH:
        raise InvalidInput(f"the volume {role} is longer than {PATH_LENGTH} characters")
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        raise InvalidInput(f"the volume {role} {path!r} contains control characters")
    if ":" in path:
        raise InvalidInput(f"the volume {role} {path!r} contains ':'")
    if not path.startswith("/"):
        raise InvalidInput(f"the volume {role} {path!r} is not an absolute path")
    if posixpath.normpath(path) != path or path.startswith("//"):
        raise InvalidInput(
            f"the volume {role} {path!r} is not normalised "
            f"(write {posixpath.normpath(path)!r}: no '..', '.', '//' or trailing '/')"
        )
    if path == "/":
        raise InvalidInput(f"the volume {role} may not be the root directory '/'")
    for root in FORBIDDEN_ROOTS:
        if path == root or path.startswith(root + "/"):
            raise InvalidInput(
                f"the volume {role} {path!r} is inside {root}, which is never mounted"
            )
    if posixpath.basename(path) == "docker.sock":
        raise InvalidInput(f"the volume {role} {path!r} looks like the Docker socket")
    return path


@dataclass(frozen=True)
class Volume:
    """One host directory mounted into the container."""

    source: str
    target: str
    mode: str = "ro"

    def __post_init__(self) -> None:
        check_volume_path(self.source, "source")
        check_volume_path(self.target, "target")
        if self.mode not in VOLUME_MODES:
            raise InvalidInput(f"the volume mode {self.mode!r} is neither 'ro' nor 'rw'")

    @classmethod
    def parse(cls, spec: str) -> Volume:
        """Read ``SOURCE:TARGET:MODE``, as in ``/srv/data:/data:ro``."""
        parts = spec.split(":")
        if len(parts) != 3:
            raise InvalidInput(
                f"the volume {spec!r} is not SOURCE:TARGET:MODE (e.g. /srv/data:/data:ro)"
            )
        source, target, mode = parts
        return cls(source, target, mode)

    def __str__(self) -> str:
        return f"{self.source}:{self.target}:{self.mode}"


@dataclass(frozen=True)
class GrantPolicy:
    """The options of one grant; two grants with equal policies are the same grant."""

    allow_home: bool = False
    allow_view: bool = False
    allow_startup_data: bool = False
    volume: Volume | None = None
    app_license: str | None = None

    def __post_init__(self) -> None:
        if self.app_license is not None:
            if not self.app_license.strip():
                raise InvalidInput("the application licence is empty")
            if len(self.app_license) > LICENSE_LENGTH:
                raise InvalidInput(
                    f"the application licence is longer than {LICENSE_LENGTH} characters"
                )
            if "\0" in self.app_license:
                raise InvalidInput("the application licence contains a NUL character")
        if self.allow_home and self.volume and self.volume.target == WORKSPACE_TARGET:
            raise InvalidInput(
                f"the volume target {WORKSPACE_TARGET} is where the workspace is mounted "
                "when the home directory is allowed; choose another target"
            )

    @classmethod
    def from_model(cls, policy: Policy) -> GrantPolicy:
        volume = None
        if policy.volume_source and policy.volume_target and policy.volume_mode:
            volume = Volume(policy.volume_source, policy.volume_target, policy.volume_mode)
        return cls(
            allow_home=policy.allow_home,
            allow_view=policy.allow_view,
            allow_startup_data=policy.allow_startup_data,
            volume=volume,
            app_license=policy.app_license,
        )

    def to_model(self) -> Policy:
        return Policy(
            allow_home=self.allow_home,
            allow_view=self.allow_view,
            allow_startup_data=self.allow_startup_data,
            volume_source=self.volume.source if self.volume else None,
            volume_target=self.volume.target if self.volume else None,
            volume_mode=self.volume.mode if self.volume else None,
            app_license=self.app_license,
        )

    @classmethod
    def from_json(cls, value: object) -> GrantPolicy:
        """From the JSON form (`to_json`); any field may be left out, none added."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise InvalidInput("the policy must be a JSON object")
        unknown = sorted(set(value) - POLICY_FIELDS)
        if unknown:
            raise InvalidInput(
                f"unknown policy field(s): {', '.join(unknown)} "
                f"(allowed: {', '.join(sorted(POLICY_FIELDS))})"
            )
        for flag in ("allow_home", "allow_view", "allow_startup_data"):
            if not isinstance(value.get(flag, False), bool):
                raise InvalidInput(f"the policy's {flag} must be true or false")
        for text in ("volume", "app_license"):
            if not isinstance(value.get(text), str | None):
                raise InvalidInput(f"the policy's {text} must be a string or null")
        volume = value.get("volume")
        return cls(
            allow_home=value.get("allow_home", False),
            allow_view=value.get("allow_view", False),
            allow_startup_data=value.get("allow_startup_data", False),
            volume=Volume.parse(volume) if volume is not None else None,
            app_license=value.get("app_license"),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "allow_home": self.allow_home,
            "allow_view": self.allow_view,
            "allow_startup_data": self.allow_startup_data,
            "volume": str(self.volume) if self.volume else None,
            "app_license": self.app_license,
        }
