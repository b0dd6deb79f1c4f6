"""`remoteapprest`: use the remoteappmanager REST API from the command line.

It talks to the user's own service through JupyterHub's proxy, at
``{url}user/{user}/api/v1/``, with a JupyterHub API token: the user API for one's own
applications, and the admin API under ``admin/`` for the site's administrators (the
service decides who is one). Only the standard library and the package's
dependency-free modules are imported, so that it starts fast.

`settings` finds the Hub and the token, `client` talks to the API and turns refusals
into exit codes, `commands` has one function per command, `parser` the command line;
`main` runs one command and says what failed in one line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ...errors import RemoteAppError
from ..exit_codes import UNEXPECTED
from .client import RestClient, UrllibTransport
from .commands import Command
from .parser import build_parser
from .settings import load_settings, tls_context

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        options = {"url": args.url, "user": args.user, "token": args.token}
        settings = load_settings(options, os.environ, args.config)
        transport = UrllibTransport(tls_context(args.insecure, args.ca_file), args.timeout)
        client = RestClient(settings.url, settings.token, settings.user, transport=transport)
        return run(args, client) or 0
    except RemoteAppError as error:
        print(f"remoteapprest: error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("remoteapprest: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, or an answer of an unexpected shape: no traceback
        print(
            f"remoteapprest: error: unexpected failure ({type(error).__name__}: {error}); "
            "please report it",
            file=sys.stderr,
        )
        return UNEXPECTED
