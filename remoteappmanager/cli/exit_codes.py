"""The exit codes of `remoteappdb` and `remoteapprest`: one table, so that a script
reads them the same way from both (doc/reference/exit-codes.md shows it)."""

from __future__ import annotations

DONE = 0
UNEXPECTED = 1
INVALID = 2
NOT_FOUND = 3
CONFLICT = 4
UNAVAILABLE = 5
ENGINE_DOWN = 6
START_FAILED = 7
REFUSED = 8

# One line a code: --help shows it as it is, and the reference page has the same rows.
EXIT_CODES = f"""\
exit codes:
  {DONE}  done
  {UNEXPECTED}  unexpected failure (a bug: please report it), or the Hub cannot be reached
  {INVALID}  bad command line, configuration or value (HTTP 400 and other 4xx)
  {NOT_FOUND}  no such user, application, grant, container or share (HTTP 404)
  {CONFLICT}  it exists, runs with other settings, is starting, or has no time limit (HTTP 409)
  {UNAVAILABLE}  the database, the service or what it needs is unavailable (HTTP 503, 424)
  {ENGINE_DOWN}  the Docker engine does not answer (remoteappdb, which talks to it)
  {START_FAILED}  the application did not come up; its container was removed (HTTP 502)
  {REFUSED}  refused: the token (HTTP 401, 403), not an administrator, the site's settings
"""
