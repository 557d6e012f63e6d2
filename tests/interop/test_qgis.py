"""Headless QGIS 3.22 (Debian's python3-qgis) loading and rendering the gateway's layers.

Each test runs ``qgis_client.py`` under ``/usr/bin/python3`` in its own subprocess (offscreen Qt,
HOME under tmp_path) and asserts on the JSON line it prints per check. A QGIS crash fails the
test with the signal and stderr; a hang is killed after TIMEOUT seconds and fails it too.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
import requests
from lxml import etree
from pyproj import Transformer

from tests.helpers import read_image, source_value
from tests.interop.conftest import LAYER, client_env

pytestmark = pytest.mark.interop

QGIS_PYTHON = "/usr/bin/python3"
CLIENT = Path(__file__).with_name("qgis_client.py")
TIMEOUT = 120
SIZE = [256, 256]


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def run_qgis(tmp_path: Path, checks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Run the checks in one QGIS process; every check must load and render without error."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"out_dir": str(tmp_path / "out"), "checks": checks}))
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    env = client_env(tmp_path / "home", QT_QPA_PLATFORM="offscreen",
                     XDG_RUNTIME_DIR=str(runtime))
    try:
        done = subprocess.run([QGIS_PYTHON, str(CLIENT), str(spec)], capture_output=True,
                              text=True, timeout=TIMEOUT, env=env, cwd=tmp_path)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"QGIS hung: killed after {TIMEOUT} s.\nstdout: {_text(error.stdout)}\n"
                    f"stderr: {_text(error.stderr)[-3000:]}")
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            results[result["name"]] = result
    if done.returncode != 0:
        how = (f"was killed by {signal.Signals(-done.returncode).name}"
               if done.returncode < 0 else f"exited with {done.returncode}")
        pytest.fail(f"QGIS {how} after {len(results)} of {len(checks)} checks "
                    f"({', '.join(results)}).\nstderr: {done.stderr[-3000:]}")
    assert set(results) == {check["name"] for check in checks}, done.stdout
    for name, result in results.items():
        assert result["valid"], f"QGIS could not load {name}: {result['error']}"
        assert not result["render_errors"], f"{name}: {result['render_errors']}"
    return results


def check(name: str, provider: str, uri: str, grid, time: str | None = None,
          samples: list[tuple[float, float]] | None = None) -> dict[str, Any]:
    return {"name": name, "provider": provider, "uri": uri, "crs": grid.crs,
            "extent": list(grid.bounds), "size": SIZE, "time": time, "samples": samples}


def image(result: dict[str, Any]) -> np.ndarray:
    return read_image(Path(result["png"]).read_bytes())


def assert_a_landscape(result: dict[str, Any], min_opaque: float = 0.3) -> None:
    """Not blank: mostly opaque (the layer covers the whole map), many colours, not white."""
    assert result["width"] == SIZE[0] and result["height"] == SIZE[1]
    assert result["opaque"] > min_opaque, result
    assert result["non_white"] > min_opaque, result
    assert result["colours"] > 20, result


def with_param(requested: list[str], request: str) -> list[str]:
    return [url for url in requested if f"request={request}".lower() in url.lower()]


def lattice(grid, step: int = 40) -> list[tuple[float, float]]:
    """Pixel centres across the grid, in the grid's CRS."""
    r = grid.resolution
    return [(grid.left + (col + 0.5) * r, grid.top - (row + 0.5) * r)
            for row in range(step // 2, grid.height, step)
            for col in range(step // 2, grid.width, step)]


def assert_samples_are_the_source(gateway, grid, result: dict[str, Any], date: str) -> None:
    """QGIS's provider values at the lattice points equal the source files'."""
    to_lonlat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    valid = 0
    for (x, y), got in zip(lattice(grid), result["sampled"], strict=True):
        expected = source_value(gateway.registry, gateway.index, LAYER, date,
                                *to_lonlat.transform(x, y))
        if math.isnan(expected):
            assert got is None or math.isnan(got), f"({x}, {y}) on {date}: {got}, no data"
        else:
            assert got == pytest.approx(expected, abs=1e-6), f"({x}, {y}) on {date}"
            valid += 1
    assert valid >= 5, f"only {valid} valid samples compared"


def wms_uri(gateway, grid, temporal: bool = False) -> str:
    uri = (f"crs={grid.crs}&format=image/png&layers={LAYER}&styles="
           f"&url={quote(gateway.url + '/wms', safe=':/')}")
    if temporal:
        # What QGIS's source select writes for a layer with a time dimension: the extent is
        # the capabilities' <Dimension name="time"> text, as the server wrote it.
        uri += (f"&type=wmst&allowTemporalUpdates=true&temporalSource=provider"
                f"&timeDimensionExtent={time_dimension(gateway)}")
    return uri


def time_dimension(gateway) -> str:
    capabilities = requests.get(f"{gateway.url}/wms", timeout=60, params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"})
    tree = etree.fromstring(capabilities.content)
    return tree.xpath(f"//*[local-name()='Layer'][*[local-name()='Name']='{LAYER}']"
                      "/*[local-name()='Dimension'][@name='time']/text()")[0].strip()


def test_wms_layer_renders_the_gateways_map(gateway, grid, tmp_path):
    result = run_qgis(tmp_path, [check("wms", "wms", wms_uri(gateway, grid), grid)])["wms"]
    assert_a_landscape(result, min_opaque=0.9)  # default date: the latest, cloud-free
    getmaps = with_param(result["requests"], "GetMap")
    assert len(getmaps) == 1 and "TIME=" not in getmaps[0], getmaps
    # QGIS shows exactly the map the gateway returns for QGIS's own request.
    served = read_image(requests.get(getmaps[0], timeout=60).content)
    rendered = image(result)
    opaque = served[3] == 255
    assert np.array_equal(rendered[3] == 255, opaque)
    assert np.array_equal(rendered[:3, opaque], served[:3, opaque])


def test_wmst_time_from_the_map_settings_selects_the_date(gateway, grid, two_dates, tmp_path):
    uri = wms_uri(gateway, grid, temporal=True)
    results = run_qgis(tmp_path, [check(date, "wms", uri, grid, time=date)
                                  for date in two_dates])
    dates = gateway.index.layer_dates(LAYER)
    for date, result in results.items():
        assert [begin[:10] for begin, _end in result["temporal_ranges"]] == dates
        assert_a_landscape(result)
        getmaps = with_param(result["requests"], "GetMap")
        assert getmaps and all(f"TIME={date}" in url for url in getmaps), getmaps
    first, second = (image(results[date]) for date in two_dates)
    assert not np.array_equal(first, second), "two dates, two different maps"


def test_wcs10_provider_reads_the_source_values_per_date(gateway, grid, two_dates, tmp_path):
    base = f"url={gateway.url}/wcs&identifier={LAYER}&crs={grid.crs}&format=GEOTIFF_FLOAT32"
    results = run_qgis(tmp_path, [
        check(date, "wcs", f"{base}&time={date}", grid, samples=lattice(grid))
        for date in two_dates])
    for date, result in results.items():
        assert_a_landscape(result)
        coverages = with_param(result["requests"], "GetCoverage")
        assert coverages and all(f"TIME={date}" in url for url in coverages), coverages
        assert all("VERSION=1.0.0" in url for url in coverages), coverages
        assert_samples_are_the_source(gateway, grid, result, date)
    assert not np.array_equal(*(image(results[date]) for date in two_dates))


def test_wcs20_through_the_gdal_provider_reads_the_source_values(gateway, grid, two_dates,
                                                                 tmp_path):
    """QGIS's own WCS provider speaks 1.0.0/1.1 only; 2.0.1 goes through GDAL's WCS driver
    with a service description file (the time subset in the ServiceURL, see test_gdal)."""
    checks = []
    for date in two_dates:
        service = tmp_path / f"wcs20_{date}.xml"
        service.write_text(
            f"<WCS_GDAL><ServiceURL>{gateway.url}/wcs?SUBSET=time({date})</ServiceURL>"
            f"<Version>2.0.1</Version><CoverageName>{LAYER}</CoverageName></WCS_GDAL>")
        checks.append(check(date, "gdal", str(service), grid, samples=lattice(grid)))
    results = run_qgis(tmp_path, checks)
    for date, result in results.items():
        assert_a_landscape(result)
        assert_samples_are_the_source(gateway, grid, result, date)
    assert not np.array_equal(*(image(results[date]) for date in two_dates))
