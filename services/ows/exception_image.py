"""WMS exceptions as images (WMS 1.3.0 §7.3.3.11 and §7.3.3.13; 1.1.1 §7.2.3.11): with
``EXCEPTIONS=BLANK`` a GetMap error is an image of the requested size and format filled with
BGCOLOR (transparent when TRANSPARENT=TRUE), with ``INIMAGE`` the same image carrying the
message. MapServer 8.0 answers both with a transparent black image whatever BGCOLOR says, so
eoscope asks it for XML and draws the image itself.
"""

from __future__ import annotations

import re
import textwrap
from io import BytesIO

from PIL import Image, ImageDraw

from services.ows.kvp import Params, strict_integer

MODES = {"blank": "blank", "inimage": "inimage", "application/vnd.ogc.se_blank": "blank",
         "application/vnd.ogc.se_inimage": "inimage"}
XML_MODE = {"1.1.1": "application/vnd.ogc.se_xml", "1.3.0": "XML"}
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF"}
_COLOUR = re.compile(r"0x([0-9a-fA-F]{6})", re.ASCII)
_TEXT = re.compile(rb"<(?:\w+:)?(?:ServiceException|ExceptionText)\b[^>]*>([^<]*)<")


def image_mode(request: str, params: Params) -> str | None:
    """``blank`` or ``inimage`` if a GetMap asks for exceptions as images, else None."""
    if request not in ("getmap", "map"):
        return None
    return MODES.get((params.get("EXCEPTIONS") or "").lower())


def xml_instead(params: Params) -> Params:
    """The request with exceptions as XML, for MapServer (this module draws the image)."""
    version = "1.1.1" if (params.get("VERSION") or "").startswith("1.1") else "1.3.0"
    return params.replaced("EXCEPTIONS", XML_MODE[version])


def message_of(report: bytes) -> str:
    """The first exception text of an XML report."""
    match = _TEXT.search(report)
    return match[1].decode("utf-8", "replace").strip() if match else "error"


def draw(mode: str, message: str, params: Params, max_side: int) -> tuple[str, bytes] | None:
    """(media type, image) for the error, or None when the request gives no usable size
    (then the XML report is the answer)."""
    size = [strict_integer(params.get(n) or "") for n in ("WIDTH", "HEIGHT")]
    if any(v is None or not 0 < v <= max_side for v in size):
        return None
    media = (params.get("FORMAT") or "").split(";")[0].strip().lower()
    media = media if media in FORMATS else "image/png"
    transparent = (params.get("TRANSPARENT") or "").upper() == "TRUE" and media != "image/jpeg"
    colour = _COLOUR.fullmatch((params.get("BGCOLOR") or "").strip())
    rgb = tuple(bytes.fromhex(colour[1])) if colour else (255, 255, 255)
    image = Image.new("RGBA", (size[0], size[1]), (*rgb, 0 if transparent else 255))
    if mode == "inimage":
        ink = (0, 0, 0, 255) if sum(rgb) > 384 else (255, 255, 255, 255)
        text = "\n".join(textwrap.wrap(message, max(8, size[0] // 7)))
        ImageDraw.Draw(image).multiline_text((4, 4), text, fill=ink)
    if not transparent:
        image = image.convert("RGB")
    out = BytesIO()
    image.save(out, FORMATS[media])
    return media, out.getvalue()
