"""Reading products onto the query pixels, on small hand-made GeoTIFFs: windows, validity, the
scene mask, tiles that overlap, a product in another UTM zone, open handles kept and renewed."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from rasterio.windows import Window
from shapely.geometry import box

from services.index.series import Source
from services.registry import load
from services.settings import PROJECT_ROOT
from services.timeseries.grid import QueryGrid
from services.timeseries.handles import DatasetPool, read_window
from services.timeseries.layers import LayerTable
from services.timeseries.reader import Reader

GRID = QueryGrid("EPSG:32631", 10.0)
LAYER = LayerTable(load(PROJECT_ROOT / "layers")).resolve("CGS_S2_NDVI")  # uint8, 255, 0..250
LEFT, TOP = 600000.0, 5660000.0


def write(path: Path, data: np.ndarray, left: float = LEFT, top: float = TOP, res: float = 10,
          crs: str = "EPSG:32631", nodata: int = 255) -> str:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs=crs, nodata=nodata, tiled=True,
                       blockxsize=16, blockysize=16,
                       transform=from_origin(left, top, res, res)) as dataset:
        dataset.write(data, 1)
    return str(path)


def ramp(rows: int, cols: int) -> np.ndarray:
    return (np.arange(rows * cols) % 240).reshape(rows, cols).astype(np.uint8)


class RecordingPool(DatasetPool):
    """A pool that remembers every window read."""

    def __init__(self):
        super().__init__(0)
        self.windows: list[tuple[str, object]] = []

    def lend(self, path, version=None):
        key, dataset = super().lend(path, version)
        return key, Recorded(self.windows, Path(path).name, dataset)

    def lend_idle(self, path, version=None):
        key, dataset = super().lend_idle(path, version)  # never busy: one thread
        return key, Recorded(self.windows, Path(path).name, dataset)

    def give_back(self, key, dataset):
        super().give_back(key, dataset.dataset)

    def discard(self, key, dataset):
        super().discard(key, dataset.dataset)


class Recorded:
    """A dataset whose reads are recorded (``read_window`` reads through ``_read``)."""

    def __init__(self, windows, name, dataset):
        self.windows, self.name, self.dataset = windows, name, dataset

    def __getattr__(self, name):  # transform, height, width, dtypes
        return getattr(self.dataset, name)

    def _read(self, indexes, out, window, dtype):
        self.windows.append((self.name, window))
        return self.dataset._read(indexes, out, window, dtype)


def pixels_of(shape):
    return [GRID.pixels(shape)]


def test_values_are_the_file_values_and_only_the_window_is_read(tmp_path):
    data = ramp(64, 64)
    path = write(tmp_path / "a.tif", data)
    pool = RecordingPool()
    shape = box(LEFT + 101.5, TOP - 201.5, LEFT + 201.5, TOP - 101.5)  # rows, cols 10..19
    read = Reader(pool, GRID, LAYER).read([Source("a", "EPSG:32631", path, None)],
                                          pixels_of(shape))
    assert sorted(read.values[0].tolist()) == sorted(data[10:20, 10:20].ravel().tolist())
    assert read.products == ["a"]
    [(name, window)] = pool.windows
    assert (window.row_off, window.col_off, window.height, window.width) == (10, 10, 10, 10)


def test_nodata_and_dn_outside_the_valid_range_are_not_valid(tmp_path):
    data = np.full((4, 4), 100, dtype=np.uint8)
    data[0, :] = 255
    data[1, :] = 251
    path = write(tmp_path / "a.tif", data)
    read = Reader(DatasetPool(0), GRID, LAYER).read(
        [Source("a", "EPSG:32631", path, None)], pixels_of(box(LEFT, TOP - 40, LEFT + 40, TOP)))
    assert read.values[0].tolist() == [100] * 8


def test_cloud_and_shadow_classes_of_the_20m_classification_are_masked(tmp_path):
    data = ramp(8, 8)
    path = write(tmp_path / "ndvi.tif", data)
    scene = np.full((4, 4), 4, dtype=np.uint8)  # vegetation ...
    scene[0, 0], scene[1, 1], scene[2, 2], scene[3, 3] = 3, 8, 9, 10  # ... shadow, clouds
    scene[0, 3] = 5
    mask = write(tmp_path / "scl.tif", scene, res=20, nodata=0)
    read = Reader(DatasetPool(0), GRID, LAYER).read(
        [Source("a", "EPSG:32631", path, mask)], pixels_of(box(LEFT, TOP - 80, LEFT + 80, TOP)))
    cloudy = np.kron(np.eye(4, dtype=bool), np.ones((2, 2), dtype=bool))  # 20 m → 10 m
    assert sorted(read.values[0].tolist()) == sorted(data[~cloudy].tolist())


def test_a_mask_that_covers_part_of_the_product_masks_that_part_only(tmp_path):
    path = write(tmp_path / "ndvi.tif", np.full((4, 4), 50, dtype=np.uint8))
    mask = write(tmp_path / "scl.tif", np.full((1, 1), 9, dtype=np.uint8), res=20, nodata=0)
    read = Reader(DatasetPool(0), GRID, LAYER).read(
        [Source("a", "EPSG:32631", path, mask)], pixels_of(box(LEFT, TOP - 40, LEFT + 40, TOP)))
    assert read.values[0].size == 12


def test_overlapping_products_count_each_pixel_once_first_valid_wins(tmp_path):
    west = np.full((10, 20), 10, dtype=np.uint8)
    west[:, 15:] = 255  # the west product has no data in its last five columns
    east = np.full((10, 20), 20, dtype=np.uint8)
    first = write(tmp_path / "w.tif", west)
    second = write(tmp_path / "e.tif", east, left=LEFT + 100)  # columns 10..29
    shape = box(LEFT + 51.5, TOP - 101.5, LEFT + 251.5, TOP - 1.5)  # columns 5..24, 10 rows
    sources = [Source("w", "EPSG:32631", first, None), Source("e", "EPSG:32631", second, None)]
    pixels = pixels_of(shape)
    read = Reader(DatasetPool(0), GRID, LAYER).read(sources, pixels)
    assert pixels[0].total == 200
    assert read.values[0].size == 200
    assert (read.values[0] == 10).sum() == 100 and (read.values[0] == 20).sum() == 100
    assert read.products == ["w", "e"]


def test_a_product_already_covered_is_not_read(tmp_path):
    first = write(tmp_path / "a.tif", np.full((8, 8), 7, dtype=np.uint8))
    second = write(tmp_path / "b.tif", np.full((8, 8), 9, dtype=np.uint8))
    pool = RecordingPool()
    read = Reader(pool, GRID, LAYER).read(
        [Source("a", "EPSG:32631", first, None), Source("b", "EPSG:32631", second, None)],
        pixels_of(box(LEFT + 1.5, TOP - 41.5, LEFT + 41.5, TOP - 1.5)))
    assert read.products == ["a"]
    assert {name for name, _ in pool.windows} == {"a.tif"}


def test_a_product_in_another_utm_zone_is_sampled_at_the_grid_centres(tmp_path):
    # a 32632 product near 6° E; the grid stays 32631
    data = ramp(60, 60)
    left32, top32 = 290000.0, 5660000.0
    path = write(tmp_path / "z32.tif", data, left=left32, top=top32, crs="EPSG:32632")
    to31 = Transformer.from_crs("EPSG:32632", "EPSG:32631", always_xy=True)
    cx, cy = to31.transform(left32 + 300, top32 - 300)
    shape = box(cx - 101.5, cy - 101.5, cx + 98.5, cy + 98.5)
    read = Reader(DatasetPool(0), GRID, LAYER).read(
        [Source("z", "EPSG:32632", path, None)], pixels_of(shape))
    pixels = GRID.pixels(shape)
    to32 = Transformer.from_crs("EPSG:32631", "EPSG:32632", always_xy=True)
    expected = []
    with rasterio.open(path) as dataset:
        for patch in pixels.patches:
            xs, ys = np.broadcast_arrays(*GRID.centres(patch))
            for x, y in zip(xs[patch.mask], ys[patch.mask], strict=True):
                row, col = dataset.index(*to32.transform(x, y))
                expected.append(int(data[row, col]))
    assert pixels.total == 400
    assert sorted(read.values[0].tolist()) == sorted(expected)


def test_an_unreadable_product_is_logged_and_skipped(tmp_path, caplog):
    good = write(tmp_path / "good.tif", np.full((4, 4), 30, dtype=np.uint8))
    sources = [Source("gone", "EPSG:32631", str(tmp_path / "gone.tif"), None),
               Source("good", "EPSG:32631", good, None)]
    with caplog.at_level(logging.WARNING, logger="eoscope.timeseries"):
        read = Reader(DatasetPool(0), GRID, LAYER).read(
            sources, pixels_of(box(LEFT, TOP - 40, LEFT + 40, TOP)))
    assert read.values[0].tolist() == [30] * 16
    assert "gone not read" in caplog.text


def test_a_file_whose_read_failed_is_read_afresh_once_repaired(tmp_path, caplog):
    """A truncated file opens but its blocks cannot be read: the date is skipped and the handle
    is not kept, so the file once repaired is read at the next request, even at the same
    index version."""
    path = write(tmp_path / "a.tif", np.full((4, 4), 30, dtype=np.uint8))
    whole = Path(path).read_bytes()
    Path(path).write_bytes(whole[:len(whole) - 20])
    sources = [Source("a", "EPSG:32631", path, None)]
    pool = DatasetPool(4)
    shape = pixels_of(box(LEFT, TOP - 40, LEFT + 40, TOP))
    with caplog.at_level(logging.WARNING, logger="eoscope.timeseries"):
        broken = Reader(pool, GRID, LAYER, (1, 7)).read(sources, shape)
    assert broken.values[0].size == 0 and "a not read" in caplog.text
    (tmp_path / "copy.tif").write_bytes(whole)
    (tmp_path / "copy.tif").replace(path)  # repaired (as rsync does), without an ingest
    repaired = Reader(pool, GRID, LAYER, (1, 7)).read(sources, shape)
    assert repaired.values[0].tolist() == [30] * 16
    pool.close()


def test_open_handles_are_reused_and_renewed_when_the_file_changes(tmp_path):
    path = write(tmp_path / "a.tif", np.full((4, 4), 1, dtype=np.uint8))
    pool = DatasetPool(4)
    with pool.open(path) as first:
        pass
    with pool.open(path) as again:
        assert again is first and not first.closed
    write(tmp_path / "b.tif", np.full((4, 4), 2, dtype=np.uint8))
    Path(tmp_path / "b.tif").replace(path)  # a new ingest replaces the file
    with pool.open(path) as renewed:
        assert renewed is not first and first.closed
        assert renewed.read(1)[0, 0] == 2
    pool.close()
    assert renewed.closed


def test_a_file_vouched_for_by_the_same_index_version_is_not_checked_again(tmp_path):
    """Ingest replaces a product's files before it commits the version announcing them: a
    caller naming the version its paths come from is lent the handle checked at that version,
    and a file replaced since is opened afresh at the next version."""
    path = write(tmp_path / "a.tif", np.full((4, 4), 1, dtype=np.uint8))
    pool = DatasetPool(4)
    with pool.open(path) as first:  # no version: checked
        pass
    write(tmp_path / "b.tif", np.full((4, 4), 2, dtype=np.uint8))
    Path(tmp_path / "b.tif").replace(path)
    key, dataset = pool.lend(path, (1, 7))  # checked at version 7: the new file
    assert dataset is not first and dataset.read(1)[0, 0] == 2
    pool.give_back(key, dataset)
    write(tmp_path / "c.tif", np.full((4, 4), 3, dtype=np.uint8))
    Path(tmp_path / "c.tif").replace(path)  # replaced, but version 7 not yet followed by 8
    key, same = pool.lend(path, (1, 7))
    assert same is dataset and same.read(1)[0, 0] == 2
    pool.give_back(key, same)
    key, renewed = pool.lend(path, (1, 8))
    assert renewed is not dataset and dataset.closed and renewed.read(1)[0, 0] == 3
    pool.give_back(key, renewed)
    pool.close()


def test_a_file_lent_to_another_request_is_busy_and_not_opened_twice(tmp_path):
    path = write(tmp_path / "a.tif", np.zeros((2, 2), dtype=np.uint8))
    pool = DatasetPool(4)
    key, held = pool.lend(path)  # another request holds the only handle
    assert pool.lend_idle(path) is None
    pool.give_back(key, held)
    key, again = pool.lend_idle(path)
    assert again is held
    pool.give_back(key, again)
    pool.close()


def test_a_full_pool_keeps_no_second_handle_of_a_file(tmp_path):
    """Concurrent requests open a second handle of a busy file; once the pool is full it is
    closed when it comes back, so it does not push out another file's only handle."""
    paths = [write(tmp_path / f"{i}.tif", np.zeros((2, 2), dtype=np.uint8)) for i in range(2)]
    pool = DatasetPool(2)
    pool.give_back(*pool.lend(paths[1]))
    first, second = pool.lend(paths[0]), pool.lend(paths[0])  # two requests on file 0
    pool.give_back(*first)
    pool.give_back(*second)
    assert second[1].closed and not first[1].closed
    with pool.open(paths[1]) as kept:
        assert not kept.closed
    pool.close()


def test_the_pool_keeps_at_most_its_size(tmp_path):
    paths = [write(tmp_path / f"{i}.tif", np.zeros((2, 2), dtype=np.uint8)) for i in range(3)]
    pool = DatasetPool(2)
    handles = []
    for path in paths:
        with pool.open(path) as dataset:
            handles.append(dataset)
    assert [h.closed for h in handles] == [True, False, False]
    unpooled = DatasetPool(0)
    with unpooled.open(paths[0]) as dataset:
        pass
    assert dataset.closed


def test_a_file_another_request_holds_is_read_after_the_others(tmp_path):
    busy = write(tmp_path / "busy.tif", np.full((4, 4), 30, dtype=np.uint8))
    free = write(tmp_path / "free.tif", np.full((4, 4), 40, dtype=np.uint8))
    pool = DatasetPool(8)
    pool.give_back(*pool.lend(free))
    held = pool.lend(busy)  # another request's
    reader = Reader(pool, GRID, LAYER)
    shape = pixels_of(box(LEFT, TOP - 40, LEFT + 40, TOP))
    dated = [[Source("busy", "EPSG:32631", busy, None)], [Source("free", "EPSG:32631", free, None)]]
    first, second = reader.read_dates(dated, shape)
    assert first.values[0].tolist() == [30] * 16 and second.values[0].tolist() == [40] * 16
    pool.give_back(*held)
    pool.close()


@pytest.mark.parametrize("size", [0, 8])
def test_concurrent_reads_agree(tmp_path, size):
    from concurrent.futures import ThreadPoolExecutor
    data = ramp(64, 64)
    path = write(tmp_path / "a.tif", data)
    reader = Reader(DatasetPool(size), GRID, LAYER)
    shape = box(LEFT + 1.5, TOP - 601.5, LEFT + 601.5, TOP - 1.5)
    source = [Source("a", "EPSG:32631", path, None)]
    with ThreadPoolExecutor(8) as executor:
        results = list(executor.map(lambda _: reader.read(source, pixels_of(shape)), range(32)))
    expected = np.sort(data[:60, :60].ravel())
    assert all(np.array_equal(np.sort(r.values[0]), expected) for r in results)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "float32"])
def test_read_window_gives_what_read_gives(tmp_path, dtype):
    data = (np.arange(40 * 30) % 251).reshape(40, 30).astype(dtype)
    path = write(tmp_path / "a.tif", data, nodata=0)
    with rasterio.open(path) as dataset:
        for window in (Window(0, 0, 30, 40), Window(3, 17, 1, 1), Window(5, 2, 20, 33),
                       Window(25, 35, 10, 10)):  # the last one crosses the corner: read crops
            expected = dataset.read(1, window=window)
            got = read_window(dataset, 1, window)
            assert got.dtype == expected.dtype and got.shape == expected.shape
            assert got.tobytes() == expected.tobytes()


def test_the_pool_evicts_past_a_file_whose_handles_are_all_lent(tmp_path):
    paths = [write(tmp_path / f"{i}.tif", np.zeros((2, 2), dtype=np.uint8)) for i in range(3)]
    pool = DatasetPool(1)
    pool.give_back(*pool.lend(paths[0]))
    held = pool.lend(paths[0])  # another request holds the only handle of file 0 ...
    for path in paths[1:]:      # ... while others cycle through the pool
        pool.give_back(*pool.lend(path))
    pool.give_back(*held)
    with pool.open(paths[0]) as dataset:
        assert dataset.read(1).shape == (2, 2)
    pool.close()
