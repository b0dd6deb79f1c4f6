"""`remoteappdb`: manage the users, applications and grants of the app database."""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from ..db import Application, Database, Grant, User
from ..db.database import DB_URL_ENV, SCHEMA_REVISION
from ..db.models import utc_iso
from ..errors import InvalidInput, NotFound, RemoteAppError
from ..services.catalogue import Catalogue
from ..services.policy import GrantPolicy, Volume
from .exit_codes import EXIT_CODES
from .output import describe_policy, plural, print_json, print_table, said
from .policy_options import POLICY_OPTIONS, add_policy_options

if TYPE_CHECKING:
    from ..services.administration import Administration


Command = Callable[[argparse.Namespace, Database], int | None]
CONFIG_ENV = "REMOTEAPPMANAGER_CONFIG"  # the services' file, as the Hub's config names it
DEFAULT_CONFIG = "remoteappmanager_config.py"


# -- db --


def db_init(args: argparse.Namespace, database: Database) -> None:
    database.initialise()
    print(f"created the database {database.display_url} at revision {SCHEMA_REVISION}")


def db_upgrade(args: argparse.Namespace, database: Database) -> None:
    before = database.current_revision()
    database.upgrade()
    after = database.current_revision()
    if before == after:
        print(f"the database is at the newest revision already ({after})")
    else:
        print(f"upgraded the database from revision {before or '(empty)'} to {after}")


def db_revision(args: argparse.Namespace, database: Database) -> None:
    print(f"database revision: {database.current_revision() or '(empty)'}")
    print(f"newest revision:   {SCHEMA_REVISION}")
    database.check_schema()


# -- user --


def user_create(args: argparse.Namespace, database: Database) -> None:
    with administering(database) as admin:
        admin.create_user(args.name)
    print(f"created the user {args.name!r}")


def user_remove(args: argparse.Namespace, database: Database) -> None:
    with administering(database) as admin:
        grants, stopped = asyncio.run(admin.remove_user(args.name))
    print(f"removed the user {args.name!r} and {plural(grants, 'grant')}{said(stopped)}")


def user_list(args: argparse.Namespace, database: Database) -> None:
    with database.transaction(readonly=True) as session:
        users = Catalogue(session).list_users()
        if args.json:
            print_json([user_to_json(user, args.show_apps) for user in users])
        elif args.show_apps:
            rows = [
                (
                    user.name,
                    grant.application.image,
                    grant.mapping_id,
                    describe_policy(GrantPolicy.from_model(grant.policy).to_json()),
                )
                for user in users
                for grant in sorted(user.grants, key=lambda grant: grant.application.image)
            ]
            rows += [(user.name, "-", "-", "-") for user in users if not user.grants]
            print_table(("USER", "IMAGE", "MAPPING_ID", "POLICY"), sorted(rows))
        else:
            for user in users:
                print(user.name)


# -- app --


def app_create(args: argparse.Namespace, database: Database) -> None:
    with administering(database) as admin:
        create = admin.create_application(
            args.image, args.display_name, args.description, verify=args.verify
        )
        try:
            asyncio.run(create)
        except NotFound as error:
            raise NotFound(f"{error.message}, or pass --no-verify") from None
    print(f"created the application {args.image!r}")


def app_remove(args: argparse.Namespace, database: Database) -> None:
    with administering(database) as admin:
        grants, stopped = asyncio.run(admin.remove_application(args.image))
    print(f"removed the application {args.image!r} and {plural(grants, 'grant')}{said(stopped)}")


def app_list(args: argparse.Namespace, database: Database) -> None:
    with database.transaction(readonly=True) as session:
        applications = Catalogue(session).list_applications()
        if args.json:
            print_json([application_to_json(application) for application in applications])
        else:
            rows = [(a.image, a.display_name or "-", str(len(a.grants))) for a in applications]
            print_table(("IMAGE", "DISPLAY_NAME", "GRANTS"), rows)


def app_grant(args: argparse.Namespace, database: Database) -> None:
    policy = policy_from_args(args)
    with administering(database) as admin:
        mapping_id, created = admin.grant(args.image, args.user, policy)
    if not created:
        print(f"{args.user!r} had this grant of {args.image!r} already", file=sys.stderr)
    print(mapping_id)


def app_revoke(args: argparse.Namespace, database: Database) -> None:
    policy = None if args.revoke_all else policy_from_args(args)
    with administering(database) as admin:
        mapping_ids, stopped = asyncio.run(admin.revoke(args.image, args.user, policy))
    for mapping_id in mapping_ids:
        print(mapping_id)
    if stopped:
        print(said(stopped).lstrip("; "), file=sys.stderr)


@contextmanager
def administering(database: Database) -> Iterator[Administration]:
    """The services that change the site, shared with the admin API; changes are
    logged as made by ``remoteappdb`` and the unix user who ran it.

    What a change takes away is stopped first: if the Docker engine cannot be
    reached, nothing is changed, so no app keeps running without its grant.
    """
    # The docker SDK is slow to import: only for the commands that change things.
    from ..docker import DockerClient
    from ..services.administration import Administration
    from ..services.containers import ContainerService

    # The site's settings, as the services read them: c.Policy, the realm, the engine.
    config = database.config
    containers = ContainerService(
        config=config, database=database, docker=DockerClient(config=config)
    )
    try:
        yield Administration(database, containers, actor=f"remoteappdb ({unix_login()})")
    finally:
        containers.docker.close()


def unix_login() -> str:
    """Who runs the command, by the process's uid: $USER could say anything."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # no name for this uid (a container, say)
        return f"uid {os.getuid()}"


def site_config(path: str | None) -> Config:
    """The services' remoteappmanager_config.py: ``path``, else $REMOTEAPPMANAGER_CONFIG,
    else the file in the working directory if there is one (as the service does)."""
    chosen = path or os.environ.get(CONFIG_ENV)
    file = Path(chosen or DEFAULT_CONFIG)
    if not file.is_file():
        if chosen:
            raise InvalidInput(f"there is no configuration file {str(file)!r}")
        return Config()
    try:
        loader = PyFileConfigLoader(file.name, path=str(file.parent.resolve()))
        config: Config = loader.load_config()
        return config
    except Exception as error:  # the file is Python: it can fail in any way
        raise InvalidInput(f"cannot read the configuration file {str(file)!r}: {error}") from None


def policy_from_args(args: argparse.Namespace) -> GrantPolicy:
    return GrantPolicy(
        allow_home=args.allow_home,
        allow_view=args.allow_view,
        allow_startup_data=args.allow_startup_data,
        volume=Volume.parse(args.volume) if args.volume is not None else None,
        app_license=args.app_license,
        idle_timeout=args.idle_timeout,
        max_lifetime=args.max_lifetime,
    )


# -- output --


def grant_to_json(grant: Grant) -> dict[str, Any]:
    return {
        "mapping_id": grant.mapping_id,
        "image": grant.application.image,
        "policy": GrantPolicy.from_model(grant.policy).to_json(),
        "created_at": utc_iso(grant.created_at),
    }


def user_to_json(user: User, with_grants: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"name": user.name, "created_at": utc_iso(user.created_at)}
    if with_grants:
        result["grants"] = [grant_to_json(grant) for grant in user.grants]
    return result


def application_to_json(application: Application) -> dict[str, Any]:
    return {
        "image": application.image,
        "display_name": application.display_name,
        "description": application.description,
        "grants": len(application.grants),
        "created_at": utc_iso(application.created_at),
    }


# -- the parser --


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remoteappdb",
        description="Manage the users, applications and grants of the remoteappmanager "
        "database. Every change is one transaction: it is done whole or not at all.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"SQLAlchemy URL of the database (default: ${DB_URL_ENV}, else "
        "the SQLite file under the installation prefix that remoteappmanager uses)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"the services' remoteappmanager_config.py, for the site's bounds on grants "
        f"(c.Policy.allowed_volume_roots), its realm and Docker engine (default: "
        f"${CONFIG_ENV}, else ./{DEFAULT_CONFIG} if it exists)",
    )
    parser.add_argument(
        "--db-timeout",
        metavar="SECONDS",
        type=float,
        default=10.0,
        help="how long to wait for a locked or slow database (default: %(default)s)",
    )
    groups = parser.add_subparsers(title="commands", metavar="{db,user,app}", required=True)

    def command(
        group: Any, name: str, run: Command, help: str, description: str | None = None
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(
            name,
            help=help,
            description=description or help,
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    def command_group(name: str, help: str) -> Any:
        sub = groups.add_parser(name, help=help, description=help)
        return sub.add_subparsers(title="commands", required=True)

    db = command_group("db", "create and migrate the database")
    command(db, "init", db_init, "create the tables in a new, empty database")
    command(
        db,
        "upgrade",
        db_upgrade,
        "migrate the database to the schema of this version, keeping every row",
    )
    command(
        db,
        "revision",
        db_revision,
        "show the schema revision of the database and the one this version needs; "
        "exit 5 if they differ",
    )

    user = command_group("user", "create, remove and list users")
    sub = command(user, "create", user_create, "add a user (by their JupyterHub name)")
    sub.add_argument("name", metavar="NAME")
    sub = command(user, "remove", user_remove, "remove a user and all their grants")
    sub.add_argument("name", metavar="NAME")
    sub = command(user, "list", user_list, "list the users")
    sub.add_argument("--show-apps", action="store_true", help="also list each user's grants")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")

    app = command_group("app", "register applications and grant them to users")
    sub = command(app, "create", app_create, "register a Docker image as an application")
    sub.add_argument("image", metavar="IMAGE")
    sub.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check that the Docker engine has the image (default: check)",
    )
    sub.add_argument(
        "--display-name", metavar="TEXT", help="name to show if the image has no ui_name label"
    )
    sub.add_argument(
        "--description", metavar="TEXT", help="description to show if the image has none"
    )
    sub = command(app, "remove", app_remove, "remove an application and all its grants")
    sub.add_argument("image", metavar="IMAGE")
    sub = command(app, "list", app_list, "list the applications")
    sub.add_argument("--json", action="store_true", help="print JSON instead of a table")

    sub = command(
        app,
        "grant",
        app_grant,
        "let USER run IMAGE under a policy; prints the grant's mapping id",
        "Let USER run IMAGE under the policy the options describe, and print the grant's "
        "mapping id. Granting the same policy again changes nothing.",
    )
    sub.add_argument("image", metavar="IMAGE")
    sub.add_argument("user", metavar="USER")
    add_policy_options(sub)

    sub = command(
        app,
        "revoke",
        app_revoke,
        "take back a grant; prints the mapping ids removed",
        "Take back the grant of IMAGE to USER whose policy the options describe (no "
        "options: the grant with the default policy), or every grant of IMAGE to USER "
        "with --revoke-all. Prints the mapping ids removed.",
    )
    sub.add_argument("image", metavar="IMAGE")
    sub.add_argument("user", metavar="USER")
    sub.add_argument(
        "--revoke-all", action="store_true", help="remove every grant of IMAGE to USER"
    )
    add_policy_options(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "revoke_all", False) and any(
        getattr(args, option) not in (None, False) for option in POLICY_OPTIONS
    ):
        parser.error("--revoke-all removes every grant: give it no policy options")

    run: Command = args.run
    try:
        database = Database(config=site_config(args.config), timeout=args.db_timeout)
    except RemoteAppError as error:
        print(f"remoteappdb: error: {error.message}", file=sys.stderr)
        return error.exit_code
    if args.db:
        database.url = args.db
    try:
        if run not in (db_init, db_upgrade, db_revision):
            database.check_schema()
        return run(args, database) or 0
    except RemoteAppError as error:
        print(f"remoteappdb: error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("remoteappdb: interrupted; nothing was changed", file=sys.stderr)
        return 130
    finally:
        database.dispose()


if __name__ == "__main__":
    sys.exit(main())
