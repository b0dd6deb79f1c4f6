"""The applications' icons, served by URL for the user API
(``applications/{mapping_id}/icon``) and the admin API (``admin/applications/{id}/icon``)
alike, so that the lists of applications stay small.

An icon is its image's ``icon_128`` label, decoded: it changes only with the image, so
its ETag is the image id.
"""

from __future__ import annotations

from ...docker.image import ImageInfo
from ...errors import NotFound
from ..base import APIHandler

# The URL names an application, not an image: a rebuilt or re-pulled image changes what
# it answers. So a browser keeps an icon for an hour only, then asks again with
# If-None-Match (a 304 while the image is the same). Private: it is behind the login.
ICON_MAX_AGE = 3600


def write_icon(handler: APIHandler, image: ImageInfo, what: str) -> None:
    """Answer ``image``'s icon as PNG, or 304 when the client has it already.

    ``what`` names the application in the 404 for an image without an icon."""
    png = image.icon_png()
    if png is None:
        raise NotFound(f"{what} has no icon")
    # In place of the API's JSON and no-store (APIHandler.set_default_headers).
    handler.set_header("Content-Type", "image/png")
    handler.set_header("Cache-Control", f"private, max-age={ICON_MAX_AGE}")
    handler.set_header("ETag", f'"{image.id}"')
    if handler.check_etag_header():  # tornado's If-None-Match rules, against our ETag
        handler.set_status(304)
        handler.finish()
    else:
        handler.finish(png)
