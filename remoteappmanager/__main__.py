"""``python -m remoteappmanager``: the per-user service, for interpreters without the
console script (e.g. the services of system users)."""

from .application import main

main()
