"""The command-line options of a grant's policy, the same in `remoteappdb` and
`remoteapprest` (standard library only: `remoteapprest` must start fast)."""

from __future__ import annotations

import argparse

# The attributes they set: a policy is given when any is set.
POLICY_OPTIONS = (
    "allow_home", "allow_view", "allow_startup_data", "volume", "app_license",
    "idle_timeout", "max_lifetime",
)  # fmt: skip


def add_policy_options(parser: argparse.ArgumentParser, title: str = "policy") -> None:
    policy = parser.add_argument_group(title)
    policy.add_argument(
        "--allow-home",
        action="store_true",
        help="mount the user's workspace directory at /workspace",
    )
    policy.add_argument(
        "--allow-view",
        action="store_true",
        help="let the user share the running app with others",
    )
    policy.add_argument(
        "--allow-startup-data",
        action="store_true",
        help="let the user name a file for the app to open at start",
    )
    policy.add_argument(
        "--volume",
        metavar="SRC:TGT:MODE",
        help="mount the host directory SRC at TGT in the container, MODE ro or rw",
    )
    policy.add_argument(
        "--app-license",
        "--license",
        dest="app_license",
        metavar="TEXT",
        help="licence text given to the app as $APP_LICENSE",
    )
    policy.add_argument(
        "--idle-timeout",
        type=int,
        metavar="SECONDS",
        help="stop the app once unused this long (0: never; default: the site's)",
    )
    policy.add_argument(
        "--max-lifetime",
        type=int,
        metavar="SECONDS",
        help="stop the app this long after its start at the latest (0: never; default: the site's)",
    )
