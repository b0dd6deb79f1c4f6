"""``admin/images``: the images on the Docker engine, to make applications of."""

from __future__ import annotations

from ....docker.image import references
from ....services.catalogue import Catalogue
from .base import AdminHandler


class ImagesHandler(AdminHandler):
    async def get(self) -> None:
        with self.database.transaction(readonly=True) as session:
            # "app" and "app:latest" are one image: either spelling is registered.
            registered = {
                reference
                for application in Catalogue(session).list_applications()
                for reference in references(application.image)
            }
        items = [
            {
                "image": image.name,
                "name": image.title,
                "type": image.type,
                "described": image.ui_name is not None,
                "registered": image.name in registered,
            }
            for image in await self.containers.engine_images()
        ]
        self.write_json({"items": items})


routes = [(r"images", ImagesHandler)]
