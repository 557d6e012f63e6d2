"""Read one date's products onto the pixels of the query geometries.

Each grid pixel takes its value from the first product (in name order) that has a valid value
there, so where two tiles overlap every ground pixel is counted once. A product pixel is valid
when it is not nodata, its digital number is in the band's ``valid_range``, and — for layers
with a scene mask — the scene classification of the same acquisition does not call it cloud or
shadow. A product is sampled at the grid's pixel centres (nearest neighbour): pixel for pixel
when it is on the grid, and correctly, if slower, when it is not (another UTM zone).

Only the window of a product that the geometry's pixels fall in is read, so GDAL decodes only
those blocks; the scene classification is read only where the product still has valid pixels.

A request reads many dates of the same products' grid, so where a patch's pixels fall in a
product (its rows, columns and which of them it covers) is worked out once per request and
georeferencing (:class:`_Plan`), not once per file; validity and the mask rule are looked up
in tables (:mod:`services.timeseries.tables`). What is read and the values are the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from affine import Affine
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
    """One patch being filled: the chosen digital numbers, where they are valid, and the
    patch pixels still without a valid value (``left``: whether there are any)."""

    patch: Patch
    pending: np.ndarray
    left: bool
    dn: np.ndarray | None = None
    valid: np.ndarray | None = None

    def take(self, dn: np.ndarray, ok: np.ndarray) -> None:
        """Keep ``dn`` where ``ok`` (``dn`` is a fresh array from one read: the mosaic may
        keep it as it is)."""
        if self.dn is None:
            self.dn, self.valid = dn, ok
        else:
            self.dn[ok] = dn[ok]
            self.valid = self.valid | ok
        self.pending = self.pending & ~ok
        self.left = bool(self.pending.any())

    def values(self) -> np.ndarray:
        return self.dn[self.valid] if self.dn is not None else np.empty(0)


@dataclass(frozen=True)
class _Plan:
    """Where a patch's pixel centres fall in a dataset of one georeferencing: the row and
    column of each (broadcastable to the patch), which of them the dataset covers, and the
    needed window of the patch's own pixels (``mask_inside``, ``mask_box``)."""

    rows: np.ndarray
    cols: np.ndarray
    covered: np.ndarray
    any_covered: bool
    separable: bool  # rows (R, 1) and cols (1, C)
    contiguous: bool  # and one dataset pixel per patch pixel, consecutive, all inside
    mask_inside: np.ndarray
    mask_box: tuple[int, int, int, int] | None  # r0, r1, c0, c1 of mask_inside (None: empty)


@dataclass(frozen=True)
class DateValues:
    """The valid digital numbers of each geometry on one date, and the products read."""

    values: list[np.ndarray]
    products: list[str]


class Reader:
    """Reads dates for one request: the geometries' pixels are fixed, the products vary."""

    def __init__(self, pool: DatasetPool, grid: QueryGrid, layer: SeriesLayer):
        self.pool = pool
        self.grid = grid
        self.layer = layer
        self._plans: dict[tuple, _Plan] = {}
        self._nonempty: dict[int, bool] = {}

    def read(self, sources: list[Source], geometries: list[Pixels]) -> DateValues:
        mosaics = [[self._mosaic(p) for p in pixels.patches] for pixels in geometries]
        products = []
        for source in sources:
            pending = [m for group in mosaics for m in group if m.left]
            if not pending:
                break
            try:
                if self._fill(source, pending):
                    products.append(source.name)
            except (RasterioError, OSError) as error:
                LOG.warning("time series: %s not read: %s", source.name, error)
        values = [group[0].values() if len(group) == 1 else
                  np.concatenate([m.values() for m in group]) if group else np.empty(0)
                  for group in mosaics]
        return DateValues(values, products)

    def _mosaic(self, patch: Patch) -> _Mosaic:
        nonempty = self._nonempty.get(id(patch))
        if nonempty is None:
            nonempty = self._nonempty[id(patch)] = bool(patch.mask.any())
        return _Mosaic(patch, patch.mask, nonempty)

    def _fill(self, source: Source, pending: list[_Mosaic]) -> bool:
        """Add the valid pixels of one product; False if it covers none of the pixels."""
        found = []
        with self.pool.open(source.path) as dataset:
            for mosaic in pending:
                sample = self._gather(dataset, source.crs, mosaic.patch, mosaic.pending,
                                      self.layer.band.index)
                if sample is not None:
                    found.append((mosaic, *sample))
        if not found:
            return False
        valid = self.layer.valid
        chosen = [(m, dn, inside & valid(dn)) for m, dn, inside in found]
        if self.layer.mask is not None and source.mask_path is not None:
            chosen = self._unclouded(source, chosen)
        for mosaic, dn, ok in chosen:
            mosaic.take(dn, ok)
        return True

    def _unclouded(self, source: Source, chosen: list) -> list:
        mask = self.layer.mask
        result = []
        with self.pool.open(source.mask_path) as dataset:
            for mosaic, dn, ok in chosen:
                if ok.any():
                    sample = self._gather(dataset, source.crs, mosaic.patch, ok,
                                          mask.band.index)
                    if sample is not None:
                        scene, inside = sample
                        ok = ok & ~(inside & mask.rule(scene))
                result.append((mosaic, dn, ok))
        return result

    def _gather(self, dataset: DatasetReader, crs: str, patch: Patch, need: np.ndarray,
                band: int = 1) -> tuple[np.ndarray, np.ndarray] | None:
        """The dataset's values at the ``need`` pixels of the patch, and which of those the
        dataset covers; None if it covers none. Reads one window: the needed pixels' extent."""
        plan = self._plan(dataset, crs, patch)
        if not plan.any_covered:
            return None
        if need is patch.mask:  # the first product of a date: the window is known
            inside, box = plan.mask_inside, plan.mask_box
            if box is None:
                return None
        else:
            inside = need & plan.covered
            box = _box(inside)
            if box is None:
                return None
        r0, r1, c0, c1 = box
        if plan.contiguous:
            # same pixel size, the patch wholly inside: copy the needed rectangle, no gather
            window = Window(int(plan.cols[0, c0]), int(plan.rows[r0, 0]), c1 - c0, r1 - r0)
            block = dataset.read(band, window=window)
            if block.shape == inside.shape:
                return block, inside
            values = np.zeros(inside.shape, dtype=block.dtype)
            values[r0:r1, c0:c1] = block
            return values, inside
        if plan.separable:
            wanted_rows, wanted_cols = plan.rows[r0:r1, 0], plan.cols[0, c0:c1]
        else:
            wanted_rows, wanted_cols = plan.rows[inside], plan.cols[inside]
        row0, col0 = int(wanted_rows.min()), int(wanted_cols.min())
        height, width = int(wanted_rows.max()) - row0 + 1, int(wanted_cols.max()) - col0 + 1
        block = dataset.read(band, window=Window(col0, row0, width, height))
        if plan.separable:  # one row index per patch row, one column index per column
            return block.take(np.clip(plan.rows[:, 0] - row0, 0, height - 1), axis=0).take(
                np.clip(plan.cols[0] - col0, 0, width - 1), axis=1), inside
        values = block[np.minimum(np.maximum(plan.rows - row0, 0), height - 1),
                       np.minimum(np.maximum(plan.cols - col0, 0), width - 1)]
        return values, inside

    def _plan(self, dataset: DatasetReader, crs: str, patch: Patch) -> _Plan:
        t, height, width = dataset.transform, dataset.height, dataset.width
        key = (id(patch), crs, t, height, width)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(crs, t, height, width, patch)
        return plan

    def _make_plan(self, crs: str, t: Affine, height: int, width: int, patch: Patch) -> _Plan:
        rows, cols = self._indices(crs, t, patch)
        covered = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        separable = rows.shape[1] == 1 and cols.shape[0] == 1  # one index per row, column
        contiguous = separable and _contiguous(rows[:, 0], height) and \
            _contiguous(cols[0], width)
        mask_inside = patch.mask & covered
        return _Plan(rows, cols, covered, bool(covered.any()), separable, contiguous,
                     mask_inside, _box(mask_inside))

    def _indices(self, crs: str, t: Affine, patch: Patch) -> tuple[np.ndarray, np.ndarray]:
        """Row and column in a dataset (``crs``, transform ``t``) of each patch pixel's
        centre (broadcastable)."""
        xs, ys = self.grid.centres(patch)
        if crs == self.grid.crs and t.b == 0 and t.d == 0:
            cols = np.floor((xs - t.c) / t.a).astype(np.int64)
            rows = np.floor((ys - t.f) / t.e).astype(np.int64)
            return rows, cols
        xs, ys = np.broadcast_arrays(xs, ys)
        if crs != self.grid.crs:
            xs, ys = transformer(self.grid.crs, crs).transform(xs, ys)
        cols, rows = ~t * (np.asarray(xs), np.asarray(ys))
        return np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)


def _box(inside: np.ndarray) -> tuple[int, int, int, int] | None:
    """The rows and columns (ends excluded) holding the True pixels; None if there are none."""
    if inside.size == 1:
        return (0, 1, 0, 1) if inside.any() else None
    used_rows = np.flatnonzero(inside.any(axis=1))
    if used_rows.size == 0:
        return None
    used_cols = np.flatnonzero(inside.any(axis=0))
    return int(used_rows[0]), int(used_rows[-1]) + 1, int(used_cols[0]), int(used_cols[-1]) + 1


def _contiguous(indices: np.ndarray, size: int) -> bool:
    """``indices`` (one per patch row or column) are consecutive and all within 0..size-1."""
    return indices.ndim == 1 and 0 <= indices[0] and indices[-1] < size and \
        indices[-1] - indices[0] == indices.size - 1 and \
        (indices.size < 3 or bool((np.diff(indices) == 1).all()))
