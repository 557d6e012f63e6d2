"""GDAL's WMS and WCS drivers (Debian's GDAL 3.6 command-line tools) against the gateway.

Every call runs ``gdal_translate``/``gdalinfo`` in a subprocess with HOME and the WCS cache
under tmp_path and ``--debug on``, so a failure shows the URLs GDAL actually requested.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pytest
import requests

from tests.helpers import read_image
from tests.interop.conftest import LAYER, client_env

pytestmark = pytest.mark.interop


def gdal(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a GDAL utility; on failure (when ``check``) fail with its requests and errors."""
    env = client_env(tmp_path / "home", GDAL_HTTP_TIMEOUT="30")
    try:
        done = subprocess.run([args[0], "--debug", "on", *args[1:]], capture_output=True,
                              text=True, timeout=90, env=env, cwd=tmp_path)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{args[0]} did not finish within 90 s: {error.stderr}")
    if check:
        assert done.returncode == 0, f"{args[0]} failed:\n{requests_and_errors(done)}"
    return done


def requests_and_errors(done: subprocess.CompletedProcess) -> str:
    return "\n".join(line for line in done.stderr.splitlines()
                     if re.search(r"Fetch\(|Requesting|ERROR", line))


def fetched(done: subprocess.CompletedProcess, request: str) -> list[str]:
    """The URLs of one kind of request (e.g. GetCoverage) GDAL made."""
    urls = re.findall(r"(?:Fetch\(|Requesting(?: \[\d+/\d+\])? )(http\S+?)\)?$",
                      done.stderr, re.MULTILINE)
    return [url for url in dict.fromkeys(urls) if f"REQUEST={request}".lower() in url.lower()]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- WMS --------------------------------------------------------------------------------------

def wms_connection(gateway, grid, date: str) -> str:
    minx, miny, maxx, maxy = grid.bounds
    return (f"WMS:{gateway.url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={LAYER}"
            f"&CRS={grid.crs}&BBOX={minx},{miny},{maxx},{maxy}&FORMAT=image/png&TIME={date}")


def test_wms_connection_string_passes_time(gateway, grid, two_dates, tmp_path):
    images = []
    for date in two_dates:
        out = tmp_path / f"{date}.png"
        done = gdal(tmp_path, "gdal_translate", "-of", "PNG", "-outsize", "128", "128",
                    wms_connection(gateway, grid, date), str(out))
        getmaps = fetched(done, "GetMap")
        assert getmaps and all(f"TIME={date}" in url for url in getmaps), getmaps
        image = read_image(out.read_bytes())
        assert image.shape == (3, 128, 128)
        assert len(np.unique(image.reshape(3, -1), axis=1).T) > 20, "a landscape"
        images.append(image)
    assert not np.array_equal(*images), "the two dates give different maps"


def gdal_wms_xml(gateway, grid, date: str) -> str:
    minx, miny, maxx, maxy = grid.bounds
    url = escape(f"{gateway.url}/wms?SERVICE=WMS&TIME={date}")
    return f"""<GDAL_WMS>
  <Service name="WMS"><Version>1.3.0</Version><ServerUrl>{url}</ServerUrl>
    <Layers>{LAYER}</Layers><CRS>{grid.crs}</CRS><ImageFormat>image/png</ImageFormat>
    <Transparent>TRUE</Transparent><BBoxOrder>xyXY</BBoxOrder></Service>
  <DataWindow><UpperLeftX>{minx}</UpperLeftX><UpperLeftY>{maxy}</UpperLeftY>
    <LowerRightX>{maxx}</LowerRightX><LowerRightY>{miny}</LowerRightY>
    <SizeX>{grid.width}</SizeX><SizeY>{grid.height}</SizeY></DataWindow>
  <BandsCount>4</BandsCount><BlockSizeX>{grid.width}</BlockSizeX>
  <BlockSizeY>{grid.height}</BlockSizeY><OverviewCount>0</OverviewCount>
</GDAL_WMS>"""


def test_wms_service_description_gives_the_gateways_own_map(gateway, grid, two_dates,
                                                             tmp_path):
    """One GetMap at the native grid: GDAL's image is the gateway's image for that date."""
    minx, miny, maxx, maxy = grid.bounds
    images = []
    for date in two_dates:
        service = write(tmp_path / f"wms_{date}.xml", gdal_wms_xml(gateway, grid, date))
        out = tmp_path / f"wms_{date}.png"
        gdal(tmp_path, "gdal_translate", "-of", "PNG", str(service), str(out))
        image = read_image(out.read_bytes())
        direct = requests.get(f"{gateway.url}/wms", timeout=60, params={
            "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": LAYER,
            "STYLES": "", "CRS": grid.crs, "BBOX": f"{minx},{miny},{maxx},{maxy}",
            "WIDTH": grid.width, "HEIGHT": grid.height, "FORMAT": "image/png",
            "TRANSPARENT": "TRUE", "TIME": date})
        assert np.array_equal(image, read_image(direct.content))
        assert (image[3] > 0).mean() > 0.3
        images.append(image)
    assert not np.array_equal(*images)


# --- WCS 2.0.1 --------------------------------------------------------------------------------

def wcs20_service(gateway, service_url: str, extra: str = "") -> str:
    return (f"<WCS_GDAL><ServiceURL>{escape(service_url)}</ServiceURL><Version>2.0.1</Version>"
            f"<CoverageName>{LAYER}</CoverageName>{extra}</WCS_GDAL>")


def test_wcs20_time_subset_in_service_url_windowed_reads_match_source(
        gateway, grid, two_dates, against_source, tmp_path):
    """GDAL appends its x/y SUBSETs to the ServiceURL verbatim, so a time subset there reaches
    the server with every GetCoverage (and a windowed read asks only for its window)."""
    values = []
    for date in two_dates:
        service = write(tmp_path / f"wcs20_{date}.xml",
                        wcs20_service(gateway, f"{gateway.url}/wcs?SUBSET=time({date})"))
        out = tmp_path / f"wcs20_{date}.tif"
        done = gdal(tmp_path, "gdal_translate", "-srcwin", "50", "60", "50", "40",
                    str(service), str(out))
        minx, miny, maxx, maxy = grid.window(col=50, row=60, width=50, height=40)
        assert any(f"x%28{minx:.0f},{maxx:.0f}%29" in url
                   for url in fetched(done, "GetCoverage")), requests_and_errors(done)
        comparison = against_source(out, date, step=3)
        assert comparison.crs == grid.crs and comparison.shape == (40, 50)
        comparison.assert_exact()
        values.append(comparison.values)
    assert not np.array_equal(*values, equal_nan=True)


def test_wcs20_get_coverage_extra_time_subset_full_read_matches_source(
        gateway, grid, two_dates, against_source, tmp_path):
    """The stack notes' recipe. It holds for a full read only: GDAL 3.6 adds each
    GetCoverageExtra pair with CPLURLAddKVP, which *replaces* the first SUBSET already in the
    URL (its x trim), so a windowed read would get the full width back."""
    date = two_dates[0]
    extra = f'<GetCoverageExtra>{escape(f"&SUBSET=time({date})")}</GetCoverageExtra>'
    service = write(tmp_path / "wcs20_extra.xml",
                    wcs20_service(gateway, f"{gateway.url}/wcs?", extra))
    out = tmp_path / "wcs20_extra.tif"
    done = gdal(tmp_path, "gdal_translate", str(service), str(out))
    assert all(f"time({date})" in url for url in fetched(done, "GetCoverage"))
    comparison = against_source(out, date, step=9)
    assert comparison.shape == (grid.height, grid.width)
    comparison.assert_exact(min_valid=100)


def test_wcs20_documented_subset_open_option_selects_the_date(
        gateway, grid, two_dates, against_source, tmp_path):
    """GDAL's documented way to slice time (``-oo Subset=time(...)``, the same for a URL
    ``subset=`` or a <Subset> element) sends it as ``SUBSET0=time("YYYY-MM-DD")``: GDAL numbers
    non-spatial subsets, and MapServer accepts any key that starts with SUBSET. The gateway
    must treat such a key as the time subset it is, like SUBSET=time(...)."""
    date = two_dates[0]
    out = tmp_path / "wcs20_oo.tif"
    done = gdal(tmp_path, "gdal_translate", "-oo", f"CACHE={tmp_path / 'cache'}",
                "-oo", f"Subset=time({date})", "-srcwin", "50", "60", "50", "40",
                f"WCS:{gateway.url}/wcs?version=2.0.1&coverage={LAYER}", str(out), check=False)
    assert done.returncode == 0, (
        "the gateway rejects GDAL's time subset:\n" + requests_and_errors(done))
    against_source(out, date, step=3).assert_exact()


# --- WCS 1.0.0 --------------------------------------------------------------------------------



def wcs10_url(gateway) -> str:
    return f"WCS:{gateway.url}/wcs?version=1.0.0&coverage={LAYER}"


def subdatasets(info: dict) -> dict[str, str]:
    """time → subdataset name, from ``gdalinfo -json``."""
    names = info["metadata"]["SUBDATASETS"]
    return {re.search(r'time="([^"]+)"', name)[1]: name
            for key, name in names.items() if key.endswith("_NAME")}


def test_wcs10_every_date_is_a_subdataset_and_reads_the_source_values(
        gateway, grid, two_dates, against_source, tmp_path):
    """The natural GDAL flow: gdalinfo lists one subdataset per time position, gdal_translate
    reads one (the subdataset's service file keeps the open options)."""
    info = json.loads(gdal(tmp_path, "gdalinfo", "-json", "-oo", f"CACHE={tmp_path / 'cache'}",
                           wcs10_url(gateway)).stdout)
    dates = gateway.index.layer_dates(LAYER)
    assert list(subdatasets(info)) == dates
    assert info["metadata"][""]["TIME_POSITION"] == dates[-1], "the default is the latest"
    values = []
    for date in two_dates:
        out = tmp_path / f"wcs10_{date}.tif"
        done = gdal(tmp_path, "gdal_translate", "-srcwin", "50", "60", "50", "40",
                    subdatasets(info)[date], str(out))
        assert all(f"time={date}" in url for url in fetched(done, "GetCoverage"))
        comparison = against_source(out, date, step=3)
        assert comparison.crs == grid.crs and comparison.shape == (40, 50)
        comparison.assert_exact()
        values.append(comparison.values)
    assert not np.array_equal(*values, equal_nan=True)


def test_wcs10_default_georeferencing_is_the_coverage_grid(gateway, grid, two_dates,
                                                            against_source, tmp_path):
    """Without any quirk switch GDAL must place the coverage on its real grid. The WCS 1.0.0
    DescribeCoverage gives gml:origin = the outer corner of the first pixel; GML (and GDAL,
    and this same server's WCS 2.0.1 description) take the origin as that pixel's *centre*."""
    info = json.loads(gdal(tmp_path, "gdalinfo", "-json", "-oo", f"CACHE={tmp_path / 'cache'}",
                           wcs10_url(gateway)).stdout)
    transform = info["geoTransform"]
    assert (transform[0], transform[3]) == (grid.left, grid.top), (
        f"GDAL puts the coverage at {transform[0]}, {transform[3]} instead of "
        f"{grid.left}, {grid.top}: half a pixel off")
    date = two_dates[0]
    out = tmp_path / "wcs10_default.tif"
    gdal(tmp_path, "gdal_translate", "-srcwin", "50", "60", "50", "40",
         subdatasets(info)[date], str(out))
    against_source(out, date, step=3).assert_exact()
