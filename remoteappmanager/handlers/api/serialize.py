"""The JSON shapes of the REST API (see openapi.yaml)."""

from __future__ import annotations

from typing import Any

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
        "created_at": container.created_at.isoformat(),
    }


def application_json(
    mapping_id: str, image: ImageInfo, policy: GrantPolicy, container: Container | None
) -> dict[str, Any]:
    return {
        "mapping_id": mapping_id,
        "image": image.name,
        "name": image.title,
        "description": image.description,
        "icon_128": image.icon_128,
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
