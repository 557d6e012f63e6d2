"""``change``: the difference between two periods of a layer — a composite (mean by default)
of the later period minus the same composite of the earlier one, on the collection's grid over
a bounding box, as a Cloud-Optimized GeoTIFF in physical units. Each composite is a
``temporal-composite`` (same masks, one Dask task per date).
"""

from __future__ import annotations

from dataclasses import dataclass

from affine import Affine

from services.errors import InvalidParameterValue, RequestTooLarge
from services.processing.context import Context, Output
from wps_processes import temporal_composite as composite
from wps_processes.inputs import BBOX, COG_OUTPUT, DATE, LAYER

PERIODS = ("before", "after")
_DATE = {"type": "string", "pattern": DATE}


def _date_input(period: str, bound: str) -> dict:
    first = bound == "start"
    return {
        "title": {"en": f"{period.capitalize()}: {'first' if first else 'last'} date",
                  "nl": f"{'Voor' if period == 'before' else 'Na'}: "
                        f"{'eerste' if first else 'laatste'} datum",
                  "fr": f"{'Avant' if period == 'before' else 'Après'} : "
                        f"{'première' if first else 'dernière'} date"},
        "description": {"en": "Included.", "nl": "Inbegrepen.", "fr": "Incluse."},
        "schema": _DATE, "minOccurs": 1, "maxOccurs": 1}


PROCESS_METADATA = {
    "version": "1.0.0",
    "id": "change",
    "title": {"en": "Change between two periods", "nl": "Verandering tussen twee periodes",
              "fr": "Changement entre deux périodes"},
    "description": {
        "en": "A composite (mean by default) of a layer's valid pixels over a later period "
              "minus the same composite over an earlier one, as a Cloud-Optimized GeoTIFF in "
              "physical units (NaN where either period had no valid pixel).",
        "nl": "Een compositie (standaard het gemiddelde) van de geldige pixels van een laag "
              "over een latere periode min dezelfde compositie over een eerdere, als "
              "Cloud-Optimized GeoTIFF in fysische eenheden.",
        "fr": "Un composite (la moyenne par défaut) des pixels valides d'une couche sur une "
              "période ultérieure moins le même composite sur une période antérieure, en "
              "GeoTIFF optimisé pour le cloud, en unités physiques."},
    "keywords": ["change detection", "difference", "COG"],
    "jobControlOptions": ["sync-execute", "async-execute"],
    "outputTransmission": ["value"],
    "inputs": {
        "layer": LAYER,
        "bbox": BBOX,
        **{f"{period}_{bound}": _date_input(period, bound)
           for period in PERIODS for bound in ("start", "end")},
        "method": {**composite.PROCESS_METADATA["inputs"]["method"],
                   "schema": {"type": "string", "enum": list(composite.METHODS),
                              "default": "mean"}},
    },
    "outputs": {
        "change": {
            "title": {"en": "Change", "nl": "Verandering", "fr": "Changement"},
            "description": {"en": "A COG of after − before, float32 physical values, NaN "
                                  "nodata; its tags name both periods' products.",
                            "nl": "Een COG van na − voor; de tags noemen de producten.",
                            "fr": "Un COG de après − avant ; ses étiquettes nomment les "
                                  "produits."},
            "schema": COG_OUTPUT},
    },
    "example": {"inputs": {"layer": "CGS_S2_NDVI", "bbox": [4.70, 51.00, 4.72, 51.01],
                           "before_start": "2018-05-01", "before_end": "2018-05-31",
                           "after_start": "2018-07-01", "after_end": "2018-07-31",
                           "method": "mean"}},
}


@dataclass(frozen=True)
class Plan:
    before: composite.Plan
    after: composite.Plan


def plan(inputs: dict, context: Context) -> Plan:
    if inputs["before_end"] >= inputs["after_start"]:
        raise InvalidParameterValue("the earlier period must end before the later one "
                                    "starts", "before_end")
    periods = [composite.plan({"layer": inputs["layer"], "bbox": inputs["bbox"],
                               "start": inputs[f"{period}_start"],
                               "end": inputs[f"{period}_end"],
                               "method": inputs.get("method", "mean")}, context)
               for period in PERIODS]
    held = sum(p.width * p.height * len(p.dates) for p in periods)
    if held > context.limits.max_composite_values:
        raise RequestTooLarge(f"both periods hold {held} values; at most "
                              f"{context.limits.max_composite_values}", "bbox")
    return Plan(*periods)


def task_memory(work: Plan) -> int:
    return max(composite.task_memory(work.before), composite.task_memory(work.after))


def run(work: Plan, context: Context) -> Output:
    difference = composite.composite(work.after, context) - \
        composite.composite(work.before, context)
    tags = {"layer": work.after.layer, "method": work.after.method,
            "before_sources": ",".join(composite.sources(work.before)),
            "after_sources": ",".join(composite.sources(work.after)),
            "sources": ",".join(composite.sources(work.before) +
                                composite.sources(work.after))}
    return Output(composite.COG, composite.to_cog(difference, work.after.crs,
                                                  Affine(*work.after.transform), tags))
