"""notebooks/quickstart.ipynb, executed by nbclient against the live gateway: catalogue → file
paths → a Dask histogram of PROBA-V NDVI → summed counts, and the histogram process agrees."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from services.settings import PROJECT_ROOT
from tests.processing_truth import window

NOTEBOOK = PROJECT_ROOT / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_runs(gateway, monkeypatch, tmp_path):
    monkeypatch.setenv("EOSCOPE_URL", gateway.url)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.get("outputs", []))
    products = len(window(gateway.settings.index)[2])
    assert f"sum of {products} histograms: [" in printed
    assert f"the service agrees: {products} products" in printed
