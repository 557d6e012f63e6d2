"""The foundation's clients on a layer of every source (one single-band layer per mission
profile, chosen from the registry): OWSLib (WMS 1.3.0, WCS 2.0.1), GDAL 3.6 (WMS, WCS 2.0.1),
headless QGIS 3.22 (WMS-T, WCS 1.0.0) and terracatalogueclient. Values read through WCS equal
the product files' physical values; Sentinel-2 has its own, deeper client tests beside these.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
import rasterio
from owslib.wcs import WebCoverageService
from owslib.wms import WebMapService
from terracatalogueclient import Catalogue
from terracatalogueclient.config import CatalogueConfig

from services.registry import load
from services.settings import PROJECT_ROOT
from tests.helpers import one_layer_per_source, read_image, valid_pixel
from tests.interop.conftest import client_env
from tests.interop.test_qgis import run_qgis

pytestmark = pytest.mark.interop
SOURCES = one_layer_per_source(load(PROJECT_ROOT / "layers"))
LAYERS = sorted(SOURCES.values())


def around(gateway, layer: str, pixels: float = 1.5):
    """(pixel, (minx, miny, maxx, maxy) in the grid CRS ``pixels`` pixels around it, CRS)."""
    pixel = valid_pixel(gateway.registry, gateway.index, layer)
    grid = gateway.registry.layer(layer)[0].grid
    half = pixels * grid.step
    return pixel, (float(pixel.x - half), float(pixel.y - half), float(pixel.x + half),
                   float(pixel.y + half)), grid.crs


@pytest.mark.parametrize("layer", LAYERS)
def test_owslib_wms_and_wcs20(gateway, layer):
    pixel, (minx, miny, maxx, maxy), crs = around(gateway, layer, pixels=20)
    wms = WebMapService(f"{gateway.url}/wms", version="1.3.0", timeout=60)
    assert wms[layer].timepositions == gateway.index.layer_dates(layer)
    image = wms.getmap(layers=[layer], styles=[""], srs=crs, bbox=(minx, miny, maxx, maxy),
                       size=(64, 64), format="image/png", transparent=True, time=pixel.date)
    assert read_image(image.read())[3].max() == 255
    wcs = WebCoverageService(f"{gateway.url}/wcs", version="2.0.1", timeout=60)
    pixel, (minx, miny, maxx, maxy), crs = around(gateway, layer)
    axes = ("Long", "Lat") if gateway.registry.layer(layer)[0].grid.geographic else ("x", "y")
    coverage = wcs.getCoverage(identifier=layer, format="image/tiff",
                               subsets=[(axes[0], minx, maxx), (axes[1], miny, maxy),
                                        ("time", pixel.date)])
    values = read_image(coverage.read())[0]
    assert values.shape == (3, 3)
    assert values[1, 1] == pytest.approx(pixel.value, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("layer", LAYERS)
def test_gdal_wms_and_wcs20(gateway, layer, tmp_path):
    pixel, (minx, miny, maxx, maxy), crs = around(gateway, layer)
    service = tmp_path / "wcs.xml"
    service.write_text(f"<WCS_GDAL><ServiceURL>{gateway.url}/wcs?SUBSET=time({pixel.date})"
                       f"</ServiceURL><Version>2.0.1</Version><CoverageName>{layer}"
                       "</CoverageName></WCS_GDAL>")
    out = tmp_path / "wcs.tif"
    asked = gdal(tmp_path, "gdal_translate", "-projwin", str(minx), str(maxy), str(maxx),
                 str(miny), str(service), str(out))
    with rasterio.open(out) as dataset:
        values = dataset.read(1)
    assert values[values.shape[0] // 2, values.shape[1] // 2] == pytest.approx(
        pixel.value, rel=1e-5, abs=1e-9), f"{values}\n{asked}"
    half = 20 * (maxx - minx) / 3
    if gateway.registry.layer(layer)[0].grid.geographic:
        crs = "CRS:84"  # GDAL's WMS connection strings give the box in x, y order
    connection = (f"WMS:{gateway.url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap"
                  f"&LAYERS={layer}&CRS={crs}&BBOX={pixel.x - half},{pixel.y - half},"
                  f"{pixel.x + half},{pixel.y + half}&FORMAT=image/png&TIME={pixel.date}")
    png = tmp_path / "wms.png"
    gdal(tmp_path, "gdal_translate", "-of", "PNG", "-outsize", "64", "64", connection,
         str(png))
    drawn = read_image(png.read_bytes())
    assert len(np.unique(drawn.reshape(drawn.shape[0], -1), axis=1).T) > 1, "a blank map"


def gdal(tmp_path: Path, *args: str) -> str:
    done = subprocess.run([args[0], "--debug", "on", *args[1:]], capture_output=True,
                          text=True, timeout=90, env=client_env(tmp_path / "home"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return "\n".join(line for line in done.stderr.splitlines() if "Requesting" in line)


def test_qgis_wms_and_wcs10_on_every_source(gateway, tmp_path):
    checks = []
    for layer in LAYERS:
        pixel, bounds, crs = around(gateway, layer, pixels=20)
        wms = (f"crs={crs}&format=image/png&layers={layer}&styles="
               f"&url={quote(gateway.url + '/wms', safe=':/')}")
        checks.append({"name": f"wms-{layer}", "provider": "wms", "uri": wms, "crs": crs,
                       "extent": list(bounds), "size": [64, 64], "time": pixel.date,
                       "samples": None})
        wcs = (f"url={gateway.url}/wcs&identifier={layer}&crs={crs}"
               f"&format=GEOTIFF_FLOAT32&time={pixel.date}")
        checks.append({"name": f"wcs-{layer}", "provider": "wcs", "uri": wcs, "crs": crs,
                       "extent": list(bounds), "size": [64, 64], "time": None,
                       "samples": [[pixel.x, pixel.y]]})
    results = run_qgis(tmp_path, checks)
    for layer in LAYERS:
        pixel = valid_pixel(gateway.registry, gateway.index, layer)
        assert results[f"wms-{layer}"]["opaque"] > 0, results[f"wms-{layer}"]
        (sampled,) = results[f"wcs-{layer}"]["sampled"]
        assert sampled == pytest.approx(pixel.value, rel=1e-5, abs=1e-9), layer


@pytest.mark.parametrize("collection", sorted({gateway_collection for gateway_collection in (
    load(PROJECT_ROOT / "layers").layer(name)[0].id for name in LAYERS)}))
def test_terracatalogueclient_finds_every_source(gateway, collection, tmp_path):
    ini = tmp_path / "eoscope.ini"
    ini.write_text(f"[Catalogue]\nURL = {gateway.url}/catalogue/\n")
    catalogue = Catalogue(CatalogueConfig.from_file(str(ini)))
    identifier = f"urn:eop:VITO:{collection}"
    products = list(catalogue.get_products(identifier))
    assert len(products) == catalogue.get_product_count(identifier) == \
        gateway.index.product_count_of(collection)
    assert all(p.data and p.beginningDateTime for p in products)
    assert np.all([p.id.startswith(identifier + ":") for p in products])
