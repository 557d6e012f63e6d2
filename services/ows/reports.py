"""MapServer's exception reports made fit for clients: one report (after a WCS 1.0 parse error
MapServer 8.0 appends a second one, CGI headers included), without its function names
(``msWCSParseRequest(): WCS server error.``) and without file paths."""

from __future__ import annotations

import re

_ROOT_END = re.compile(rb"</(?:\w+:)?(?:ServiceExceptionReport|ExceptionReport)\s*>")
_INTERNALS = re.compile(rb"\bms[A-Z]\w*\(\):\s*(?:[A-Za-z ]+ error\.\s*)?")
# an absolute path: a slash after a space, quote or '>' (not in a URL), two segments at least
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PATH = re.compile(rb"(?<![\w:/.<])/(?:[\w.+-]+/)+[\w.+-]*")


def clean_report(body: bytes) -> bytes:
    """The first report of ``body``, with MapServer's internals and any path taken out."""
    end = _ROOT_END.search(body)
    if end:
        body = body[:end.end()] + b"\n"
    return _NOT_XML.sub(b"?", _PATH.sub(b"<file>", _INTERNALS.sub(b"", body)))
