"""Copy the browser tests' screenshots into docs/images/viewer/ for docs/viewer.md.

Run the browser tests first (``python -m pytest tests/browser``), then
``python -m tests.browser.docs_images``. The images are reduced to 256 colours to keep the
repository small.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.browser.conftest import ARTEFACTS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "images" / "viewer"
SHOTS = ("terrascope-url", "layers-nl", "compare-swipe", "time-series", "time-lapse", "export",
         "phone")


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in SHOTS:
        image = Image.open(ARTEFACTS / f"viewer-{name}.png").convert("RGB")
        image.quantize(256).save(DOCS / f"{name}.png", optimize=True)
        print(DOCS / f"{name}.png")


if __name__ == "__main__":
    main()
