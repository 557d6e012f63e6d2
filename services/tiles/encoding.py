"""PNG tiles written at zlib level 1, the level eoscope's WMS maps use (the mapfile's
``COMPRESSION=1``).

MapProxy 7.0 saves the tiles it cuts from a metatile with Pillow's default level (6) and has
no option to change it (``mapproxy.image.img_to_buf`` passes none). At level 6 a full 256 × 256
RGBA tile of the demo's NDVI takes ≈17 ms to encode, at level 1 ≈6 ms for ≈14 % more bytes;
encoding was over half of a cold tile (bench/README.md, "WMTS tiles"). Pillow also takes save
options from an image's own ``encoderinfo`` (documented under ``Image.save``), so each tile
MapProxy's splitter cuts is given the level there: MapProxy's own code path otherwise.
"""

from __future__ import annotations

from mapproxy.image.tile import TileSplitter

PNG_LEVEL = 1
_original_get_tile = TileSplitter.get_tile


def _get_tile_at_level(self, crop_coord, tile_size):
    result = _original_get_tile(self, crop_coord, tile_size)
    result.as_image().encoderinfo = {"compress_level": PNG_LEVEL}
    return result


def encode_tiles_fast() -> None:
    """Cut tiles are PNG-encoded at :data:`PNG_LEVEL` (idempotent, process-wide like
    MapProxy's own registries)."""
    TileSplitter.get_tile = _get_tile_at_level
