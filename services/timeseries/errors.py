"""The time series service's errors: the shared OGC exception table, rendered as problem JSON.

Malformed input is ``InvalidParameterValue`` / ``MissingParameterValue`` /
``InvalidEncodingSyntax`` (400), a limit exceeded is ``RequestTooLarge`` (413), an unknown
layer is :class:`UnknownLayer` (404).
"""

from __future__ import annotations

import json
from http import HTTPStatus

from services.errors import LayerNotDefined, OGCException


class UnknownLayer(LayerNotDefined):
    """No time series layer has this name: 404, as for any unknown REST resource."""

    @property
    def http_status(self) -> int:
        return 404


def problem(error: OGCException) -> tuple[int, bytes]:
    """``(status, body)`` of the RFC 9457 problem document for ``error``."""
    status = error.http_status
    document = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                "detail": error.message, "code": error.code}
    if error.locator:
        document["locator"] = error.locator
    return status, json.dumps(document).encode("utf-8")


def http_problem(status: int, detail: str) -> bytes:
    """A problem document for an HTTP-level error (no such path, wrong method, body too big)."""
    return json.dumps({"type": "about:blank", "title": HTTPStatus(status).phrase,
                       "status": status, "detail": detail}).encode("utf-8")
