"""``histogram``: the Spark quickstart of Terrascope, on Dask.

For every product of a collection that meets a bounding box in a date range, a histogram of
the raw digital numbers of one band's whole file (nodata included), computed in parallel, one
task per file, and summed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import rasterio

from services.errors import InvalidParameterValue, RequestTooLarge
from services.processing.context import Context, products_in
from wps_processes.inputs import BBOX, period

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "histogram",
    "title": {"en": "Histogram of digital numbers",
              "nl": "Histogram van digitale waarden",
              "fr": "Histogramme des valeurs numériques"},
    "description": {
        "en": "For every product of a collection that meets a bounding box in a date range, a "
              "histogram of the raw digital numbers of one band's whole file (nodata "
              "included), computed in parallel and summed (Terrascope's Spark quickstart).",
        "nl": "Voor elk product van een collectie dat een begrenzingsvak raakt binnen een "
              "periode, een histogram van de ruwe digitale waarden van het volledige bestand "
              "van één band (nodata inbegrepen), parallel berekend en opgeteld.",
        "fr": "Pour chaque produit d'une collection qui touche une emprise dans un intervalle "
              "de dates, l'histogramme des valeurs numériques brutes du fichier entier d'une "
              "bande (nodata compris), calculé en parallèle et sommé."},
    "keywords": ["histogram", "statistics", "dask"],
    "jobControlOptions": ["sync-execute", "async-execute"],
    "outputTransmission": ["value"],
    "inputs": {
        "collection": {
            "title": {"en": "Collection", "nl": "Collectie", "fr": "Collection"},
            "description": {"en": "A catalogue identifier (urn:eop:VITO:PROBAV_L3_S1_TOC_333M) "
                                  "or a bare collection id.",
                            "nl": "Een catalogus-id of een collectie-id.",
                            "fr": "Un identifiant du catalogue ou d'une collection."},
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            "minOccurs": 1, "maxOccurs": 1},
        "bbox": BBOX,
        **period(times=True),
        "band": {
            "title": {"en": "Band", "nl": "Band", "fr": "Bande"},
            "description": {"en": "A band of the collection; default its first data band.",
                            "nl": "Een band van de collectie; standaard de eerste databand.",
                            "fr": "Une bande de la collection ; par défaut la première."},
            "schema": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
                       "maxLength": 64},
            "minOccurs": 0, "maxOccurs": 1},
        "bins": {
            "title": {"en": "Bins", "nl": "Klassen", "fr": "Classes"},
            "description": {"en": "Number of equal bins over the band's digital numbers "
                                  "([0, 256) for byte data).",
                            "nl": "Aantal gelijke klassen over de digitale waarden.",
                            "fr": "Nombre de classes égales sur les valeurs numériques."},
            "schema": {"type": "integer", "minimum": 1, "maximum": 65536, "default": 256},
            "minOccurs": 0, "maxOccurs": 1},
    },
    "outputs": {
        "histogram": {
            "title": {"en": "Summed histogram", "nl": "Opgeteld histogram",
                      "fr": "Histogramme sommé"},
            "description": {"en": "counts per bin, the bin edges, the number of products and "
                                  "the products they were computed from.",
                            "nl": "aantallen per klasse, klassegrenzen, aantal producten en "
                                  "hun namen.",
                            "fr": "effectifs par classe, bornes, nombre de produits et leurs "
                                  "noms."},
            "schema": {"type": "object", "contentMediaType": "application/json",
                       "required": ["counts", "edges", "products"]}},
    },
    "example": {"inputs": {"collection": "urn:eop:VITO:PROBAV_L3_S1_TOC_333M",
                           "bbox": [2.5, 49.5, 6.5, 51.5], "start": "2018-06-01",
                           "end": "2018-06-30", "band": "NDVI", "bins": 256}},
}


HISTOGRAM_BLOCK = 65536   # np.histogram counts equal bins this many values at a time
# what each value of a block holds there: the in-range masks, its float64 copy, the scaled
# copy, the int64 bin indices and their corrections (43 bytes measured, numpy 2.4;
# tests/unit/test_process_and_series_estimates.py)
BYTES_A_BLOCK_VALUE = 48


@dataclass(frozen=True)
class Plan:
    """What will be read: one (product name, file path, band of the file) per product."""

    collection: str
    band: str
    files: tuple[tuple[str, str, int], ...]
    bins: int
    low: float
    high: float
    task_bytes: int = 0   # what the task of the largest file holds (see task_memory)


def plan(inputs: dict, context: Context) -> Plan:
    collection, products = products_in(inputs, context)
    band = collection.band(inputs["band"]) if "band" in inputs else next(
        b for b in collection.bands if b.role == "data")
    kind = np.dtype(band.dtype)
    if kind.kind == "f":
        if band.valid_range is None:
            raise InvalidParameterValue(f"band {band.name} holds floats without a valid range: "
                                        "no bins over its digital numbers", "band")
        low, high = band.valid_range
    else:
        low, high = float(np.iinfo(kind).min), float(np.iinfo(kind).max) + 1
    files = tuple((p.name, p.paths()[band.name], band.index) for p in products
                  if band.name in p.paths())
    sizes = [_pixels(path) for _name, path, _index in files]
    pixels = sum(sizes)
    if pixels > context.limits.max_process_pixels:
        raise RequestTooLarge(f"{len(files)} products of {pixels} pixels in all: more than "
                              f"{context.limits.max_process_pixels}; narrow the dates or the "
                              "bounding box", "bbox")
    largest = max(sizes, default=0)
    task_bytes = largest * kind.itemsize + min(largest, HISTOGRAM_BLOCK) * BYTES_A_BLOCK_VALUE
    return Plan(collection.id, band.name, files, int(inputs.get("bins", 256)), low, high,
                task_bytes)


def task_memory(work: Plan) -> int:
    """Bytes the histogram of the largest file needs on a Dask worker."""
    return work.task_bytes


def run(work: Plan, context: Context) -> dict:
    """One task per file on the cluster; the counts are summed as they come back."""
    parts = context.map(file_histogram, [(path, index, work.bins, work.low, work.high)
                                         for _name, path, index in work.files])
    counts = np.sum(parts, axis=0, dtype=np.int64) if parts else np.zeros(work.bins, np.int64)
    edges = np.linspace(work.low, work.high, work.bins + 1)
    return {"counts": counts.tolist(), "edges": edges.tolist(), "products": len(work.files),
            "collection": context.catalogue_id(work.collection), "band": work.band,
            "sources": [name for name, _path, _index in work.files]}


def file_histogram(task: tuple[str, int, int, float, float]) -> np.ndarray:
    """The histogram of a whole file band's digital numbers (runs on a Dask worker)."""
    path, index, bins, low, high = task
    with rasterio.open(path) as dataset:
        values = dataset.read(index)
    return np.histogram(values, bins=bins, range=(low, high))[0]


def _pixels(path: str) -> int:
    """The file's pixels; a file replaced (a new modification time or size) is read again."""
    status = os.stat(path)
    return _file_pixels(path, status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=4096)
def _file_pixels(path: str, _mtime_ns: int, _size: int) -> int:
    with rasterio.open(path) as dataset:
        return dataset.width * dataset.height
