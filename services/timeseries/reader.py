"""Read one date's products onto the pixels of the query geometries.

Each grid pixel takes its value from the first product (in name order) that has a valid value
there, so where two tiles overlap every ground pixel is counted once. A product pixel is valid
when it is not nodata, its digital number is in the band's ``valid_range``, and — for layers
with a scene mask — the scene classification of the same acquisition does not call it cloud or
shadow. A product is sampled at the grid's pixel centres (nearest neighbour): pixel for pixel
when it is on the grid, and correctly, if slower, when it is not (another UTM zone).

Only the window of a product that the geometry's pixels fall in is read, so GDAL decodes only
those blocks; the scene classification is read only where the product still has valid pixels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.windows import Window

from services.index.series import Source
from services.timeseries.grid import Patch, Pixels, QueryGrid, transformer
from services.timeseries.handles import DatasetPool
from services.timeseries.layers import SeriesLayer

LOG = logging.getLogger("eoscope.timeseries")


@dataclass
class _Mosaic:
    """One patch being filled: the chosen digital numbers and where they are valid."""

    patch: Patch
    dn: np.ndarray | None = None
    valid: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.valid = np.zeros(self.patch.shape, dtype=bool)

    @property
    def pending(self) -> np.ndarray:
        return self.patch.mask & ~self.valid

    def take(self, dn: np.ndarray, ok: np.ndarray) -> None:
        if self.dn is None:
            self.dn = np.zeros(self.patch.shape, dtype=dn.dtype)
        self.dn[ok] = dn[ok]
        self.valid |= ok

    def values(self) -> np.ndarray:
        return self.dn[self.valid] if self.dn is not None else np.empty(0)


@dataclass(frozen=True)
class _Sample:
    """A product's values at a patch's pixels, which of them it covers, the pixels read."""

    values: np.ndarray
    inside: np.ndarray
    read: int


@dataclass(frozen=True)
class DateValues:
    """The valid digital numbers of each geometry on one date, and the products read."""

    values: list[np.ndarray]
    products: list[str]
    pixels_read: int = 0   # the pixels of every window read (bands and masks)


class Reader:
    """Reads dates for one request: the geometries' pixels are fixed, the products vary."""

    def __init__(self, pool: DatasetPool, grid: QueryGrid, layer: SeriesLayer):
        self.pool = pool
        self.grid = grid
        self.layer = layer
        self._centres: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def read(self, sources: list[Source], geometries: list[Pixels]) -> DateValues:
        mosaics = [[_Mosaic(p) for p in pixels.patches] for pixels in geometries]
        products, read = [], 0
        for source in sources:
            pending = [m for group in mosaics for m in group if m.pending.any()]
            if not pending:
                break
            try:
                pixels = self._fill(source, pending)
            except (RasterioError, OSError) as error:
                LOG.warning("time series: %s not read: %s", source.name, error)
                continue
            if pixels:
                products.append(source.name)
                read += pixels
        values = [np.concatenate([m.values() for m in group]) if group else np.empty(0)
                  for group in mosaics]
        return DateValues(values, products, read)

    def _fill(self, source: Source, pending: list[_Mosaic]) -> int:
        """Add the valid pixels of one product; the pixels read (0: it covers none)."""
        found, read = [], 0
        with self.pool.open(source.path) as dataset:
            for mosaic in pending:
                sample = self._gather(dataset, source.crs, mosaic.patch, mosaic.pending,
                                      self.layer.band.index)
                if sample is not None:
                    found.append((mosaic, sample.values, sample.inside))
                    read += sample.read
        if not found:
            return 0
        chosen = [(m, dn, inside & self._valid_dn(dn)) for m, dn, inside in found]
        if self.layer.mask is not None and source.mask_path is not None:
            chosen, masks_read = self._unclouded(source, chosen)
            read += masks_read
        for mosaic, dn, ok in chosen:
            mosaic.take(dn, ok)
        return read

    def _unclouded(self, source: Source, chosen: list) -> tuple[list, int]:
        mask = self.layer.mask
        result, read = [], 0
        with self.pool.open(source.mask_path) as dataset:
            for mosaic, dn, ok in chosen:
                if ok.any():
                    sample = self._gather(dataset, source.crs, mosaic.patch, ok,
                                          mask.band.index)
                    if sample is not None:
                        ok = ok & ~(sample.inside & mask.rule(sample.values))
                        read += sample.read
                result.append((mosaic, dn, ok))
        return result, read

    def _valid_dn(self, dn: np.ndarray) -> np.ndarray:
        return self.layer.band.valid(dn)

    def _gather(self, dataset: DatasetReader, crs: str, patch: Patch, need: np.ndarray,
                band: int = 1) -> _Sample | None:
        """The dataset's values at the ``need`` pixels of the patch, and which of those the
        dataset covers; None if it covers none. Reads one window: the needed pixels' extent."""
        rows, cols = self._indices(dataset, crs, patch)
        inside = need & (rows >= 0) & (rows < dataset.height) & (cols >= 0) & \
            (cols < dataset.width)
        if not inside.any():
            return None
        separable = rows.shape[1] == 1 and cols.shape[0] == 1  # one index per row, column
        if separable and _contiguous(rows[:, 0], dataset.height) and \
                _contiguous(cols[0], dataset.width):
            # same pixel size, the patch wholly inside: copy the needed rectangle, no gather
            used_rows = np.flatnonzero(inside.any(axis=1))
            used_cols = np.flatnonzero(inside.any(axis=0))
            r0, r1, c0, c1 = used_rows[0], used_rows[-1] + 1, used_cols[0], used_cols[-1] + 1
            window = Window(int(cols[0, c0]), int(rows[r0, 0]), int(c1 - c0), int(r1 - r0))
            block = dataset.read(band, window=window)
            values = np.zeros(inside.shape, dtype=block.dtype)
            values[r0:r1, c0:c1] = block
            return _Sample(values, inside, block.size)
        if separable:
            wanted_rows, wanted_cols = rows[inside.any(axis=1), 0], cols[0, inside.any(axis=0)]
        else:
            wanted_rows, wanted_cols = rows[inside], cols[inside]
        row0, col0 = int(wanted_rows.min()), int(wanted_cols.min())
        height, width = int(wanted_rows.max()) - row0 + 1, int(wanted_cols.max()) - col0 + 1
        block = dataset.read(band, window=Window(col0, row0, width, height))
        values = block[np.minimum(np.maximum(rows - row0, 0), height - 1),
                       np.minimum(np.maximum(cols - col0, 0), width - 1)]
        return _Sample(values, inside, block.size)

    def _indices(self, dataset: DatasetReader, crs: str, patch: Patch
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Row and column in ``dataset`` of each patch pixel's centre (broadcastable)."""
        centres = self._centres.get(id(patch))
        if centres is None:
            centres = self._centres[id(patch)] = self.grid.centres(patch)
        xs, ys = centres
        t = dataset.transform
        if crs == self.grid.crs and t.b == 0 and t.d == 0:
            cols = np.floor((xs - t.c) / t.a).astype(np.int64)
            rows = np.floor((ys - t.f) / t.e).astype(np.int64)
            return rows, cols
        xs, ys = np.broadcast_arrays(xs, ys)
        if crs != self.grid.crs:
            xs, ys = transformer(self.grid.crs, crs).transform(xs, ys)
        cols, rows = ~t * (np.asarray(xs), np.asarray(ys))
        return np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)


def _contiguous(indices: np.ndarray, size: int) -> bool:
    """``indices`` (one per patch row or column) are consecutive and all within 0..size-1."""
    return indices.ndim == 1 and 0 <= indices[0] and indices[-1] < size and \
        indices[-1] - indices[0] == indices.size - 1 and \
        (indices.size < 3 or bool((np.diff(indices) == 1).all()))
