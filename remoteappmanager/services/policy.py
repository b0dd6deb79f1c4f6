"""What a grant allows, and the one place where it is validated.

The command line, the admin API and the container start all build a
`GrantPolicy` and so share these checks. What a grant may mount from the host
is the site's choice (`Policy`, ``c.Policy`` in the configuration file), checked again
at every start because a link or the site's settings may have changed since.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from traitlets import List, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from ..db import models
from ..db.models import PATH_LENGTH
from ..errors import InvalidInput

# Host and container paths a grant may never mount: the system's own directories,
# where the Docker socket lives among others.
FORBIDDEN_ROOTS = ("/etc", "/proc", "/sys", "/dev", "/var/run", "/run", "/boot")
# Host directories no volume may be, lie in or contain, even under an allowed root
# (the CIS Docker Benchmark's sensitive directories, the engine's and cron's state).
NEVER_MOUNTED = (
    *FORBIDDEN_ROOTS,
    *("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/root"),
    *("/var/lib/docker", "/var/lib/containerd", "/var/spool/cron"),
)
WORKSPACE_TARGET = "/workspace"
VOLUME_MODES = ("ro", "rw")
LICENSE_LENGTH = 64 * 1024
POLICY_FIELDS = frozenset(
    {
        "allow_home", "allow_view", "allow_startup_data", "volume", "app_license",
        "idle_timeout", "max_lifetime",
    }
)  # fmt: skip
# A grant's idle timeout or lifetime, in seconds, is at most a year.
MAX_TIME_LIMIT = 365 * 24 * 3600
TIME_LIMITS = ("idle_timeout", "max_lifetime")


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
    """The options of one grant; two grants with equal policies are the same grant.

    ``idle_timeout`` and ``max_lifetime``: seconds after which the app is stopped when
    unused, and at the latest (services/culler.py); None: the site's default, 0: never.
    """

    allow_home: bool = False
    allow_view: bool = False
    allow_startup_data: bool = False
    volume: Volume | None = None
    app_license: str | None = None
    idle_timeout: int | None = None
    max_lifetime: int | None = None

    def __post_init__(self) -> None:
        for limit in TIME_LIMITS:
            value = getattr(self, limit)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"the policy's {limit} must be a whole number of seconds")
            if not 0 <= value <= MAX_TIME_LIMIT:
                raise InvalidInput(
                    f"the policy's {limit} must be between 0 (no limit) and "
                    f"{MAX_TIME_LIMIT} seconds (a year), not {value}"
                )
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
    def from_model(cls, policy: models.Policy) -> GrantPolicy:
        volume = None
        if policy.volume_source and policy.volume_target and policy.volume_mode:
            volume = Volume(policy.volume_source, policy.volume_target, policy.volume_mode)
        return cls(
            allow_home=policy.allow_home,
            allow_view=policy.allow_view,
            allow_startup_data=policy.allow_startup_data,
            volume=volume,
            app_license=policy.app_license,
            idle_timeout=policy.idle_timeout,
            max_lifetime=policy.max_lifetime,
        )

    def to_model(self) -> models.Policy:
        return models.Policy(
            allow_home=self.allow_home,
            allow_view=self.allow_view,
            allow_startup_data=self.allow_startup_data,
            volume_source=self.volume.source if self.volume else None,
            volume_target=self.volume.target if self.volume else None,
            volume_mode=self.volume.mode if self.volume else None,
            app_license=self.app_license,
            idle_timeout=self.idle_timeout,
            max_lifetime=self.max_lifetime,
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
            idle_timeout=value.get("idle_timeout"),
            max_lifetime=value.get("max_lifetime"),
        )

    def same_but_time_limits(self, other: GrantPolicy) -> bool:
        """Whether ``other`` differs from this policy in its time limits at most."""

        def unlimited(policy: GrantPolicy) -> GrantPolicy:
            return dataclasses.replace(policy, idle_timeout=None, max_lifetime=None)

        return unlimited(self) == unlimited(other)

    def to_json(self) -> dict[str, object]:
        return {
            "allow_home": self.allow_home,
            "allow_view": self.allow_view,
            "allow_startup_data": self.allow_startup_data,
            "volume": str(self.volume) if self.volume else None,
            "app_license": self.app_license,
            "idle_timeout": self.idle_timeout,
            "max_lifetime": self.max_lifetime,
        }


def is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


class Policy(LoggingConfigurable):
    """The site's bounds on grants (``c.Policy`` in remoteappmanager_config.py): site
    configuration, never API data, so an app page in an admin's browser cannot widen
    them. Not to be confused with a grant's row, `models.Policy`."""

    allowed_volume_roots = List(
        Unicode(),
        help="""Host directories a grant's volume may come from, e.g. ["/srv/data"].
        A volume's source must lie under one of them once links are resolved; the
        system's directories (/etc, /usr, /root, /var/lib/docker and the like) and the
        users' workspaces stay refused even there. Empty, the default: no grant may
        mount a volume. Checked when a grant is made and again at every start, so a
        grant left outside the roots is refused at start, with the reason.""",
    ).tag(config=True)

    @validate("allowed_volume_roots")
    def _check_roots(self, proposal: Any) -> list[str]:
        roots = list(proposal["value"])
        for root in roots:
            try:
                check_volume_path(root, "root")
            except InvalidInput as error:
                raise TraitError(f"c.Policy.allowed_volume_roots: {error.message}") from None
        return roots

    def check_volume(self, volume: Volume, protected: Iterable[str] = ()) -> None:
        """Raise `InvalidInput` unless the site allows mounting ``volume``'s source.

        ``protected`` names more host directories that no volume may lie in or contain
        (the workspaces of all users, the database's directory)."""
        source = os.path.realpath(volume.source)
        shown = repr(volume.source) + (
            f" (a link to {source!r})" if source != volume.source else ""
        )
        for never in (*NEVER_MOUNTED, *(os.path.realpath(path) for path in protected)):
            if is_within(source, never) or is_within(never, source):
                where = "is inside" if is_within(source, never) else "holds"
                raise InvalidInput(
                    f"the volume source {shown} {where} {never}, which is never mounted"
                )
        roots = [os.path.realpath(root) for root in self.allowed_volume_roots]
        if not roots:
            raise InvalidInput(
                "this site allows no volumes: the host directories they may come from "
                "are listed in c.Policy.allowed_volume_roots"
            )
        if not any(is_within(source, root) for root in roots):
            raise InvalidInput(
                f"the volume source {shown} is outside the directories this site allows "
                f"for volumes ({', '.join(self.allowed_volume_roots)})"
            )
