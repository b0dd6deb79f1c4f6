"""When the owner logged in, for the admin API's recent-login rule (SECURITY-TESTS 64;
the end-to-end case is in test_admin_api)."""

from __future__ import annotations

from remoteappmanager.handlers.api.admin.base import duration
from remoteappmanager.services.login_sessions import LoginSessions


def test_64_a_login_session_counts_from_when_the_service_first_saw_it() -> None:
    now = [100.0]
    sessions = LoginSessions(clock=lambda: now[0])
    sessions.seen("a")
    now[0] = 130.0
    sessions.seen("a")  # later requests do not restart the clock
    assert sessions.age("a") == 30.0
    assert sessions.age("b") == 0.0  # a new login: new session id, new clock
    for number in range(100):  # bounded: the oldest are forgotten
        sessions.seen(f"s{number}")
    now[0] = 200.0
    assert sessions.age("a") == 0.0
    assert [duration(s) for s in (1, 90, 120, 1800, 150)] == [
        "second",
        "90 seconds",
        "2 minutes",
        "30 minutes",
        "150 seconds",
    ]
