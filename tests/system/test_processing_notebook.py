"""The notebooks of notebooks/, executed by nbclient against the live gateway (any error in a
cell fails the test): the quickstart (catalogue → file paths → a Dask histogram of PROBA-V
NDVI → summed counts, and the histogram process agrees), the processes over OGC API and WPS
(a composite as a picture, one histogram by both protocols), and catalogue → time series →
chart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from services.index.search import ProductQuery, ProductSearch
from services.settings import PROJECT_ROOT
from tests.processing_truth import window

NOTEBOOKS = PROJECT_ROOT / "notebooks"


def printed(notebook: Path, url: str, monkeypatch, folder: Path) -> str:
    """Run ``notebook`` against the gateway at ``url``; what its cells printed."""
    monkeypatch.setenv("EOSCOPE_URL", url)
    document = nbformat.read(notebook, as_version=4)
    NotebookClient(document, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return "".join(output.get("text", "") for cell in document.cells
                   if cell.cell_type == "code" for output in cell.get("outputs", []))


def test_quickstart_notebook_runs(gateway, monkeypatch, tmp_path):
    text = printed(NOTEBOOKS / "quickstart.ipynb", gateway.url, monkeypatch, tmp_path)
    products = len(window(gateway.settings.index)[2])
    assert f"sum of {products} histograms: [" in text
    assert f"the service agrees: {products} products" in text


def test_processes_notebook_runs(gateway, monkeypatch, tmp_path):
    text = printed(NOTEBOOKS / "processes.ipynb", gateway.url, monkeypatch, tmp_path)
    assert "temporal-composite" in text and "job successful: finished" in text
    assert "composite: " in text and "maximum NDVI between " in text
    products = len(window(gateway.settings.index)[2])
    assert f"WPS and OGC API agree: {products} products" in text


def test_timeseries_notebook_runs(gateway, monkeypatch, tmp_path):
    text = printed(NOTEBOOKS / "timeseries.ipynb", gateway.url, monkeypatch, tmp_path)
    _total, products = ProductSearch(gateway.settings.index).search(ProductQuery(
        collections=("TERRASCOPE_S2_NDVI_V2",), start=datetime(2018, 3, 1, tzinfo=UTC),
        end=datetime(2018, 11, 1, tzinfo=UTC), bbox=(3.650, 51.078, 3.656, 51.082), limit=1000))
    dates = len({p.date for p in products})
    assert dates > 1
    assert f"the catalogue and the series agree: {dates} dates" in text
    assert "charted " in text
