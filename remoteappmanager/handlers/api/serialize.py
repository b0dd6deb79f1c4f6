"""The JSON shapes of the REST API (see openapi.yaml)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from ...db.models import utc_iso
from ...docker.container import Container
from ...docker.image import ImageInfo
from ...services.configurables import available_configurables
from ...services.culler import Deadline, deadline_json
from ...services.policy import GrantPolicy
from ...services.sharing import SharedApp, ShareView
from ...services.views import (
    ApplicationState,
    AuditRecord,
    EngineImage,
    GrantState,
    Page,
    SiteStats,
    UserDetail,
    UserState,
)

T = TypeVar("T")


# The deadlines of the containers being written, by url_id (see `Culler.deadlines`).
Deadlines = Mapping[str, Deadline]


def container_json(container: Container, deadlines: Deadlines) -> dict[str, Any]:
    deadline = deadlines.get(container.url_id)
    return {
        "url_id": container.url_id,
        "mapping_id": container.mapping_id,
        "user": container.user,
        "image": container.image,
        "state": container.state,
        "url": container.urlpath,
        "origin": container.origin or None,
        "created_at": container.created_at.isoformat(),
        "deadline": deadline_json(deadline) if deadline else None,
    }


def application_json(
    mapping_id: str,
    image: ImageInfo,
    policy: GrantPolicy,
    container: Container | None,
    deadlines: Deadlines,
    api_url: str,
    share_permissions: list[str],
) -> dict[str, Any]:
    """``api_url``: the API's absolute path, ``{prefix}api/v1/``, for the icon's URL;
    ``share_permissions``: what the user may share the app for (`Sharing.permissions`)."""
    icon_url = f"{api_url}applications/{quote(mapping_id, safe='')}/icon"
    return {
        "mapping_id": mapping_id,
        "image": image.name,
        "name": image.title,
        "description": image.description,
        # By URL, not inline: a list of many applications would carry every icon.
        "icon_url": icon_url if image.icon_128 else None,
        "type": image.type,
        "available": image.available,
        "policy": {
            "workspace": policy.allow_home,
            "volume": (
                {"target": policy.volume.target, "mode": policy.volume.mode}
                if policy.volume
                else None
            ),
            "license": policy.app_license is not None,
            # Whether the user may share it: the grant allows it, and the site can.
            "allow_view": bool(share_permissions),
            "idle_timeout": policy.idle_timeout,
            "max_lifetime": policy.max_lifetime,
        },
        "configurables": [c.describe() for c in available_configurables(image, policy)],
        "container": container_json(container, deadlines) if container else None,
        "share_permissions": share_permissions,
    }


def share_json(share: ShareView, link: str | None = None) -> dict[str, Any]:
    """``link``: where a link share leads, in the answer that made it only."""
    return {
        "id": share.id,
        "url_id": share.url_id,
        "mapping_id": share.mapping_id,
        "owner": share.owner,
        "kind": share.kind,
        "name": share.name,
        "permission": share.permission,
        "via": share.via,
        "created_at": utc_iso(share.created_at),
        "expires_at": utc_iso(share.expires_at),
        "link": link,
    }


def shared_app_json(shared: SharedApp, base_url: str) -> dict[str, Any]:
    """A share for the user, with what the dashboard shows of its app; ``open_url``
    is a page of the user's own service (``{prefix}shared/open/<id>``)."""
    share, image = shared.share, shared.image
    return {
        "id": share.id,
        "url_id": share.url_id,
        "owner": share.owner,
        "permission": share.permission,
        "created_at": utc_iso(share.created_at),
        "expires_at": utc_iso(share.expires_at),
        "name": image.title,
        "description": image.description,
        "type": image.type,
        "open_url": f"{base_url}shared/open/{share.id}",
    }


# -- the admin API --


def admin_user_json(state: UserState) -> dict[str, Any]:
    return {
        "name": state.user.name,
        "created_at": utc_iso(state.user.created_at),
        "grant_count": state.user.grant_count,
        "running_count": state.running_count,
    }


def admin_user_detail_json(detail: UserDetail, deadlines: Deadlines) -> dict[str, Any]:
    return {
        **admin_user_json(UserState(detail.user, detail.running_count)),
        "grants": [grant_json(state, deadlines) for state in detail.grants],
        "containers": [container_json(c, deadlines) for c in detail.containers],
    }


def admin_application_json(state: ApplicationState, api_url: str) -> dict[str, Any]:
    """``api_url``: the API's absolute path, ``{prefix}api/v1/``, for the icon's URL."""
    application, image = state.application, state.image
    icon_url = f"{api_url}admin/applications/{application.id}/icon"
    return {
        "id": application.id,
        "image": application.image,
        "display_name": application.display_name,
        "description": application.description,
        "created_at": utc_iso(application.created_at),
        "grant_count": application.grant_count,
        "labels": {
            "available": image.available,
            "name": image.title,
            "description": image.description,
            "type": image.type,
            "icon_url": icon_url if image.icon_128 else None,
        },
    }


def engine_image_json(found: EngineImage) -> dict[str, Any]:
    image = found.image
    return {
        "image": image.name,
        "name": image.title,
        "type": image.type,
        "described": image.ui_name is not None,
        "registered": found.registered,
    }


def grant_json(state: GrantState, deadlines: Deadlines) -> dict[str, Any]:
    grant, container = state.grant, state.container
    return {
        "mapping_id": grant.mapping_id,
        "user": grant.user,
        "application_id": grant.application_id,
        "image": grant.image,
        "policy": grant.policy.to_json(),
        "created_at": utc_iso(grant.created_at),
        "container": container_json(container, deadlines) if container else None,
    }


def audit_json(entry: AuditRecord) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": utc_iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
        "via": entry.via,
        "credential_id": entry.credential_id,
        "client": entry.client,
        "user_agent": entry.user_agent,
    }


def stats_json(stats: SiteStats) -> dict[str, Any]:
    return dataclasses.asdict(stats)


def page_json(page: Page[T], item_json: Callable[[T], Any]) -> dict[str, Any]:
    return {
        "items": [item_json(item) for item in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }
