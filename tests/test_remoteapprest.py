"""`remoteapprest` end to end: the console script in a subprocess.

Against a whole site (JupyterHub, CHP, the users' services, Docker) in
`TestAgainstASite` (a user's commands) and `TestAdminCommands` (an administrator's);
against small local HTTP servers for the answers a site cannot be made to give on
demand (409, 503, 502, redirects, TLS) and for what each admin command sends; against
nothing for the configuration and for a Hub that does not answer.

The client's mapping of answers onto exit codes and its following of pages are also
unit-tested in-process, with a fake transport (`Answering`) in place of urllib's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from remoteappmanager.cli.exit_codes import (
    CONFLICT,
    INVALID,
    NOT_FOUND,
    REFUSED,
    START_FAILED,
    UNAVAILABLE,
    UNEXPECTED,
)
from remoteappmanager.cli.output import format_table
from remoteappmanager.cli.remoteapprest import build_parser
from remoteappmanager.cli.remoteapprest.client import (
    Request,
    RequestFailed,
    Response,
    RestClient,
)
from remoteappmanager.cli.remoteapprest.settings import load_settings
from remoteappmanager.db import Database
from remoteappmanager.errors import InvalidInput
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .hub import free_port
from .site import Site, running_site
from .support import DEMO_WEBAPP

REMOTEAPPREST = str(Path(sys.executable).with_name("remoteapprest"))

Run = Callable[..., subprocess.CompletedProcess[str]]
Result = subprocess.CompletedProcess[str]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Runs the console script with a home of its own and no ``JUPYTERHUB_*`` variables."""
    home = tmp_path / "home"
    home.mkdir()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
        environ["HOME"] = str(home)
        environ.update(env or {})
        return subprocess.run(
            [REMOTEAPPREST, *args], capture_output=True, text=True, timeout=120, env=environ
        )

    return run


def ok(result: Result) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def refused(result: Result, exit_code: int, message: str) -> None:
    """One clear line on stderr, nothing on stdout, no traceback."""
    assert result.returncode == exit_code, (result.stdout, result.stderr)
    assert result.stderr.startswith("remoteapprest: error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


def config_file(path: Path, mode: int = 0o600, **settings: str) -> Path:
    path.write_text(json.dumps(settings))
    path.chmod(mode)
    return path


# -- configuration, with no Hub --


def test_each_setting_comes_from_its_option_else_the_environment_else_the_file(
    tmp_path: Path,
) -> None:
    config = config_file(
        tmp_path / "rest.json", url="http://file.example/", user="file", token="file-token"
    )
    environ = {"JUPYTERHUB_URL": "http://env.example", "JUPYTERHUB_API_TOKEN": "env-token"}
    options = {"url": None, "user": None, "token": "option-token"}
    settings = load_settings(options, environ, config)
    # The URL gets its ending slash, so that paths join under it.
    assert (settings.url, settings.user, settings.token) == (
        "http://env.example/",
        "file",
        "option-token",
    )
    assert load_settings({}, {}, config).token == "file-token"
    # No user anywhere: the client asks the Hub.
    assert load_settings({}, environ, None).user is None


def test_the_default_config_file_is_optional_and_a_named_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    environ = {"JUPYTERHUB_URL": "https://hub.example", "JUPYTERHUB_API_TOKEN": "t"}
    assert load_settings({}, environ, None).url == "https://hub.example/"
    with pytest.raises(InvalidInput, match="there is no config file"):
        load_settings({}, environ, tmp_path / "missing.json")
    (tmp_path / ".config").mkdir()
    config_file(tmp_path / ".config" / "remoteapprest.json", token="from-default-file")
    assert load_settings({"url": "http://h"}, {}, None).token == "from-default-file"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('["url"]', "must hold a JSON object"),
        ('{"url": "http://h", "tokn": "x"}', "unknown key 'tokn'"),
        ('{"token": 42}', "'token' must be a string"),
        ('{"url": "hub.example.org", "token": "x"}', "the Hub URL must be like"),
        ('{"url": "http://h"}', "no API token"),
    ],
)
def test_a_bad_config_file_says_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "rest.json"
    config.write_text(content)
    config.chmod(0o600)
    with pytest.raises(InvalidInput, match=message):
        load_settings({}, {}, config)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_a_config_file_that_others_may_access_is_refused(
    run: Run, tmp_path: Path, mode: int
) -> None:
    config = config_file(tmp_path / "rest.json", mode, url="http://h/", token="secret")
    result = run("--config", str(config), "app", "available")
    refused(result, 2, f"(mode {mode:04o}): run `chmod 600 {config}`")
    assert "secret" not in result.stderr


def test_without_a_token_it_says_where_to_give_one(run: Run) -> None:
    refused(run("--url", "http://h/", "app", "available"), 2, "no API token: give --token")


def test_a_hub_that_does_not_answer_is_named_without_a_traceback(run: Run) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    refused(
        run("--url", url, "--user", "alice", "--token", "t", "app", "available"),
        1,
        f"cannot reach {url}user/alice/api/v1/applications: Connection refused",
    )


def test_the_environment_beats_the_config_file_and_an_option_beats_both(
    run: Run, tmp_path: Path
) -> None:
    """Told apart by which URL the refused connection names."""
    from_file, from_env, from_option = (f"http://127.0.0.1:{free_port()}/" for _ in range(3))
    config = config_file(tmp_path / "rest.json", url=from_file, user="alice", token="t")
    command = ("--config", str(config), "app", "running")
    refused(run(*command), 1, f"cannot reach {from_file}")
    env = {"JUPYTERHUB_URL": from_env}
    refused(run(*command, env=env), 1, f"cannot reach {from_env}")
    refused(run("--url", from_option, *command, env=env), 1, f"cannot reach {from_option}")


def test_help_documents_the_configuration_and_the_exit_codes(run: Run) -> None:
    usage = ok(run("--help"))
    assert "$JUPYTERHUB_API_TOKEN" in usage and "chmod 600" in usage
    assert "8  refused: the token (HTTP 401, 403), not an administrator" in usage
    assert "--insecure" in usage
    start = ok(run("app", "start", "--help"))
    assert "--resolution WxH" in start and "--json" in start and "exit codes:" in start


USER_APP_COMMANDS = [
    *("available", "running", "start", "stop", "extend"),
    *("share", "shares", "unshare", "shared"),
]
COMMANDS = {
    "app": [*USER_APP_COMMANDS, *("list", "show", "create", "update", "remove")],
    "user": ["list", "show", "create", "remove"],
    "grant": ["list", "show", "create", "update", "remove"],
    "container": ["list", "stop"],
    "share": ["list", "revoke"],
}
ADMIN_COMMANDS = [
    *(["app", name] for name in ("list", "show", "create", "update", "remove")),
    *(
        [group, name]
        for group in ("user", "grant", "container", "share")
        for name in COMMANDS[group]
    ),
    ["stats"],
    ["audit"],
]


def test_help_documents_every_command_and_which_are_for_administrators(run: Run) -> None:
    usage = ok(run("--help"))
    assert "{app,user,grant,container,share,stats,audit}" in usage
    assert "administration:" in usage and "anyone else is refused (exit 8)" in usage
    for group, names in COMMANDS.items():
        described = ok(run(group, "--help"))
        assert f"{{{','.join(names)}}}" in described, described
        assert f"    {group}" in usage
    for command in ADMIN_COMMANDS:
        described = ok(run(*command, "--help"))
        assert "(admin) " in described and "administration:" in described, command
        assert "--json" in described and "exit codes:" in described, command
        assert f"    {command[-1]}" in ok(run(*command[:-1], "--help")), command
    for name in USER_APP_COMMANDS:
        assert "(admin)" not in ok(run("app", name, "--help"))
    grant = ok(run("grant", "update", "--help"))
    assert "--volume SRC:TGT:MODE" in grant and "an option left out is off" in grant
    update = ok(run("app", "update", "--help"))
    assert "--clear-display-name" in update and "--clear-description" in update
    assert "--offset N" in ok(run("audit", "--help"))
    share = ok(run("app", "share", "--help"))
    assert "(--user NAME | --group NAME | --link)" in share and "--expires SECONDS" in share


def test_a_bad_command_line_exits_2_before_asking_anyone(run: Run) -> None:
    hub = ("--url", f"http://127.0.0.1:{free_port()}/", "--user", "alice", "--token", "t")
    for command, message in [
        (["app", "show", "x"], "'x' is not an application id"),
        (["grant", "create", "bob", "1.5"], "'1.5' is not an application id"),
        (["user", "list", "--offset", "-1"], "'-1' is not a whole number"),
        (["app", "update", "3", "--description", "d", "--clear-description"], "not allowed with"),
        (["grant", "list", "--volume", "/srv:/srv:ro"], "unrecognized arguments"),
        (["app", "share", "u1"], "one of the arguments --user --group --link is required"),
        (["app", "share", "u1", "--user", "bob", "--link"], "not allowed with"),
        (["app", "share", "u1", "--link", "--permission", "edit"], "invalid choice: 'edit'"),
        (["app", "share", "u1", "--link", "--expires", "1h"], "'1h' is not a whole number"),
    ]:
        result = run(*hub, *command)
        assert result.returncode == 2 and message in result.stderr, (command, result.stderr)
        assert result.stdout == ""
    # Checked before any request: the Hub would not answer.
    refused(run(*hub, "app", "update", "3"), 2, "nothing to change: give --display-name")


def test_tables_align_their_columns() -> None:
    table = format_table(("URL_ID", "NAME"), [("a1", "Demo web app"), ("b22222", "-")])
    assert table.splitlines() == ["URL_ID  NAME", "a1      Demo web app", "b22222  -"]
    assert format_table(("A", "B"), []) == "A  B"
    # What the API gives can move neither the table nor the terminal.
    assert format_table(("A", "B"), [("x\ny", "\x1b[2J")]).splitlines() == [
        "A     B",
        "x\\ny  \\x1b[2J",
    ]


# -- answers a site does not give on demand, from a local server --


class Stub(ThreadingHTTPServer):
    """Answers every request with ``answer``, or a path of ``answers`` with its own;
    remembers what it was asked."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.answer: tuple[int, dict[str, str], bytes] = (200, {}, b'{"items": []}')
        self.answers: dict[str, tuple[int, dict[str, str], bytes]] = {}  # by path and query
        self.seen: list[tuple[str, str, str | None]] = []
        self.bodies: list[Any] = []  # the JSON bodies sent, in order

    @property
    def url(self) -> str:
        scheme = "https" if isinstance(self.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}/"


class StubHandler(BaseHTTPRequestHandler):
    server: Stub

    def answer(self) -> None:
        self.server.seen.append((self.command, self.path, self.headers.get("Authorization")))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if body:
            self.server.bodies.append(json.loads(body))
        status, headers, body = self.server.answers.get(self.path, self.server.answer)
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = answer

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(stub: Stub) -> Iterator[Stub]:
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.shutdown()
        stub.server_close()


@pytest.fixture
def stub() -> Iterator[Stub]:
    with serving(Stub()) as serving_stub:
        yield serving_stub


def error(status: int, message: str) -> bytes:
    return json.dumps({"error": {"code": status, "message": message}}).encode()


@pytest.mark.parametrize(
    ("status", "body", "exit_code", "message"),
    [
        (400, error(400, "the body is not valid JSON"), 2, "the body is not valid JSON"),
        (422, error(422, "no good"), 2, "no good"),
        (404, error(404, "there is no application 'x'"), 3, "there is no application 'x'"),
        (409, error(409, "being started; try again"), 4, "being started; try again"),
        (503, error(503, "the Docker engine does not answer"), 5, "Docker engine"),
        # What the Hub answers when the user's server is not running.
        (424, b'{"message": "JupyterHub server no longer running"}', 5, "no longer running"),
        (502, error(502, "the application did not start"), 7, "did not start"),
        (500, b"<html>oops</html>", 1, "HTTP 500 Internal Server Error"),
    ],
)
def test_each_refusal_has_its_exit_code(
    run: Run, stub: Stub, status: int, body: bytes, exit_code: int, message: str
) -> None:
    stub.answer = (status, {}, body)
    result = run("--url", stub.url, "--user", "alice", "--token", "t", "app", "stop", "x")
    refused(result, exit_code, message)
    assert stub.seen == [("DELETE", "/user/alice/api/v1/containers/x", "token t")]


def test_the_token_never_follows_a_redirect_to_another_site(run: Run, stub: Stub) -> None:
    with serving(Stub()) as elsewhere:
        stub.answer = (302, {"Location": f"{elsewhere.url}steal"}, b"")
        result = run("--url", stub.url, "--user", "alice", "--token", "t", "app", "available")
        refused(result, 1, f"redirects to {elsewhere.url}steal")
        assert elsewhere.seen == []


def test_a_redirect_to_the_login_page_means_the_token_was_refused(run: Run, stub: Stub) -> None:
    stub.answer = (302, {"Location": "/hub/login?next=%2Fhub%2Fuser%2Falice%2F"}, b"")
    result = run("--url", stub.url, "--user", "alice", "--token", "t", "app", "available")
    refused(result, 8, "did not accept the token")


def test_an_answer_that_is_not_json_points_at_the_url(run: Run, stub: Stub) -> None:
    stub.answer = (200, {"Content-Type": "text/html"}, b"<html>a blog</html>")
    result = run("--url", stub.url, "--user", "alice", "--token", "t", "app", "available")
    refused(result, 1, f"is {stub.url} the Hub's public URL?")


POLICY_OFF = {
    "allow_home": False,
    "allow_view": False,
    "allow_startup_data": False,
    "volume": None,
    "app_license": None,
    "idle_timeout": None,
    "max_lifetime": None,
}


def test_extend_says_when_the_app_now_stops(run: Run, stub: Stub) -> None:
    deadline = {"at": "2026-12-05T15:00:00+00:00", "reason": "lifetime", "warning": False}
    stub.answer = (200, {}, json.dumps({"url_id": "u1", "deadline": deadline}).encode())
    extended = run("--url", stub.url, "--user", "alice", "--token", "t", "app", "extend", "u1")
    assert ok(extended) == "extended u1: it stops at 2026-12-05 15:00:00Z (lifetime)\n"
    assert stub.seen == [("POST", "/user/alice/api/v1/containers/u1/extend", "token t")]


# -- sharing, against a local server --

SHARES = "/user/alice/api/v1/containers/u1/shares"


def share_json(share_id: str, kind: str = "user", name: str | None = "bob", **fields: Any) -> Any:
    """A share as the API gives it."""
    return {
        "id": share_id,
        "url_id": "u1",
        "mapping_id": "m1",
        "owner": "alice",
        "kind": kind,
        "name": name,
        "permission": "view",
        "via": None,
        "created_at": "2026-12-06T01:00:00+00:00",
        "expires_at": "2026-12-07T01:00:00+00:00",
        "link": None,
        **fields,
    }


def as_alice(run: Run, stub: Stub, *command: str) -> Result:
    return run("--url", stub.url, "--user", "alice", "--token", "t", *command)


@pytest.mark.parametrize(
    ("command", "method", "path", "body"),
    [
        (
            ["share", "u1", "--user", "bob"],
            "POST",
            "containers/u1/shares",
            {"kind": "user", "name": "bob"},
        ),
        (
            ["share", "u1", "--group", "operators", "--permission", "control", "--expires", "3600"],
            "POST",
            "containers/u1/shares",
            {"kind": "group", "name": "operators", "permission": "control", "expires_in": 3600},
        ),
        # A link has no name; what is not given is the site's default.
        (["share", "u/1", "--link"], "POST", "containers/u%2F1/shares", {"kind": "link"}),
        (["shares", "u1"], "GET", "containers/u1/shares", None),
        (["unshare", "s1"], "DELETE", "shares/s1", None),
        (["shared"], "GET", "shared", None),
    ],
)
def test_each_sharing_command_sends_its_request(
    run: Run, stub: Stub, command: list[str], method: str, path: str, body: Any
) -> None:
    stub.answer = (201, {}, json.dumps({**share_json("s1"), "items": []}).encode())
    ok(as_alice(run, stub, "app", *command, "--json"))
    assert stub.seen == [(method, f"/user/alice/api/v1/{path}", "token t")]
    assert stub.bodies == ([] if body is None else [body])


@pytest.mark.parametrize(
    ("whom", "share", "said"),
    [
        (
            ["--user", "bob"],
            share_json("s1"),
            "shared u1 with bob (view only) until 2026-12-07 01:00:00Z: the share s1\n",
        ),
        (
            ["--group", "operators", "--permission", "control"],
            share_json("s2", "group", "operators", permission="control"),
            "shared u1 with the group operators (view and control) until "
            "2026-12-07 01:00:00Z: the share s2\n",
        ),
    ],
)
def test_share_says_with_whom_for_what_and_until_when(
    run: Run, stub: Stub, whom: list[str], share: Any, said: str
) -> None:
    stub.answer = (201, {"Location": f"shares/{share['id']}"}, json.dumps(share).encode())
    result = as_alice(run, stub, "app", "share", "u1", *whom)
    assert (ok(result), result.stderr) == (said, "")
    as_json = as_alice(run, stub, "app", "share", "u1", *whom, "--json")
    assert json.loads(ok(as_json)) == share


def test_a_link_is_printed_once_and_said_to_be(run: Run, stub: Stub) -> None:
    link = "http://127.0.0.1:8000/hub/user-redirect/shared/link/c0de"
    share = share_json("s3", "link", None, link=link)
    stub.answer = (201, {}, json.dumps(share).encode())
    result = as_alice(run, stub, "app", "share", "u1", "--link")
    assert ok(result).splitlines() == [
        "shared u1 by a link (view only) until 2026-12-07 01:00:00Z: the share s3",
        link,
    ]
    assert "the link is shown this once only" in result.stderr
    assert "`app unshare s3`" in result.stderr
    as_json = as_alice(run, stub, "app", "share", "u1", "--link", "--json")
    assert json.loads(ok(as_json))["link"] == link
    assert "shown this once only" in as_json.stderr


def test_the_shares_of_an_app_say_whom_each_is_for(run: Run, stub: Stub) -> None:
    shares = [
        share_json("s4", via="s3", name="carol"),
        share_json("s3", "link", None),
        share_json("s2", "group", "operators", permission="control"),
        share_json("s1"),
    ]
    stub.answer = (200, {}, json.dumps({"items": shares}).encode())
    table = ok(as_alice(run, stub, "app", "shares", "u1"))
    assert table.splitlines()[0].split() == ["ID", "WITH", "PERMISSION", "UNTIL"]
    until = "2026-12-07 01:00:00Z"
    assert columns(table) == [
        ["s4", "carol (by link)", "view", until],
        ["s3", "link", "view", until],
        ["s2", "group operators", "control", until],
        ["s1", "bob", "view", until],
    ]
    assert json.loads(ok(as_alice(run, stub, "app", "shares", "u1", "--json"))) == shares
    assert stub.seen[0] == ("GET", SHARES, "token t")


def test_what_others_share_says_where_to_open_it(run: Run, stub: Stub) -> None:
    shared = {
        "id": "s9",
        "owner": "carol",
        "permission": "control",
        "expires_at": "2026-12-07T02:00:00+01:00",
        "url_id": "u9",
        "created_at": "2026-12-06T01:00:00+00:00",
        "name": "Demo desktop",
        "description": None,
        "type": "vncapp",
        "open_url": "/user/alice/shared/open/s9",
    }
    stub.answer = (200, {}, json.dumps({"items": [shared]}).encode())
    table = ok(as_alice(run, stub, "app", "shared"))
    assert table.splitlines()[0].split() == [
        "ID",
        "APP",
        "OWNER",
        "PERMISSION",
        "UNTIL",
        "OPEN_URL",
    ]
    assert columns(table) == [
        [
            "s9",
            "Demo desktop",
            "carol",
            "control",
            "2026-12-07 01:00:00Z",
            f"{stub.url}user/alice/shared/open/s9",
        ]
    ]
    assert json.loads(ok(as_alice(run, stub, "app", "shared", "--json"))) == [shared]


@pytest.mark.parametrize("command", [["app", "unshare"], ["share", "revoke"]])
def test_unshare_says_which_share_was_revoked(run: Run, stub: Stub, command: list[str]) -> None:
    stub.answer = (204, {}, b"")
    assert ok(as_alice(run, stub, *command, "s1")) == "revoked s1\n"
    revoked = json.loads(ok(as_alice(run, stub, *command, "s1", "--json")))
    assert revoked == {"id": "s1", "revoked": True}


def test_an_admin_lists_every_share_of_the_site(run: Run, stub: Stub) -> None:
    shares = [share_json("s2", "group", "operators"), {**share_json("s1"), "owner": "dora"}]
    page = {"items": shares, "total": 2, "offset": 0, "limit": 100}
    stub.answer = (200, {}, json.dumps(page).encode())
    table = ok(as_alice(run, stub, "share", "list"))
    assert table.splitlines()[0].split() == [
        *("ID", "OWNER", "URL_ID", "WITH", "PERMISSION", "UNTIL")
    ]
    assert columns(table) == [
        ["s2", "alice", "u1", "group operators", "view", "2026-12-07 01:00:00Z"],
        ["s1", "dora", "u1", "bob", "view", "2026-12-07 01:00:00Z"],
    ]


@pytest.mark.parametrize(
    ("command", "status", "message", "exit_code"),
    [
        (["app", "share", "u1", "--user", "bob"], 403, "this grant does not allow sharing", 8),
        (
            ["app", "shared"],
            403,
            "sharing needs each application on its own origin (c.ContainerService.app_origin)",
            8,
        ),
        (["app", "share", "u1", "--link", "--expires", "1"], 400, "expires_in: at least 5", 2),
        (["app", "share", "u1", "--user", "bob"], 404, "you have no running application u1", 3),
        (["app", "shares", "u1"], 404, "you have no running application u1", 3),
        (["app", "unshare", "s1"], 404, "you have no share s1", 3),
        (["share", "list"], 403, "sharing needs each application on its own origin", 8),
        (["share", "revoke", "s1"], 404, "there is no share s1", 3),
    ],
)
def test_a_refused_share_has_the_services_message_and_its_exit_code(
    run: Run, stub: Stub, command: list[str], status: int, message: str, exit_code: int
) -> None:
    """The token is good (the service answers the user API and the admin's stats)."""
    stub.answer = (status, {}, error(status, message))
    for path in ("applications", "admin/stats"):
        stub.answers[f"/user/alice/api/v1/{path}"] = (200, {}, b'{"items": []}')
    refused(as_alice(run, stub, *command), exit_code, message)


def test_a_refused_share_with_a_bad_token_blames_the_token(run: Run, stub: Stub) -> None:
    stub.answer = (403, {}, error(403, "log in first"))
    refused(
        as_alice(run, stub, "app", "share", "u1", "--user", "bob"),
        8,
        "alice's service refused the token",
    )
    assert [seen[:2] for seen in stub.seen] == [
        ("POST", SHARES),
        ("GET", "/user/alice/api/v1/applications"),
    ]


def test_a_user_who_is_not_an_administrator_is_told_so(run: Run, stub: Stub) -> None:
    stub.answer = (403, {}, error(403, "this is for administrators only"))
    stub.answers["/user/alice/api/v1/applications"] = (200, {}, b'{"items": []}')
    refused(as_alice(run, stub, "share", "revoke", "s1"), 8, "alice is not an administrator")


@pytest.mark.parametrize(
    ("command", "method", "path", "body"),
    [
        (["user", "list", "--search", "a b", "--limit", "5"], "GET", "users?q=a+b&limit=5", None),
        (["user", "show", "a/b"], "GET", "users/a%2Fb", None),
        (["user", "create", "dora"], "POST", "users", {"name": "dora"}),
        (["user", "remove", "dora"], "DELETE", "users/dora", None),
        (
            ["app", "list", "--search", "x", "--offset", "100"],
            "GET",
            "applications?q=x&offset=100",
            None,
        ),
        (["app", "show", "3"], "GET", "applications/3", None),
        (
            ["app", "create", "org/app:1", "--no-verify", "--display-name", "App"],
            "POST",
            "applications",
            {"image": "org/app:1", "verify": False, "display_name": "App"},
        ),
        (
            ["app", "update", "3", "--description", "new", "--clear-display-name"],
            "PATCH",
            "applications/3",
            {"display_name": None, "description": "new"},
        ),
        (["app", "remove", "3"], "DELETE", "applications/3", None),
        (
            ["grant", "list", "--user", "dora", "--app", "3"],
            "GET",
            "grants?user=dora&application_id=3",
            None,
        ),
        (["grant", "show", "m1"], "GET", "grants/m1", None),
        (
            ["grant", "create", "dora", "3", "--allow-home", "--volume", "/srv/d:/d:ro"],
            "POST",
            "grants",
            {
                "user": "dora",
                "application_id": 3,
                "policy": {**POLICY_OFF, "allow_home": True, "volume": "/srv/d:/d:ro"},
            },
        ),
        # The whole new policy: what is not given is turned off.
        (
            ["grant", "update", "m1", "--allow-startup-data", "--license", "L"],
            "PATCH",
            "grants/m1",
            {"policy": {**POLICY_OFF, "allow_startup_data": True, "app_license": "L"}},
        ),
        (["grant", "remove", "m1"], "DELETE", "grants/m1", None),
        (["container", "list"], "GET", "containers", None),
        (["container", "stop", "u1"], "DELETE", "containers/u1", None),
        (["share", "list"], "GET", "shares", None),
        (["share", "revoke", "s/1"], "DELETE", "shares/s%2F1", None),
        (["stats"], "GET", "stats", None),
        (["audit", "--offset", "5", "--limit", "5"], "GET", "audit?offset=5&limit=5", None),
    ],
)
def test_each_admin_command_sends_its_request_to_the_admin_api(
    run: Run, stub: Stub, command: list[str], method: str, path: str, body: Any
) -> None:
    # Enough of an answer for the --json output of every command.
    # A page (total, offset, limit) for the list commands, which follow pages.
    stub.answer = (
        201,
        {},
        b'{"items": [], "total": 0, "offset": 0, "limit": 100, "labels": {"available": true}}',
    )
    ok(run("--url", stub.url, "--user", "alice", "--token", "t", *command, "--json"))
    assert stub.seen == [(method, f"/user/alice/api/v1/admin/{path}", "token t")]
    assert stub.bodies == ([] if body is None else [body])


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate")
    pem = tmp_path / "hub.pem"
    request = "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    request += " -addext subjectAltName=IP:127.0.0.1"  # what a client checks
    subprocess.run(
        ["openssl", *request.split(), "-keyout", str(pem), "-out", str(pem)],
        check=True,
        capture_output=True,
    )
    return pem


def test_tls_is_verified_unless_told_otherwise(run: Run, certificate: Path) -> None:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(certificate)
    with serving(Stub(tls)) as hub:
        command = ("--url", hub.url, "--user", "alice", "--token", "t", "app", "running")
        refused(run(*command), 1, "its TLS certificate is not trusted")
        assert hub.seen == []  # the token was never sent
        assert ok(run("--ca-file", str(certificate), *command)).startswith("URL_ID")
        assert ok(run("--insecure", *command)).startswith("URL_ID")
    refused(run("--ca-file", str(certificate.with_name("none.pem")), *command), 2, "CA file")


# -- the client in-process, with a fake transport --

HUB = "https://hub.example/"


@dataclass
class Answering:
    """A transport that answers with ``answer(request)``, or raises what it returns,
    and keeps what it was sent."""

    answer: Callable[[Request], Response | Exception]
    sent: list[Request] = field(default_factory=list)

    def send(self, request: Request) -> Response:
        self.sent.append(request)
        answer = self.answer(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def paths(self) -> list[str]:
        """What was asked for, as path and query."""
        parts = [urlsplit(request.url) for request in self.sent]
        return [f"{part.path}?{part.query}" if part.query else part.path for part in parts]


def json_response(status: int, body: Any) -> Response:
    return Response(status, json.dumps(body).encode())


def client_of(transport: Answering, user: str | None = "alice") -> RestClient:
    return RestClient(HUB, "t", user, transport=transport)


def paged(items: list[Any], page_size: int, total: int | None = None) -> Answering:
    """A paged list at any path, as the admin API gives one: ``page_size`` a page."""

    def answer(request: Request) -> Response:
        offset = int(parse_qs(urlsplit(request.url).query).get("offset", ["0"])[0])
        page = {
            "items": items[offset : offset + page_size],
            "total": len(items) if total is None else total,
            "offset": offset,
            "limit": page_size,
        }
        return json_response(200, page)

    return Answering(answer)


@pytest.mark.parametrize(
    ("count", "page_size", "offsets"),
    [
        (0, 2, [None]),
        (1, 2, [None]),
        (4, 2, [None, 2]),  # the total says when to stop: no empty page is asked for
        (5, 2, [None, 2, 4]),
        (250, 100, [None, 100, 200]),
    ],
)
def test_every_item_follows_the_pages_until_the_total(
    count: int, page_size: int, offsets: list[int | None]
) -> None:
    items = [{"n": n} for n in range(count)]
    transport = paged(items, page_size)
    got = client_of(transport).get_every_item("admin/grants", {"user": "dora", "limit": None})
    assert got == items
    base = "/user/alice/api/v1/admin/grants?user=dora"
    assert transport.paths == [base if o is None else f"{base}&offset={o}" for o in offsets]


def test_every_item_stops_at_an_empty_page_whatever_the_total() -> None:
    """Rows removed while pages are read must not make it ask forever."""
    transport = paged([{"n": 0}, {"n": 1}], page_size=2, total=10)
    assert client_of(transport).get_every_item("admin/containers") == [{"n": 0}, {"n": 1}]
    assert transport.paths == [
        "/user/alice/api/v1/admin/containers",
        "/user/alice/api/v1/admin/containers?offset=2",
    ]


def grant(n: int) -> dict[str, Any]:
    return {
        "mapping_id": f"m{n}",
        "user": "dora",
        "application_id": 3,
        "image": "org/app:1",
        "policy": POLICY_OFF,
        "container": None,
    }


def container(n: int) -> dict[str, Any]:
    return {
        "url_id": f"u{n}",
        "user": "dora",
        "image": "org/app:1",
        "state": "running",
        "created_at": "2024-05-01T12:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("command", "item", "key"),
    [(["grant", "list"], grant, "mapping_id"), (["container", "list"], container, "url_id")],
)
def test_grant_and_container_lists_show_every_page(
    capsys: pytest.CaptureFixture[str], command: list[str], item: Callable[[int], Any], key: str
) -> None:
    items = [item(n) for n in range(7)]
    for output in ([], ["--json"]):
        transport = paged(items, page_size=3)
        args = build_parser().parse_args([*command, *output])
        args.run(args, client_of(transport))
        out, err = capsys.readouterr()
        assert len(transport.sent) == 3 and err == ""
        if output:
            assert json.loads(out) == {"items": items}  # as the unpaged answer was
        else:
            assert [row[0] for row in columns(out)] == [each[key] for each in items]


@pytest.mark.parametrize(
    ("status", "body", "exit_code", "message"),
    [
        (400, error(400, "bad query"), INVALID, "bad query"),
        (413, b"", INVALID, "HTTP 413 Too big"),
        (404, error(404, "no grant 'm1'"), NOT_FOUND, "no grant 'm1'"),
        (409, error(409, "exists already"), CONFLICT, "exists already"),
        (424, b'{"message": "server no longer running"}', UNAVAILABLE, "server no longer running"),
        (502, error(502, "did not start"), START_FAILED, "did not start"),
        (503, error(503, "the database is locked"), UNAVAILABLE, "the database is locked"),
        (500, b"<html>oops</html>", UNEXPECTED, "HTTP 500 Too big"),
    ],
)
def test_the_client_maps_each_status_onto_its_exit_code(
    status: int, body: bytes, exit_code: int, message: str
) -> None:
    # The status line's words are the server's, said only when there is no message.
    transport = Answering(lambda request: Response(status, body, "Too big"))
    with pytest.raises(RequestFailed) as failed:
        client_of(transport).get("admin/grants/m1")
    assert (failed.value.exit_code, failed.value.message) == (exit_code, message)
    assert len(transport.sent) == 1


def test_the_client_sends_the_token_and_json() -> None:
    transport = Answering(lambda request: json_response(201, {"name": "dora"}))
    assert client_of(transport).post("admin/users", {"name": "dora"}) == (201, {"name": "dora"})
    [sent] = transport.sent
    assert (sent.method, sent.url, sent.body) == (
        "POST",
        f"{HUB}user/alice/api/v1/admin/users",
        b'{"name": "dora"}',
    )
    assert sent.headers["Authorization"] == "token t"
    assert sent.headers["Content-Type"] == "application/json"


def test_without_a_user_the_client_asks_the_hub_whose_token_it_is() -> None:
    def answer(request: Request) -> Response:
        if request.url == f"{HUB}hub/api/user":
            return json_response(200, {"kind": "user", "name": "a/b"})
        return json_response(200, {"items": []})

    transport = Answering(answer)
    assert client_of(transport, user=None).get("applications") == {"items": []}
    assert transport.paths == ["/hub/api/user", "/user/a%2Fb/api/v1/applications"]


@pytest.mark.parametrize(
    ("user", "body", "message"),
    [
        (None, b"", f"the Hub at {HUB} did not accept the token"),
        ("alice", b"<html>403</html>", "the token is not valid for alice, or alice's server"),
        ("alice", error(403, "for browsers"), "alice's service refused the token"),
    ],
)
def test_a_refused_token_says_who_refused_it(user: str | None, body: bytes, message: str) -> None:
    transport = Answering(lambda request: Response(403, body, "Forbidden"))
    with pytest.raises(RequestFailed) as failed:
        client_of(transport, user).get("applications")
    assert failed.value.exit_code == REFUSED and message in failed.value.message


API = "/user/alice/api/v1/"


@pytest.mark.parametrize(
    ("user_api_status", "message", "asked"),
    [
        # The token is good, and the admin API refuses alice whatever she asks.
        (200, "alice is not an administrator of the site", ["applications", "admin/stats"]),
        (403, "alice's service refused the token", ["applications"]),
    ],
)
def test_a_refusal_of_the_admin_api_names_the_user_when_the_token_is_good(
    user_api_status: int, message: str, asked: list[str]
) -> None:
    def answer(request: Request) -> Response:
        if "/admin/" in request.url:
            return Response(403, error(403, "not an administrator"), "Forbidden")
        return json_response(user_api_status, {"items": []})

    transport = Answering(answer)
    with pytest.raises(RequestFailed) as failed:
        client_of(transport).get("admin/shares")
    assert failed.value.exit_code == REFUSED and message in failed.value.message
    assert transport.paths == [f"{API}{path}" for path in ["admin/shares", *asked]]


@pytest.mark.parametrize(
    ("path", "asked"),
    [("containers/u1/shares", ["applications"]), ("admin/shares", ["applications", "admin/stats"])],
)
def test_a_refusal_of_a_good_token_by_the_sites_settings_says_the_services_words(
    path: str, asked: list[str]
) -> None:
    """Sharing on a site without app origins: the request, not the token, is refused."""

    def answer(request: Request) -> Response:
        if "shares" in request.url:
            return Response(403, error(403, "sharing needs app origins"), "Forbidden")
        return json_response(200, {"items": []})

    transport = Answering(answer)
    with pytest.raises(RequestFailed) as failed:
        client_of(transport).get(path)
    assert (failed.value.exit_code, failed.value.message) == (REFUSED, "sharing needs app origins")
    assert transport.paths == [f"{API}{each}" for each in [path, *asked]]


def untrusted() -> ssl.SSLCertVerificationError:
    """What the ssl module raises for a certificate that is not trusted."""
    failure = ssl.SSLCertVerificationError(1, "certificate verify failed")
    failure.verify_message = "self-signed certificate"
    return failure


@pytest.mark.parametrize(
    ("answer", "exit_code", "message"),
    [
        (Response(302, location="/hub/login?next=x"), REFUSED, "did not accept the token"),
        (
            Response(302, location="https://elsewhere.example/"),
            UNEXPECTED,
            "redirects to https://elsewhere.example/: is",
        ),
        (Response(200, b"<html>a blog</html>"), UNEXPECTED, "answered something else than JSON"),
        (ConnectionRefusedError(111, "Connection refused"), UNEXPECTED, ": Connection refused"),
        (TimeoutError(), UNEXPECTED, ": no answer in time (see --timeout)"),
        (untrusted(), UNEXPECTED, "its TLS certificate is not trusted (self-signed certificate)"),
    ],
)
def test_what_is_not_an_answer_of_the_api_points_at_the_url(
    answer: Response | Exception, exit_code: int, message: str
) -> None:
    with pytest.raises(RequestFailed) as failed:
        client_of(Answering(lambda request: answer)).get("applications")
    assert failed.value.exit_code == exit_code and message in failed.value.message
    if isinstance(answer, Exception):
        assert failed.value.message.startswith(
            f"cannot reach {HUB}user/alice/api/v1/applications: "
        )


# -- against a whole site --


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("site"), docker_engine) as running:
        yield running


def script_env(site: Site, user: str) -> dict[str, str]:
    """The environment of a script of ``user``'s, whose server is running."""
    site.session(user)
    return {"JUPYTERHUB_URL": site.hub.url, "JUPYTERHUB_API_TOKEN": site.hub.api_token(user)}


class TestAgainstASite:
    pytestmark = [pytest.mark.docker, pytest.mark.slow]

    @pytest.fixture
    def alice(self, site: Site) -> dict[str, str]:
        return script_env(site, "alice")

    def test_alice_lists_starts_uses_and_stops_apps(
        self, site: Site, run: Run, alice: dict[str, str]
    ) -> None:
        webapp, desktop = site.mapping_ids["alice"], site.mapping_ids["alice-desktop"]
        # No user given: the Hub says whose token it is.
        table = ok(run("app", "available", env=alice)).splitlines()
        assert table[0].split() == ["MAPPING_ID", "NAME", "IMAGE", "SETTINGS", "RUNNING"]
        assert sorted(line.split("  ")[0] for line in table[1:]) == sorted((webapp, desktop))
        assert any(line.startswith(f"{desktop}  Demo desktop") for line in table)
        available = json.loads(ok(run("app", "available", "--json", env=alice)))
        assert {app["mapping_id"]: app["container"] for app in available} == {
            webapp: None,
            desktop: None,
        }

        url = ok(run("app", "start", webapp, env=alice)).strip()
        prefix = f"{site.hub.url}user/alice/containers/"
        assert url.startswith(prefix) and url.endswith("/")
        url_id = url[len(prefix) : -1]
        page = site.session("alice").get(f"{url}env.json", timeout=30)
        assert page.status_code == 200, page.text
        assert (page.json()["JPY_USER"], page.json()["URL_ID"]) == ("alice", url_id)

        again = run("app", "start", webapp, env=alice)
        assert ok(again).strip() == url and "running already" in again.stderr
        [line] = ok(run("app", "running", env=alice)).splitlines()[1:]
        # No time limit here: STOPS is "-", and there is nothing to extend.
        assert line.split() == [url_id, "Demo", "web", "app", "running", "-", url]
        refused(run("app", "extend", url_id, env=alice), 4, "no time limit")
        assert f"{webapp}  Demo web app" in ok(run("app", "available", env=alice))
        assert url_id in ok(run("app", "available", env=alice))
        [running] = json.loads(ok(run("app", "running", "--json", env=alice)))
        assert (running["url_id"], running["mapping_id"]) == (url_id, webapp)

        assert ok(run("app", "stop", url_id, env=alice)) == f"stopped {url_id}\n"
        assert json.loads(ok(run("app", "running", "--json", env=alice))) == []

        # Settings go with the start; --json gives the container.
        started = run("app", "start", desktop, "--resolution", "1280x800", "--json", env=alice)
        container = json.loads(ok(started))
        page = site.session("alice").get(
            f"{site.hub.url.rstrip('/')}{container['url']}env.json", timeout=30
        )
        assert (page.json()["X11_WIDTH"], page.json()["X11_HEIGHT"]) == ("1280", "800")
        stopped = run("app", "stop", container["url_id"], "--json", env=alice)
        assert json.loads(ok(stopped)) == {"url_id": container["url_id"], "stopped": True}

    def test_refusals_say_why_with_their_exit_codes(
        self, site: Site, run: Run, alice: dict[str, str]
    ) -> None:
        webapp, desktop = site.mapping_ids["alice"], site.mapping_ids["alice-desktop"]
        refused(run("app", "start", "f" * 32, env=alice), 3, "has no application")
        refused(run("app", "stop", "0" * 32, env=alice), 3, "there is no application")
        refused(
            run("app", "start", desktop, "--resolution", "big", env=alice),
            2,
            "the resolution must be WIDTHxHEIGHT",
        )
        refused(
            run("app", "start", webapp, "--resolution", "1280x800", env=alice),
            2,
            "has no setting 'resolution'",
        )
        refused(
            run("app", "start", webapp, "--startupdata", "x.vtk", env=alice),
            2,
            "this grant does not allow startup data",
        )
        wrong = {**alice, "JUPYTERHUB_API_TOKEN": "wrong"}
        refused(run("app", "available", env=wrong), 8, "the Hub at")
        refused(run("--user", "alice", "app", "start", webapp, env=wrong), 8, "alice's service")
        bobs = {**alice, "JUPYTERHUB_API_TOKEN": site.hub.api_token("bob")}
        refused(run("--user", "alice", "app", "running", env=bobs), 8, "refused the token")
        # bob's own server is not running: the Hub says so to a read, refuses a write.
        refused(run("app", "running", env=bobs), 5, "server no longer running")
        bobs_app = site.mapping_ids["bob"]
        refused(run("app", "start", bobs_app, env=bobs), 8, "or bob's server is not running")
        assert json.loads(ok(run("app", "running", "--json", env=alice))) == []

    def test_startup_data_reaches_the_app(self, site: Site, run: Run) -> None:
        database = Database(url=site.env["REMOTEAPPMANAGER_DB_URL"])
        with database.transaction() as session:
            catalogue = Catalogue(session)
            catalogue.create_user("carol")
            policy = GrantPolicy(allow_startup_data=True)
            mapping_id = catalogue.grant(DEMO_WEBAPP, "carol", policy)[0].mapping_id
        database.dispose()
        carol = site.session("carol")
        env = {
            "JUPYTERHUB_URL": site.hub.url,
            "JUPYTERHUB_USER": "carol",
            "JUPYTERHUB_API_TOKEN": site.hub.api_token("carol"),
        }
        table = ok(run("app", "available", env=env)).splitlines()
        [line] = [line for line in table if line.startswith(mapping_id)]
        assert line.split()[-2:] == ["startupdata", "-"]
        started = run("app", "start", mapping_id, "--startupdata", "project/case 1.vtk", env=env)
        url = ok(started).strip()
        page = carol.get(f"{url}env.json", timeout=30)
        assert page.json()["STARTUPDATA"] == "project/case 1.vtk"
        ok(run("app", "stop", page.json()["URL_ID"], env=env))

    def test_an_option_beats_the_environment_which_beats_the_config_file(
        self, site: Site, run: Run, alice: dict[str, str], tmp_path: Path
    ) -> None:
        token = alice["JUPYTERHUB_API_TOKEN"]
        config = config_file(tmp_path / "rest.json", url=site.hub.url, user="alice", token="bad")
        command = ("--config", str(config), "app", "available")
        refused(run(*command), 8, "alice's service refused the token")
        assert site.mapping_ids["alice"] in ok(run(*command, env={"JUPYTERHUB_API_TOKEN": token}))
        refused(
            run("--token", "bad", *command, env={"JUPYTERHUB_API_TOKEN": token}),
            8,
            "refused the token",
        )
        config_file(config, url=site.hub.url, user="alice", token=token)
        assert site.mapping_ids["alice"] in ok(run(*command))


REST_APP = "remoteappmanager-test/rest-app:latest"


@pytest.fixture(scope="module")
def rest_app(demo_images: Any, docker_engine: Any) -> Iterator[str]:
    """An image of our own, so that creating its application is the admin's doing."""
    docker_engine.images.get(DEMO_WEBAPP).tag(REST_APP)
    try:
        yield REST_APP
    finally:
        docker_engine.images.remove(REST_APP)


def columns(table: str) -> list[list[str]]:
    """The rows of a table, without its header, split into their cells."""
    return [re.split(r"\s{2,}", line) for line in table.splitlines()[1:]]


def field(text: str, name: str) -> str:
    """The value of one ``name: value`` line."""
    [value] = [
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith(f"{name}:")
    ]
    return value


@dataclass(frozen=True)
class As:
    """The console script run as one user, in their environment."""

    run: Run
    env: dict[str, str]

    def __call__(self, *args: str) -> Result:
        return self.run(*args, env=self.env)

    def ok(self, *args: str) -> Any:
        """The output of a command that must succeed: its JSON with ``--json``."""
        out = ok(self(*args))
        return json.loads(out) if "--json" in args else out


class TestAdminCommands:
    """``admin`` is an admin of the Hub and ``olga`` in a group the services take for
    administrators; alice is not an administrator."""

    pytestmark = [pytest.mark.docker, pytest.mark.slow]

    @pytest.fixture
    def admin(self, site: Site, run: Run) -> As:
        return As(run, script_env(site, "admin"))

    def audit_total(self, admin: As) -> int:
        total: int = admin.ok("audit", "--limit", "1", "--json")["total"]
        return total

    def test_an_admin_runs_the_site(self, site: Site, run: Run, admin: As, rest_app: str) -> None:
        data = site.volumes / "data"
        data.mkdir()
        (data / "results.csv").write_text("1,2\n")

        assert admin.ok("user", "create", "frank") == "created the user 'frank'\n"
        refused(admin("user", "create", "frank"), 4, "exists already")
        listed = admin.ok("user", "list", "--search", "FRAN")
        assert listed.splitlines()[0].split() == ["NAME", "GRANTS", "RUNNING", "CREATED"]
        assert [row[:3] for row in columns(listed)] == [["frank", "0", "0"]]
        page = admin.ok("user", "list", "--search", "fran", "--json")
        assert (page["total"], [user["name"] for user in page["items"]]) == (1, ["frank"])

        app = admin.ok("app", "create", rest_app, "--display-name", "Rest viewer", "--json")
        assert (app["image"], app["labels"]["name"], app["grant_count"]) == (
            rest_app,
            "Rest viewer",
            0,
        )
        app_id = str(app["id"])
        assert columns(admin.ok("app", "list", "--search", "REST-APP")) == [
            [app_id, rest_app, "Rest viewer", "webapp", "yes", "0"]
        ]
        shown = admin.ok("app", "show", app_id)
        assert (field(shown, "name"), field(shown, "display name set")) == ("Rest viewer",) * 2
        updated = admin.ok(
            "app",
            "update",
            app_id,
            "--description",
            "Reads results",
            "--clear-display-name",
            "--json",
        )
        assert (updated["display_name"], updated["description"]) == (None, "Reads results")
        assert updated["labels"]["name"] == "Demo web app"  # the image's label again

        volume = f"{data}:/workspace:ro"
        grant = admin.ok("grant", "create", "frank", app_id, "--volume", volume, "--json")
        assert (grant["user"], grant["policy"]["volume"], grant["container"]) == (
            "frank",
            volume,
            None,
        )
        mapping_id = grant["mapping_id"]
        again = admin("grant", "create", "frank", app_id, "--volume", volume)
        assert ok(again) == f"the grant {mapping_id}: frank may run {rest_app} (volume={volume})\n"
        assert "frank had this grant already, unchanged" in again.stderr
        assert columns(admin.ok("grant", "list", "--user", "frank", "--app", app_id)) == [
            [mapping_id, "frank", app_id, rest_app, f"volume={volume}", "-"]
        ]
        assert field(admin.ok("grant", "show", mapping_id), "volume") == volume

        # Frank starts it and sees the volume in it.
        frank = script_env(site, "frank")

        def start(mapping_id: str) -> str:
            url = ok(run("app", "start", mapping_id, env=frank)).strip()
            return url.rstrip("/").rsplit("/", 1)[1]

        url_id = start(mapping_id)
        page = site.session("frank").get(
            f"{site.hub.url}user/frank/containers/{url_id}/env.json", timeout=30
        )
        assert page.json()["workspace"] == ["results.csv"]

        # The admin sees it running, whose and what, and stops it.
        assert [row[:4] for row in columns(admin.ok("container", "list")) if row[0] == url_id] == [
            [url_id, "frank", rest_app, "running"]
        ]
        [listed_container] = [
            c for c in admin.ok("container", "list", "--json")["items"] if c["url_id"] == url_id
        ]
        assert (listed_container["user"], listed_container["mapping_id"]) == ("frank", mapping_id)
        shown = admin.ok("user", "show", "frank")
        assert field(shown, "running") == "1" and url_id in shown
        numbers = admin.ok("stats", "--json")
        assert numbers["running_containers"] >= 1 and numbers["starts_last_day"] >= 1
        assert field(admin.ok("stats"), "running containers") == str(numbers["running_containers"])
        assert admin.ok("container", "stop", url_id) == f"stopped {url_id}\n"
        assert admin.ok("container", "list", "--json")["items"] == []

        # Every change is in the audit log, newest first, with who made it.
        log = admin.ok("audit", "--limit", "6", "--json")
        assert [(e["actor"], e["action"], e["target"]) for e in log["items"]] == [
            ("admin", "container.stop", url_id),
            ("frank", "container.start", url_id),
            ("admin", "grant.create", mapping_id),
            ("admin", "application.update", rest_app),
            ("admin", "application.create", rest_app),
            ("admin", "user.create", "frank"),
        ]
        assert (log["limit"], log["offset"]) == (6, 0) and log["total"] >= 6
        table = admin("audit", "--limit", "2")
        assert ok(table).splitlines()[0].split() == ["AT", "ACTOR", "ACTION", "TARGET", "DETAILS"]
        [stop, started] = columns(ok(table))
        assert stop[1:4] == ["admin", "container.stop", url_id]
        assert started[1:] == [
            "frank",
            "container.start",
            url_id,
            json.dumps({"image": rest_app, "mapping_id": mapping_id}),
        ]
        assert f"1 to 2 of {log['total']} shown; for the next ones, give --offset 2" in table.stderr

        # Taking a grant away while its app runs stops the app.
        start(mapping_id)
        changed = admin.ok("grant", "update", mapping_id, "--volume", volume, "--allow-view")
        assert changed == (
            f"updated the grant {mapping_id}: frank may run {rest_app} (view,volume={volume})\n"
        )
        assert admin.ok("container", "list", "--json")["items"] == []

        start(mapping_id)
        assert (
            admin.ok("grant", "remove", mapping_id)
            == f"removed the grant {mapping_id}; stopped 1 running application\n"
        )
        assert admin.ok("container", "list", "--json")["items"] == []

        created = admin.ok("grant", "create", "frank", app_id)
        found = re.fullmatch(
            rf"created the grant (\w+): frank may run {re.escape(rest_app)} \(-\)\n", created
        )
        assert found, created
        start(found[1])
        assert (
            admin.ok("app", "remove", app_id)
            == f"removed the application {app_id} and 1 grant; stopped 1 running application\n"
        )
        assert admin.ok("container", "list", "--json")["items"] == []
        refused(admin("app", "show", app_id), 3, f"no application {app_id}")

        # His last grant: the demo desktop his service gave him.
        [desktop] = admin.ok("grant", "list", "--user", "frank", "--json")["items"]
        start(desktop["mapping_id"])
        assert admin.ok("user", "remove", "frank", "--json") == {"grants": 1, "stopped": 1}
        assert admin.ok("container", "list", "--json")["items"] == []
        refused(admin("user", "show", "frank"), 3, "no user 'frank'")

    def test_a_non_administrator_is_told_so(self, site: Site, run: Run, admin: As) -> None:
        before = self.audit_total(admin)
        alice = script_env(site, "alice")
        for command in [
            ["user", "list"],
            ["user", "create", "mallory"],
            ["app", "list"],
            ["app", "create", DEMO_WEBAPP, "--no-verify"],
            ["grant", "create", "alice", "1", "--allow-home"],
            ["grant", "remove", site.mapping_ids["bob"]],
            ["container", "list"],
            ["container", "stop", "0" * 32],
            ["stats"],
            ["audit"],
        ]:
            refused(
                run(*command, env=alice),
                8,
                "alice is not an administrator of the site: this command is for "
                "administrators only",
            )
        assert self.audit_total(admin) == before
        # A token that is not valid is the token's fault, administrator or not.
        wrong = {**admin.env, "JUPYTERHUB_API_TOKEN": "wrong"}
        refused(run("--user", "admin", "stats", env=wrong), 8, "admin's service refused the token")
        # olga is an administrator by her group.
        assert int(field(ok(run("stats", env=script_env(site, "olga"))), "users")) >= 2

    @pytest.mark.parametrize(
        ("command", "exit_code", "message"),
        [
            (
                ["grant", "create", "alice", "1", "--volume", "/etc:/x:ro"],
                2,
                "the volume source '/etc' is inside /etc, which is never mounted",
            ),
            (
                ["grant", "create", "alice", "1", "--volume", "data:/d:ro"],
                2,
                "not an absolute path",
            ),
            (["grant", "create", "nobody", "1"], 3, "no user 'nobody'"),
            (["grant", "update", "unknown", "--allow-home"], 3, "no grant 'unknown'"),
            (["user", "create", ""], 2, "the user name is empty"),
            (["app", "create", "Not An Image"], 2, "is not a Docker image name"),
            (["app", "create", "absent/app:1"], 3, "build or pull it first, or pass --no-verify"),
            (["app", "create", DEMO_WEBAPP], 4, "exists already"),
            (["app", "show", "999999"], 3, "no application 999999"),
            (["user", "list", "--limit", "0"], 2, "limit between 1 and 500"),
            (["container", "stop", "0" * 32], 3, "no application"),
        ],
    )
    def test_bad_input_gets_the_services_message_and_changes_nothing(
        self, run: Run, admin: As, command: list[str], exit_code: int, message: str
    ) -> None:
        before = self.audit_total(admin)
        refused(admin(*command), exit_code, message)
        assert self.audit_total(admin) == before
