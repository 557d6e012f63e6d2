"""``extract``: a layer on one date over a bounding box, on the collection's own grid, masked
(nodata, valid range, the collection's mask), as a Cloud-Optimized GeoTIFF in physical units —
the mosaic of that date's products, the first valid value winning where they overlap.
"""

from __future__ import annotations

from affine import Affine

from services.errors import InvalidParameterValue
from services.processing.context import Context, Output
from wps_processes import temporal_composite as composite
from wps_processes.inputs import BBOX, COG_OUTPUT, DAY, LAYER

PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "extract",
    "title": {"en": "Extract", "nl": "Uitsnede", "fr": "Extraction"},
    "description": {
        "en": "A layer on one date over a bounding box, masked, on the collection's grid: a "
              "Cloud-Optimized GeoTIFF in physical units (float32, NaN where not valid).",
        "nl": "Een laag op één datum binnen een begrenzingsvak, gemaskeerd, op het raster van "
              "de collectie: een Cloud-Optimized GeoTIFF in fysische eenheden.",
        "fr": "Une couche à une date dans une emprise, masquée, sur la grille de la "
              "collection : un GeoTIFF optimisé pour le cloud en unités physiques."},
    "keywords": ["extract", "clip", "COG"],
    "jobControlOptions": ["sync-execute", "async-execute"],
    "outputTransmission": ["value"],
    "inputs": {
        "layer": LAYER,
        "bbox": BBOX,
        "date": DAY,
    },
    "outputs": {
        "extract": {
            "title": {"en": "Extract", "nl": "Uitsnede", "fr": "Extraction"},
            "description": {"en": "A COG, float32 physical values, NaN nodata; its tags name "
                                  "the products.",
                            "nl": "Een COG met fysische waarden; de tags noemen de producten.",
                            "fr": "Un COG en valeurs physiques ; ses étiquettes nomment les "
                                  "produits."},
            "schema": COG_OUTPUT},
    },
    "example": {"inputs": {"layer": "CGS_S2_NDVI", "bbox": [4.70, 51.00, 4.72, 51.01],
                           "date": "2018-06-02"}},
}


def plan(inputs: dict, context: Context) -> composite.Plan:
    work = composite.plan({"layer": inputs["layer"], "bbox": inputs["bbox"],
                           "start": inputs["date"], "end": inputs["date"], "method": "max"},
                          context)
    if not work.dates:
        raise InvalidParameterValue(f"no product of {work.layer} meets the bounding box on "
                                    f"{inputs['date']}", "date")
    return work


task_memory = composite.task_memory


def run(work: composite.Plan, context: Context) -> Output:
    (day, day_sources), = work.dates
    task = (work.layers_dir, work.layer, work.crs, work.transform, work.width, work.height,
            day_sources)
    values, = context.map(composite.date_values, [task])
    tags = {"layer": work.layer, "date": day, "sources": ",".join(composite.sources(work))}
    return Output(composite.COG, composite.to_cog(values, work.crs, Affine(*work.transform),
                                                  tags))
