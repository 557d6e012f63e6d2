"""Render eoscope layers with headless QGIS and report on each rendering as one JSON line.

Run by Debian's ``/usr/bin/python3`` (the only interpreter with the QGIS 3.22 bindings), never
imported by the test suite::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_client.py SPEC.json

SPEC.json holds ``{"out_dir": ..., "checks": [CHECK, ...]}`` and each CHECK::

    {"name": "wms-ndvi", "provider": "wms" | "wcs" | "gdal", "uri": "...",
     "crs": "EPSG:32631", "extent": [xmin, ymin, xmax, ymax], "size": [width, height],
     "time": "YYYY-MM-DD" or null, "samples": [[x, y], ...] (layer CRS, optional)}

With a ``time``, the layer's temporal properties are switched on and the map settings carry a
temporal range covering that day, the way QGIS's temporal controller drives a WMS-T layer (a
``time=`` in a WMS URI crashes QGIS 3.22). Each check prints, on stdout, one line::

    {"name", "valid", "error", "render_errors", "png", "width", "height", "opaque",
     "non_white", "colours", "requests", "seconds"}

``opaque`` and ``non_white`` are fractions of the pixels, ``colours`` the number of distinct RGBA
values and ``requests`` the URLs QGIS fetched while loading and rendering the layer. With
``samples``, ``sampled`` holds band 1's value at each point as the data provider reads it (null
where it has none); for a provider with temporal capabilities, ``temporal_ranges`` lists the
ranges it parsed from the capabilities (ISO start and end).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def image_stats(image: Any) -> dict[str, Any]:
    """Fractions of opaque and non-white pixels and the number of distinct colours."""
    from qgis.PyQt.QtGui import QImage

    rgba = image.convertToFormat(QImage.Format_RGBA8888)
    pointer = rgba.constBits()
    pointer.setsize(rgba.sizeInBytes())
    data = bytes(pointer)
    pixels = [data[i:i + 4] for i in range(0, len(data), 4)]
    total = max(len(pixels), 1)
    opaque = [p for p in pixels if p[3] > 0]
    non_white = [p for p in opaque if p[:3] != b"\xff\xff\xff"]
    return {"width": rgba.width(), "height": rgba.height(), "opaque": len(opaque) / total,
            "non_white": len(non_white) / total, "colours": len(set(pixels))}


def day_range(day: str) -> Any:
    """The temporal range of one whole UTC day."""
    from qgis.core import QgsDateTimeRange
    from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime

    date = QDate.fromString(day, "yyyy-MM-dd")
    return QgsDateTimeRange(QDateTime(date, QTime(0, 0, 0), Qt.UTC),
                            QDateTime(date, QTime(23, 59, 59), Qt.UTC))


def sample(layer: Any, x: float, y: float) -> float | None:
    """Band 1 at a point (layer CRS) as the provider reads it; None where there is no value."""
    from qgis.core import QgsPointXY

    value, ok = layer.dataProvider().sample(QgsPointXY(x, y), 1)
    return float(value) if ok else None


def render(check: dict[str, Any], out_dir: Path, requests: list[str]) -> dict[str, Any]:
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsRasterLayer,
        QgsRectangle,
    )
    from qgis.PyQt.QtCore import QCoreApplication, QSize, Qt
    from qgis.PyQt.QtGui import QColor

    started = time.monotonic()
    requests.clear()
    result: dict[str, Any] = {"name": check["name"], "valid": False, "error": None,
                              "render_errors": [], "png": None}
    layer = QgsRasterLayer(check["uri"], check["name"], check["provider"])
    if not layer.isValid():
        provider = layer.dataProvider()
        result["error"] = " | ".join(filter(None, [
            layer.error().summary(), provider.error().summary() if provider else ""]))
        result["requests"] = list(requests)
        return result
    result["valid"] = True
    capabilities = layer.dataProvider().temporalCapabilities()
    if capabilities is not None and capabilities.hasTemporalCapabilities():
        result["temporal_ranges"] = [
            [span.begin().toString(Qt.ISODate), span.end().toString(Qt.ISODate)]
            for span in capabilities.allAvailableTemporalRanges()]

    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem(check["crs"]))
    settings.setExtent(QgsRectangle(*check["extent"]))
    settings.setOutputSize(QSize(*check["size"]))
    settings.setBackgroundColor(QColor(0, 0, 0, 0))
    if check.get("time"):
        span = day_range(check["time"])
        layer.temporalProperties().setIsActive(True)
        settings.setIsTemporal(True)
        settings.setTemporalRange(span)

    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    QCoreApplication.processEvents()  # deliver the queued request signals of the render
    image = job.renderedImage()
    result["render_errors"] = [error.message for error in job.errors()]
    png = out_dir / f"{check['name']}.png"
    image.save(str(png), "PNG")
    result["png"] = str(png)
    result.update(image_stats(image))
    if check.get("samples"):
        result["sampled"] = [sample(layer, x, y) for x, y in check["samples"]]
    QCoreApplication.processEvents()
    result["requests"] = list(requests)
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text())
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)

    from qgis.core import QgsApplication, QgsNetworkAccessManager, QgsNetworkRequestParameters

    app = QgsApplication([], False)
    app.initQgis()
    requests: list[str] = []
    signal = QgsNetworkAccessManager.instance().requestAboutToBeCreated
    signal[QgsNetworkRequestParameters].connect(
        lambda parameters: requests.append(parameters.request().url().toString()))
    for check in spec["checks"]:
        try:
            result = render(check, out_dir, requests)
        except Exception:  # noqa: BLE001 — reported to the test, which fails on it
            result = {"name": check["name"], "valid": False, "error": traceback.format_exc()}
        print(json.dumps(result), flush=True)
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
