"""What a time series request costs, estimated before any file is read: the pixels it may
read. Each product of each date is read over at most the rectangles of the geometries' pixels
(one per polygon, or per cluster of a MultiPolygon's parts), once for the layer's band and once
more for its scene mask; the reader stops early where a date's first products already hold
every pixel, and reads only the part of a rectangle a product covers, so it reads no more
(tests/unit/test_process_and_series_estimates.py checks it against the pixels really read)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.index.series import Source
from services.timeseries.grid import Pixels


def pixels_read(geometries: Sequence[Pixels], by_date: Mapping[str, Sequence[Source]],
                masked: bool) -> int:
    """The most pixels reading ``by_date``'s products onto ``geometries`` reads; ``masked``:
    the layer has a scene mask (read where a product's mask file is known)."""
    rectangles = sum(patch.mask.size for pixels in geometries for patch in pixels.patches)
    bands = sum(1 + (masked and source.mask_path is not None)
                for sources in by_date.values() for source in sources)
    return rectangles * bands
