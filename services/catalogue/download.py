"""Product file downloads at ``/download/<path in the archive>``, the hrefs the catalogue gives.

Only files the index lists are served: the index must hold that very file, and it must be a
regular file inside the archive (no link leads out of it); anything else is 404, so no other
file of the machine can be reached. Responses carry Content-Length, ETag and Last-Modified, and
answer conditional and Range requests (werkzeug's ``send_file``).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from services.index.search import ProductSearch

MEDIA_TYPES = {".tif": "image/tiff", ".tiff": "image/tiff", ".xml": "application/xml",
               ".json": "application/json", ".png": "image/png", ".jpg": "image/jpeg"}


class DownloadService:
    """Serves the archive's indexed files."""

    def __init__(self, search: ProductSearch, archive: Path):
        self.search = search
        self.archive = archive

    def resolve(self, relative: str) -> Path | None:
        """The archive file at ``relative`` if the index lists it, else None."""
        parts = PurePosixPath(relative).parts
        if not parts or any(p in ("..", ".", "") or "\\" in p or "\0" in p for p in parts) \
                or relative.startswith("/"):
            return None
        path = self.archive.joinpath(*parts)
        if self.search.file(str(path)) is None:
            return None
        try:
            real = path.resolve(strict=True)
            real.relative_to(self.archive.resolve())
        except (OSError, ValueError):
            return None  # gone, or a link out of the archive
        return path if real.is_file() and not path.is_symlink() else None

    def __call__(self, request: Request, relative: str) -> Response:
        path = self.resolve(relative)
        if path is None:
            return _not_found(relative)
        media = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return send_file(path, request.environ, mimetype=media, as_attachment=True,
                         download_name=path.name, conditional=True, etag=True, max_age=3600)


def _not_found(relative: str) -> Response:
    problem = {"type": "about:blank", "title": "Not Found", "status": 404,
               "detail": f"no product file '{relative}' in the catalogue"}
    return Response(json.dumps(problem), status=404, content_type="application/problem+json")
