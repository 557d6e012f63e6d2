"""The one response type of the catalogue services (OpenSearch, STAC, the MEP API), and JSON
answers in it; the gateway adapts them to WSGI."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


def json_response(document: object, status: int = 200,
                  media: str = "application/json") -> Response:
    return Response(status, media, json.dumps(document).encode())
