"""One function per command: each asks the client and prints the answer, as it is with
``--json``, else readable. Grouped as the command line is: the user's own applications,
then the admin API's resources."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from ...errors import InvalidInput
from ..exit_codes import NOT_FOUND
from ..output import (
    describe_policy,
    format_fields,
    format_table,
    plural,
    print_json,
    said,
    when,
    yes_or_no,
)
from .client import RequestFailed, RestClient, admin_path

Command = Callable[[argparse.Namespace, RestClient], int | None]


# -- app, your own applications --


def app_available(args: argparse.Namespace, client: RestClient) -> None:
    applications = client.get("applications")["items"]
    if args.json:
        print_json(applications)
        return
    rows = [
        (
            app["mapping_id"],
            app["name"],
            app["image"],
            ",".join(each["name"] for each in app["configurables"]) or "-",
            app["container"]["url_id"] if app["container"] else "-",
        )
        for app in applications
    ]
    print(format_table(("MAPPING_ID", "NAME", "IMAGE", "SETTINGS", "RUNNING"), rows))


def app_running(args: argparse.Namespace, client: RestClient) -> None:
    containers = client.get("containers")["items"]
    if args.json:
        print_json(containers)
        return
    names = {app["mapping_id"]: app["name"] for app in client.get("applications")["items"]}
    rows = [
        (
            container["url_id"],
            names.get(container["mapping_id"], container["image"]),
            container["state"],
            stops(container["deadline"]),
            client.public_url(container["url"]),
        )
        for container in containers
    ]
    print(format_table(("URL_ID", "NAME", "STATE", "STOPS", "URL"), rows))


def stops(deadline: Any) -> str:
    """When and why the culler will stop an app: "2026-12-05 14:00:00Z (idle)"."""
    return f"{when(deadline['at'])} ({deadline['reason']})" if deadline else "-"


def app_start(args: argparse.Namespace, client: RestClient) -> None:
    configurables = {
        name: value
        for name, value in (("resolution", args.resolution), ("startupdata", args.startupdata))
        if value is not None
    }
    status, container = client.post(
        "containers", {"mapping_id": args.mapping_id, "configurables": configurables}
    )
    if status == 200:
        print("remoteapprest: it was running already, unchanged", file=sys.stderr)
    if args.json:
        print_json(container)
    else:
        print(client.public_url(container["url"]))


def app_stop(args: argparse.Namespace, client: RestClient) -> None:
    client.delete(f"containers/{quote(args.url_id, safe='')}")
    report_stopped(args, args.url_id)


def app_extend(args: argparse.Namespace, client: RestClient) -> None:
    _, container = client.post(f"containers/{quote(args.url_id, safe='')}/extend", None)
    if args.json:
        print_json(container)
    else:
        print(f"extended {args.url_id}: it stops at {stops(container['deadline'])}")


def report_stopped(args: argparse.Namespace, url_id: str) -> None:
    """The API answers a stop with nothing; this says which container stopped."""
    if args.json:
        print_json({"url_id": url_id, "stopped": True})
    else:
        print(f"stopped {url_id}")


# -- app, sharing your running applications, and what others share with you --

SHARE_COLUMNS = ("ID", "WITH", "PERMISSION", "UNTIL")


def share_row(share: Any) -> tuple[object, ...]:
    return (share["id"], shared_with(share), share["permission"], when(share["expires_at"]))


def shared_with(share: Any) -> str:
    """Whom a share is for: "bob", "group operators", "link", "bob (by link)"."""
    if share["kind"] == "link":
        return "link"
    if share["kind"] == "group":
        return f"group {share['name']}"
    return f"{share['name']} (by link)" if share["via"] else str(share["name"])


def describe_share(share: Any) -> str:
    """What a new share means: "shared U with bob (view only) until ...: the share S"."""
    whom = {"user": f"with {share['name']}", "group": f"with the group {share['name']}"}
    permission = "view only" if share["permission"] == "view" else "view and control"
    return (
        f"shared {share['url_id']} {whom.get(share['kind'], 'by a link')} ({permission}) "
        f"until {when(share['expires_at'])}: the share {share['id']}"
    )


def app_share(args: argparse.Namespace, client: RestClient) -> None:
    if args.share_user is not None:
        kind, name = "user", args.share_user
    elif args.share_group is not None:
        kind, name = "group", args.share_group
    else:
        kind, name = "link", None
    body: dict[str, object] = {"kind": kind}
    # Left out, they are the service's defaults: view, for c.Sharing.default_expiry.
    body.update(
        (field, value)
        for field, value in (
            ("name", name),
            ("permission", args.permission),
            ("expires_in", args.expires),
        )
        if value is not None
    )
    _, share = client.post(f"containers/{quote(args.url_id, safe='')}/shares", body)
    if args.json:
        print_json(share)
    else:
        print(describe_share(share))
        if share["link"]:
            print(client.public_url(share["link"]))
    if share["link"]:
        # The service keeps only a digest of the link's code: nobody can show it again.
        print(
            "remoteapprest: the link is shown this once only: any user of the Hub who "
            f"opens it gets the app until it expires, or until `app unshare {share['id']}`",
            file=sys.stderr,
        )


def app_shares(args: argparse.Namespace, client: RestClient) -> None:
    shares = client.get(f"containers/{quote(args.url_id, safe='')}/shares")["items"]
    if args.json:
        print_json(shares)
    else:
        print(format_table(SHARE_COLUMNS, [share_row(share) for share in shares]))


def app_unshare(args: argparse.Namespace, client: RestClient) -> None:
    client.delete(f"shares/{quote(args.share_id, safe='')}")
    report_revoked(args, args.share_id)


def app_shared(args: argparse.Namespace, client: RestClient) -> None:
    shared = client.get("shared")["items"]
    if args.json:
        print_json(shared)
        return
    rows = [
        (
            app["id"],
            app["name"],
            app["owner"],
            app["permission"],
            when(app["expires_at"]),
            client.public_url(app["open_url"]),
        )
        for app in shared
    ]
    print(format_table(("ID", "APP", "OWNER", "PERMISSION", "UNTIL", "OPEN_URL"), rows))


def report_revoked(args: argparse.Namespace, share_id: str) -> None:
    """The API answers a revocation with nothing; this says which share ended."""
    if args.json:
        print_json({"id": share_id, "revoked": True})
    else:
        print(f"revoked {share_id}")


# -- the admin API: users --


USER_COLUMNS = ("NAME", "GRANTS", "RUNNING", "CREATED")


def user_row(user: Any) -> tuple[object, ...]:
    return (user["name"], user["grant_count"], user["running_count"], when(user["created_at"]))


def user_list(args: argparse.Namespace, client: RestClient) -> None:
    query = {"q": args.search, "offset": args.offset, "limit": args.limit}
    show_items(args, client.get(admin_path("users"), query), USER_COLUMNS, user_row)


def user_show(args: argparse.Namespace, client: RestClient) -> None:
    show(args, client.get(admin_path("users", args.name)), describe_user)


def user_create(args: argparse.Namespace, client: RestClient) -> None:
    _, user = client.post(admin_path("users"), {"name": args.name})
    show(args, user, lambda user: f"created the user {user['name']!r}")


def user_remove(args: argparse.Namespace, client: RestClient) -> None:
    removed = client.delete(admin_path("users", args.name))
    show(
        args,
        removed,
        lambda removed: (
            f"removed the user {args.name!r} and "
            f"{plural(removed['grants'], 'grant')}{said(removed['stopped'])}"
        ),
    )


def describe_user(user: Any) -> str:
    """The user, then their grants and their containers."""
    parts = [
        format_fields(
            [
                ("name", user["name"]),
                ("created", when(user["created_at"])),
                ("grants", user["grant_count"]),
                ("running", user["running_count"]),
            ]
        )
    ]
    if user["grants"]:
        parts.append(format_table(GRANT_COLUMNS, [grant_row(g) for g in user["grants"]]))
    if user["containers"]:
        containers = [container_row(c) for c in user["containers"]]
        parts.append(format_table(CONTAINER_COLUMNS, containers))
    return "\n\n".join(parts)


# -- the admin API: applications --

APPLICATION_COLUMNS = ("ID", "IMAGE", "NAME", "TYPE", "ON_ENGINE", "GRANTS")


def application_row(application: Any) -> tuple[object, ...]:
    labels = application["labels"]
    return (
        application["id"],
        application["image"],
        labels["name"],
        labels["type"],
        yes_or_no(labels["available"]),
        application["grant_count"],
    )


def app_list(args: argparse.Namespace, client: RestClient) -> None:
    query = {"q": args.search, "offset": args.offset, "limit": args.limit}
    page = client.get(admin_path("applications"), query)
    show_items(args, page, APPLICATION_COLUMNS, application_row)


def app_show(args: argparse.Namespace, client: RestClient) -> None:
    show(args, client.get(admin_path("applications", args.app_id)), describe_application)


def app_create(args: argparse.Namespace, client: RestClient) -> None:
    body = {"image": args.image, "verify": args.verify}
    body.update(
        (field, value)
        for field, value in (("display_name", args.display_name), ("description", args.description))
        if value is not None
    )
    try:
        _, application = client.post(admin_path("applications"), body)
    except RequestFailed as error:
        if error.exit_code == NOT_FOUND and args.verify:  # the engine has no such image
            raise RequestFailed(f"{error.message}, or pass --no-verify", NOT_FOUND) from None
        raise
    if not application["labels"]["available"]:
        print(
            "remoteapprest: the Docker engine has no such image yet: nobody can start "
            "the application until it is built or pulled",
            file=sys.stderr,
        )
    show(
        args,
        application,
        lambda app: f"created the application {app['id']}: {app['image']}",
    )


def app_update(args: argparse.Namespace, client: RestClient) -> None:
    # A field left out is unchanged; null clears the override (the image's label shows).
    changes = {
        field: None if clear else value
        for field, value, clear in (
            ("display_name", args.display_name, args.clear_display_name),
            ("description", args.description, args.clear_description),
        )
        if clear or value is not None
    }
    if not changes:
        raise InvalidInput(
            "nothing to change: give --display-name, --clear-display-name, --description "
            "or --clear-description"
        )
    application = client.patch(admin_path("applications", args.app_id), changes)
    show(args, application, lambda app: f"updated the application {app['id']}: {app['image']}")


def app_remove(args: argparse.Namespace, client: RestClient) -> None:
    removed = client.delete(admin_path("applications", args.app_id))
    show(
        args,
        removed,
        lambda removed: (
            f"removed the application {args.app_id} and "
            f"{plural(removed['grants'], 'grant')}{said(removed['stopped'])}"
        ),
    )


def describe_application(application: Any) -> str:
    labels = application["labels"]
    return format_fields(
        [
            ("id", application["id"]),
            ("image", application["image"]),
            ("name", labels["name"]),
            ("description", labels["description"] or "-"),
            ("type", labels["type"]),
            ("on the engine", yes_or_no(labels["available"])),
            # What the admin set over the image's labels.
            ("display name set", application["display_name"] or "-"),
            ("description set", application["description"] or "-"),
            ("grants", application["grant_count"]),
            ("created", when(application["created_at"])),
        ]
    )


# -- the admin API: grants --

GRANT_COLUMNS = ("MAPPING_ID", "USER", "APP_ID", "IMAGE", "POLICY", "RUNNING")


def grant_row(grant: Any) -> tuple[object, ...]:
    return (
        grant["mapping_id"],
        grant["user"],
        grant["application_id"],
        grant["image"],
        describe_policy(grant["policy"]),
        grant["container"]["url_id"] if grant["container"] else "-",
    )


def grant_list(args: argparse.Namespace, client: RestClient) -> None:
    query = {"user": args.user_name, "application_id": args.app}
    grants = client.get_every_item(admin_path("grants"), query)
    show_items(args, {"items": grants}, GRANT_COLUMNS, grant_row)


def grant_show(args: argparse.Namespace, client: RestClient) -> None:
    show(args, client.get(admin_path("grants", args.mapping_id)), describe_grant)


def grant_create(args: argparse.Namespace, client: RestClient) -> None:
    body = {"user": args.user_name, "application_id": args.app_id, "policy": policy_json(args)}
    status, grant = client.post(admin_path("grants"), body)
    if status == 200:
        print(f"remoteapprest: {grant['user']} had this grant already, unchanged", file=sys.stderr)
    show(
        args, grant, lambda grant: f"created {summary(grant)}" if status == 201 else summary(grant)
    )


def grant_update(args: argparse.Namespace, client: RestClient) -> None:
    grant = client.patch(admin_path("grants", args.mapping_id), {"policy": policy_json(args)})
    show(args, grant, lambda grant: f"updated {summary(grant)}")


def grant_remove(args: argparse.Namespace, client: RestClient) -> None:
    removed = client.delete(admin_path("grants", args.mapping_id))
    show(
        args,
        removed,
        lambda removed: f"removed the grant {args.mapping_id}{said(removed['stopped'])}",
    )


def policy_json(args: argparse.Namespace) -> dict[str, object]:
    """The whole policy the options give; the service checks it."""
    return {
        "allow_home": args.allow_home,
        "allow_view": args.allow_view,
        "allow_startup_data": args.allow_startup_data,
        "volume": args.volume,
        "app_license": args.app_license,
        "idle_timeout": args.idle_timeout,
        "max_lifetime": args.max_lifetime,
    }


def summary(grant: Any) -> str:
    return (
        f"the grant {grant['mapping_id']}: {grant['user']} may run {grant['image']} "
        f"({describe_policy(grant['policy'])})"
    )


def describe_grant(grant: Any) -> str:
    policy, container = grant["policy"], grant["container"]
    licence = policy["app_license"]
    return format_fields(
        [
            ("mapping id", grant["mapping_id"]),
            ("user", grant["user"]),
            ("application", f"{grant['application_id']}: {grant['image']}"),
            ("home", yes_or_no(policy["allow_home"])),
            ("view", yes_or_no(policy["allow_view"])),
            ("startup data", yes_or_no(policy["allow_startup_data"])),
            ("volume", policy["volume"] or "-"),
            ("license", f"set ({len(licence)} characters)" if licence else "-"),
            ("idle timeout", time_limit(policy["idle_timeout"])),
            ("max lifetime", time_limit(policy["max_lifetime"])),
            ("running", f"{container['url_id']} ({container['state']})" if container else "-"),
            ("stops", stops(container["deadline"]) if container else "-"),
            ("created", when(grant["created_at"])),
        ]
    )


def time_limit(seconds: int | None) -> str:
    if seconds is None:
        return "the site's default"
    return f"{seconds} s" if seconds else "none"


# -- the admin API: containers, shares, stats, audit --

CONTAINER_COLUMNS = ("URL_ID", "USER", "IMAGE", "STATE", "CREATED")


def container_row(container: Any) -> tuple[object, ...]:
    return (
        container["url_id"],
        container["user"],
        container["image"],
        container["state"],
        when(container["created_at"]),
    )


def container_list(args: argparse.Namespace, client: RestClient) -> None:
    containers = client.get_every_item(admin_path("containers"))
    show_items(args, {"items": containers}, CONTAINER_COLUMNS, container_row)


def container_stop(args: argparse.Namespace, client: RestClient) -> None:
    client.delete(admin_path("containers", args.url_id))
    report_stopped(args, args.url_id)


ADMIN_SHARE_COLUMNS = ("ID", "OWNER", "URL_ID", "WITH", "PERMISSION", "UNTIL")


def admin_share_row(share: Any) -> tuple[object, ...]:
    return (
        share["id"],
        share["owner"],
        share["url_id"],
        shared_with(share),
        share["permission"],
        when(share["expires_at"]),
    )


def share_list(args: argparse.Namespace, client: RestClient) -> None:
    shares = client.get_every_item(admin_path("shares"))
    show_items(args, {"items": shares}, ADMIN_SHARE_COLUMNS, admin_share_row)


def share_revoke(args: argparse.Namespace, client: RestClient) -> None:
    client.delete(admin_path("shares", args.share_id))
    report_revoked(args, args.share_id)


def stats(args: argparse.Namespace, client: RestClient) -> None:
    show(
        args,
        client.get(admin_path("stats")),
        lambda numbers: format_fields([(name.replace("_", " "), n) for name, n in numbers.items()]),
    )


AUDIT_COLUMNS = ("AT", "ACTOR", "ACTION", "TARGET", "DETAILS")


def audit_row(entry: Any) -> tuple[object, ...]:
    details = entry["details"]
    return (
        when(entry["at"]),
        entry["actor"],
        entry["action"],
        entry["target"] or "-",
        json.dumps(details, ensure_ascii=False) if details else "-",
    )


def audit(args: argparse.Namespace, client: RestClient) -> None:
    query = {"offset": args.offset, "limit": args.limit}
    show_items(args, client.get(admin_path("audit"), query), AUDIT_COLUMNS, audit_row)


# -- output --


def show(args: argparse.Namespace, answer: Any, readable: Callable[[Any], str]) -> None:
    """The API's answer: unchanged with ``--json``, else made readable."""
    if args.json:
        print_json(answer)
    else:
        print(readable(answer))


def show_items(
    args: argparse.Namespace,
    answer: Any,
    header: Sequence[str],
    row: Callable[[Any], Sequence[object]],
) -> None:
    """A list (``{"items": [...]}``, a page with ``total``, ``offset``, ``limit`` too):
    unchanged with ``--json``, else a table; stderr says when there is more."""
    show(args, answer, lambda answer: format_table(header, [row(i) for i in answer["items"]]))
    if args.json or "total" not in answer:
        return
    shown_to = answer["offset"] + len(answer["items"])
    if answer["items"] and shown_to < answer["total"]:
        print(
            f"remoteapprest: {answer['offset'] + 1} to {shown_to} of {answer['total']} "
            f"shown; for the next ones, give --offset {shown_to}",
            file=sys.stderr,
        )
