"""The errors of remoteappmanager, one tree for the whole package.

The exit codes are those of cli/exit_codes.py, one table for both command lines.

Each error keeps the message meant for the person who asked (``message``: an HTTP
client, a command line user) apart from details meant for the log only
(``log_message``). Handlers and the command line show ``message`` and never the
exception's traceback.

RemoteAppError
├── InvalidInput            400, exit 2: a bad name, volume, policy or configurable
├── RequestError            4xx: an HTTP request that is malformed (413, 415)
├── NotAllowed              403, exit 8: the site's settings refuse it (a volume, a capability)
│   └── LoginTooOld              a change from a browser whose login is not recent
├── NotFound                404, exit 3: unknown user, application, grant or container
├── AlreadyExists           409, exit 4: creating what exists already
├── OverQuota               409, exit 4: the user's workspace holds more than the site allows
├── StartFailed             502, exit 7: an app did not come up (its container is removed)
├── EngineRefused           400: the Docker engine refused a request (its 4xx answer)
└── Unavailable             503: a service we depend on cannot answer
    ├── DatabaseUnavailable      exit 5: locked, unreachable, not initialised
    │   └── SchemaMismatch       exit 5: the database needs `remoteappdb db upgrade`
    ├── DockerUnavailable        exit 6: the Docker engine does not answer
    ├── UnsafeNetwork            the apps' network does not keep them apart
    └── ProxyUnavailable         the proxy's REST API does not answer
"""

from __future__ import annotations


class RemoteAppError(Exception):
    """Base of every error this package raises on purpose."""

    status = 500
    exit_code = 1

    def __init__(self, message: str, log_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.log_message = log_message or message


class InvalidInput(RemoteAppError):
    status = 400
    exit_code = 2


class RequestError(RemoteAppError):
    exit_code = 2

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class NotAllowed(RemoteAppError):
    """What the site's configuration refuses, whoever asks: only its administrator
    can change that."""

    status = 403


class LoginTooOld(NotAllowed):
    """An admin change from a browser session older than the site's window: the
    answer names where to log in again (``login_again``)."""

    def __init__(self, message: str, login_again: str) -> None:
        super().__init__(message)
        self.login_again = login_again


class NotFound(RemoteAppError):
    status = 404
    exit_code = 3


class AlreadyExists(RemoteAppError):
    status = 409
    exit_code = 4


class OverQuota(RemoteAppError):
    status = 409
    exit_code = 4


class StartFailed(RemoteAppError):
    status = 502
    exit_code = 7


class EngineRefused(RemoteAppError):
    """The Docker engine answered a request with a 4xx: a request it will not do, not
    an outage. ``engine_status`` is its HTTP status; docker/client.py maps the ones
    it expects (no such container, a conflict) and lets the others through as this."""

    status = 400
    exit_code = 2

    def __init__(self, explanation: str, engine_status: int, log_message: str) -> None:
        super().__init__(f"the Docker engine refused: {explanation}", log_message)
        self.explanation = explanation
        self.engine_status = engine_status


class Unavailable(RemoteAppError):
    status = 503
    exit_code = 5


class DatabaseUnavailable(Unavailable):
    exit_code = 5


class SchemaMismatch(DatabaseUnavailable):
    pass


class DockerUnavailable(Unavailable):
    exit_code = 6


class UnsafeNetwork(Unavailable):
    """The apps' network exists but does not keep them apart: nothing starts on it."""

    def __init__(self, log_message: str) -> None:
        super().__init__(
            "applications cannot start on this site now; the administrator can find "
            "why in the service's log",
            log_message,
        )


class ProxyUnavailable(Unavailable):
    pass
