"""``admin/images``: the images on the Docker engine, to make applications of."""

from __future__ import annotations

from ..serialize import engine_image_json
from .base import AdminHandler


class ImagesHandler(AdminHandler):
    async def get(self) -> None:
        images = await self.administration.engine_images()
        self.write_json({"items": [engine_image_json(image) for image in images]})


routes = [(r"images", ImagesHandler)]
