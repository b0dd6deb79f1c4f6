"""The command line: the connection options, the command groups and each command's
options and --help text; every command runs a function of `commands`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..exit_codes import EXIT_CODES
from ..policy_options import add_policy_options
from .client import DEFAULT_TIMEOUT
from .commands import (
    Command,
    app_available,
    app_create,
    app_extend,
    app_list,
    app_remove,
    app_running,
    app_share,
    app_shared,
    app_shares,
    app_show,
    app_start,
    app_stop,
    app_unshare,
    app_update,
    audit,
    container_list,
    container_stop,
    grant_create,
    grant_list,
    grant_remove,
    grant_show,
    grant_update,
    share_list,
    share_revoke,
    stats,
    user_create,
    user_list,
    user_remove,
    user_show,
)

ADMINISTRATION = """\
administration:
  The commands marked (admin) - user, grant, container, share, stats, audit, and app
  list, show, create, update and remove - call the admin API of your own service, so
  your server must be running. They are for the site's administrators: the Hub's
  admins, and the members of the groups the service takes for administrators. The
  service checks; anyone else is refused (exit 8).
"""

CONFIGURATION = """\
configuration:
  Each of the Hub's URL, the user and the token comes from its option, else from
  $JUPYTERHUB_URL, $JUPYTERHUB_USER, $JUPYTERHUB_API_TOKEN, else from the JSON
  config file (keys "url", "user", "token"; default ~/.config/remoteapprest.json),
  which may be readable by its owner only (chmod 600). Without a user, the Hub is
  asked whose token it is.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remoteapprest",
        description="Start, list, stop and share your remoteappmanager applications "
        "through JupyterHub, with a JupyterHub API token; administrators also manage the "
        "site's users, applications, grants, containers and shares. Your server must be "
        "running on the Hub.",
        epilog=f"{CONFIGURATION}\n{ADMINISTRATION}\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    connection = parser.add_argument_group("connection")
    connection.add_argument(
        "--url", metavar="URL", help="the Hub's public URL, like https://hub.example.org/"
    )
    connection.add_argument("--user", metavar="NAME", help="whose service to use")
    connection.add_argument(
        "--token",
        metavar="TOKEN",
        help="a JupyterHub API token (others on this machine may see command lines: "
        "prefer $JUPYTERHUB_API_TOKEN or the config file)",
    )
    connection.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        help="the JSON config file (default: ~/.config/remoteapprest.json, if it exists)",
    )
    tls = connection.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", metavar="PATH", help="trust the certificates in this PEM file")
    tls.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the Hub's TLS certificate (anyone on the way can read the token)",
    )
    connection.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="how long to wait for an answer (default: %(default)s)",
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", help="print JSON, for scripts")
    groups = parser.add_subparsers(title="commands", required=True)

    def command_group(name: str, help: str) -> Any:
        sub = groups.add_parser(
            name,
            help=help,
            description=help,
            epilog=ADMINISTRATION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        return sub.add_subparsers(title="commands", required=True)

    def command(
        group: Any, name: str, run: Command, help: str, admin: bool = False
    ) -> argparse.ArgumentParser:
        if admin:
            help = f"(admin) {help}"
        sub: argparse.ArgumentParser = group.add_parser(
            name,
            help=help,
            description=help,
            parents=[output],
            epilog=f"{ADMINISTRATION}\n{EXIT_CODES}" if admin else EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    app = command_group(
        "app",
        "applications: yours (available, running, start, stop, extend, share, shares, "
        "unshare), those others share with you (shared) and, for administrators, the "
        "site's (list, show, create, update, remove)",
    )
    command(
        app,
        "available",
        app_available,
        "list the applications you may run, their settings and which one runs",
    )
    command(app, "running", app_running, "list your application containers and their URLs")
    sub = command(
        app, "start", app_start, "start an application and print its URL (once it answers)"
    )
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `app available`")
    sub.add_argument(
        "--resolution",
        metavar="WxH",
        help="screen size of a desktop application, like 1280x800",
    )
    sub.add_argument(
        "--startupdata",
        metavar="PATH",
        help="a file for the application to open, as the application sees it "
        "(if your grant allows it)",
    )
    sub = command(app, "stop", app_stop, "stop and remove an application container")
    sub.add_argument("url_id", metavar="URL_ID", help="from `app running`")
    sub = command(
        app,
        "extend",
        app_extend,
        "push back when an application with a time limit is stopped (as often a day as "
        "the site allows)",
    )
    sub.add_argument("url_id", metavar="URL_ID", help="from `app running`")
    sub = command(
        app,
        "share",
        app_share,
        "share a running application with a user, a group of the Hub or whoever opens "
        "a link, for a while (if the site and your grant allow it); print the share's id",
    )
    sub.add_argument("url_id", metavar="URL_ID", help="from `app running`")
    whom = sub.add_argument_group("with whom (one of)").add_mutually_exclusive_group(required=True)
    whom.add_argument("--user", dest="share_user", metavar="NAME", help="a JupyterHub user")
    whom.add_argument("--group", dest="share_group", metavar="NAME", help="a JupyterHub group")
    whom.add_argument(
        "--link",
        action="store_true",
        help="a link for any user of the Hub who opens it; it is printed this once only",
    )
    sub.add_argument(
        "--permission",
        choices=("view", "control"),
        help="what they may do: view (the default) or control; `app available --json` "
        "shows which an application allows (share_permissions)",
    )
    sub.add_argument(
        "--expires",
        metavar="SECONDS",
        type=whole_number,
        help="how long the share lasts, from 5 s (default and maximum: the site's, "
        "a day and a week unless it changed them)",
    )
    sub = command(app, "shares", app_shares, "list the shares of a running application of yours")
    sub.add_argument("url_id", metavar="URL_ID", help="from `app running`")
    sub = command(
        app,
        "unshare",
        app_unshare,
        "revoke a share; revoking a link also ends the shares users got by opening it",
    )
    sub.add_argument("share_id", metavar="SHARE_ID", help="from `app shares`")
    command(
        app,
        "shared",
        app_shared,
        "list the applications others share with you, and the URL that opens each",
    )

    sub = command(
        app, "list", app_list, "list the site's applications and their grants", admin=True
    )
    add_search(sub, "applications whose image name contains Q (any case)")
    add_paging(sub)
    sub = command(app, "show", app_show, "show an application", admin=True)
    add_application_id(sub, "ID")
    sub = command(
        app, "create", app_create, "add an application: an image users may be granted", admin=True
    )
    sub.add_argument("image", metavar="IMAGE", help="a Docker image name, like org/app:1.0")
    sub.add_argument(
        "--display-name", metavar="TEXT", help="the name users see (default: the image's label)"
    )
    sub.add_argument(
        "--description", metavar="TEXT", help="what users read (default: the image's label)"
    )
    sub.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="do not check that the Docker engine has the image (pull it later)",
    )
    sub = command(
        app,
        "update",
        app_update,
        "change the name or description users see; what is not given is unchanged",
        admin=True,
    )
    add_application_id(sub, "ID")
    for option, what in (("display-name", "name"), ("description", "description")):
        choice = sub.add_mutually_exclusive_group()
        choice.add_argument(f"--{option}", metavar="TEXT", help=f"the {what} users see")
        choice.add_argument(
            f"--clear-{option}",
            action="store_true",
            help=f"show the image's own {what} again",
        )
    sub = command(
        app,
        "remove",
        app_remove,
        "remove an application and every grant of it; its running apps are stopped",
        admin=True,
    )
    add_application_id(sub, "ID")

    user = command_group("user", "(admin) the site's users: list, show, create, remove")
    sub = command(user, "list", user_list, "list users, their grants and running apps", admin=True)
    add_search(sub, "users whose name contains Q (any case)")
    add_paging(sub)
    sub = command(user, "show", user_show, "show a user, their grants and containers", admin=True)
    sub.add_argument("name", metavar="NAME", help="the user's JupyterHub name")
    sub = command(user, "create", user_create, "add a user, by their JupyterHub name", admin=True)
    sub.add_argument("name", metavar="NAME", help="the user's JupyterHub name")
    sub = command(
        user,
        "remove",
        user_remove,
        "remove a user and all their grants; their running apps are stopped",
        admin=True,
    )
    sub.add_argument("name", metavar="NAME", help="the user's JupyterHub name")

    grant = command_group(
        "grant",
        "(admin) who may run which application, with which policy: list, show, "
        "create, update, remove",
    )
    sub = command(grant, "list", grant_list, "list grants, with their policy", admin=True)
    sub.add_argument("--user", dest="user_name", metavar="NAME", help="only this user's")
    sub.add_argument(
        "--app", type=application_id, metavar="ID", help="only of this application (`app list`)"
    )
    sub = command(grant, "show", grant_show, "show a grant and its policy", admin=True)
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `grant list`")
    sub = command(
        grant,
        "create",
        grant_create,
        "let a user run an application, with a policy; granting an equal policy again "
        "changes nothing",
        admin=True,
    )
    sub.add_argument("user_name", metavar="USER", help="the user's JupyterHub name")
    add_application_id(sub, "APP_ID")
    add_policy_options(sub, "policy (the service checks it)")
    sub = command(
        grant,
        "update",
        grant_update,
        "give a grant a new policy, whole: an option left out is off; an app running "
        "under the grant is stopped",
        admin=True,
    )
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `grant list`")
    add_policy_options(sub, "policy (the service checks it)")
    sub = command(
        grant,
        "remove",
        grant_remove,
        "remove a grant; an app running under it is stopped",
        admin=True,
    )
    sub.add_argument("mapping_id", metavar="MAPPING_ID", help="from `grant list`")

    container = command_group(
        "container", "(admin) every application container of the site: list, stop"
    )
    command(container, "list", container_list, "list every user's containers", admin=True)
    sub = command(container, "stop", container_stop, "stop anyone's container", admin=True)
    sub.add_argument("url_id", metavar="URL_ID", help="from `container list`")

    share = command_group(
        "share", "(admin) every share of the site that has not expired: list, revoke"
    )
    command(share, "list", share_list, "list every user's shares, newest first", admin=True)
    sub = command(
        share,
        "revoke",
        share_revoke,
        "revoke anyone's share (a link: with the shares users got by opening it)",
        admin=True,
    )
    sub.add_argument("share_id", metavar="SHARE_ID", help="from `share list`")

    command(groups, "stats", stats, "the site in a few numbers", admin=True)
    sub = command(groups, "audit", audit, "the audit log of changes, newest first", admin=True)
    add_paging(sub)
    return parser


def add_search(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--search", metavar="Q", help=help)


def add_paging(parser: argparse.ArgumentParser) -> None:
    paging = parser.add_argument_group("paging")
    paging.add_argument(
        "--offset", metavar="N", type=whole_number, help="skip the first N (default: 0)"
    )
    paging.add_argument(
        "--limit", metavar="N", type=whole_number, help="show at most N, up to 500 (default: 100)"
    )


def whole_number(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def add_application_id(parser: argparse.ArgumentParser, metavar: str) -> None:
    parser.add_argument(
        "app_id",
        metavar=metavar,
        type=application_id,
        help="the application's id, from `app list`",
    )


def application_id(text: str) -> int:
    """An application id on the command line: a whole number, as `app list` shows."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an application id (a whole number, from `app list`)"
        )
    return int(text)
