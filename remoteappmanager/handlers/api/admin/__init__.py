"""The admin API under ``{prefix}api/v1/admin/``: the whole site, for administrators.

Every request is checked on the server: the caller must be the owner of this service
and an administrator (see `AdminHandler`). The handlers call the same services as the
user API and `remoteappdb`: no rule lives here.
"""

from __future__ import annotations

from . import applications, audit, containers, grants, images, shares, stats, users

RESOURCES = (users, applications, images, grants, containers, shares, stats, audit)

routes = [
    (f"admin/{pattern}", handler) for resource in RESOURCES for pattern, handler in resource.routes
]
