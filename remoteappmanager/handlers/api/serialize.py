"""The JSON shapes of the REST API (see openapi.yaml)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from ...db.models import Accounting, Application, AuditEntry, User, utc_iso
from ...docker.container import Container
from ...docker.image import ImageInfo
from ...services.configurables import available_configurables
from ...services.policy import GrantPolicy


def container_json(container: Container) -> dict[str, Any]:
    return {
        "url_id": container.url_id,
        "mapping_id": container.mapping_id,
        "user": container.user,
        "image": container.image,
        "state": container.state,
        "url": container.urlpath,
        "origin": container.origin or None,
        "created_at": container.created_at.isoformat(),
    }


def application_json(
    mapping_id: str,
    image: ImageInfo,
    policy: GrantPolicy,
    container: Container | None,
    api_url: str,
) -> dict[str, Any]:
    """``api_url``: the API's absolute path, ``{prefix}api/v1/``, for the icon's URL."""
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
            "allow_view": policy.allow_view,
        },
        "configurables": [c.describe() for c in available_configurables(image, policy)],
        "container": container_json(container) if container else None,
    }


# -- the admin API --


def admin_user_json(user: User, grant_count: int, running_count: int) -> dict[str, Any]:
    return {
        "name": user.name,
        "created_at": utc_iso(user.created_at),
        "grant_count": grant_count,
        "running_count": running_count,
    }


def admin_application_json(
    application: Application, image: ImageInfo, grant_count: int, api_url: str
) -> dict[str, Any]:
    """``api_url``: the API's absolute path, ``{prefix}api/v1/``, for the icon's URL."""
    icon_url = f"{api_url}admin/applications/{application.id}/icon"
    return {
        "id": application.id,
        "image": application.image,
        "display_name": application.display_name,
        "description": application.description,
        "created_at": utc_iso(application.created_at),
        "grant_count": grant_count,
        "labels": {
            "available": image.available,
            "name": image.title,
            "description": image.description,
            "type": image.type,
            "icon_url": icon_url if image.icon_128 else None,
        },
    }


def grant_json(grant: Accounting, container: Container | None) -> dict[str, Any]:
    return {
        "mapping_id": grant.mapping_id,
        "user": grant.user.name,
        "application_id": grant.application_id,
        "image": grant.application.image,
        "policy": GrantPolicy.from_model(grant.policy).to_json(),
        "created_at": utc_iso(grant.created_at),
        "container": container_json(container) if container else None,
    }


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": utc_iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "details": json.loads(entry.details) if entry.details else None,
        "via": entry.via,
        "credential_id": entry.credential_id,
        "client": entry.client,
        "user_agent": entry.user_agent,
    }


def page_json(items: list[Any], total: int, offset: int, limit: int) -> dict[str, Any]:
    return {"items": items, "total": total, "offset": offset, "limit": limit}
