"""Input and output definitions several processes share (layer, bounding box, period, a COG
output), written once."""

from __future__ import annotations

COG = "image/tiff; application=geotiff; profile=cloud-optimized"
COG_OUTPUT = {"type": "string", "contentEncoding": "binary", "contentMediaType": COG}

DATE = r"^\d{4}-\d{2}-\d{2}$"
DATE_TIME = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$"

LAYER = {
    "title": {"en": "Layer", "nl": "Laag", "fr": "Couche"},
    "description": {"en": "A single-band layer, by name or time series alias "
                          "(e.g. CGS_S2_NDVI or TERRASCOPE_S2_NDVI_V2).",
                    "nl": "Een laag met één band, bij naam of tijdreeksalias (bv. CGS_S2_NDVI).",
                    "fr": "Une couche à une bande, par son nom ou un alias (p. ex. "
                          "CGS_S2_NDVI)."},
    "schema": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$", "maxLength": 80},
    "minOccurs": 1, "maxOccurs": 1}

BBOX = {
    "title": {"en": "Bounding box", "nl": "Begrenzingsvak", "fr": "Emprise"},
    "description": {"en": "west, south, east, north in degrees (CRS84).",
                    "nl": "west, zuid, oost, noord in graden (CRS84).",
                    "fr": "ouest, sud, est, nord en degrés (CRS84)."},
    "schema": {"type": "array", "minItems": 4, "maxItems": 4,
               "items": {"type": "number", "minimum": -180, "maximum": 180}},
    "minOccurs": 1, "maxOccurs": 1}


def period(times: bool = False) -> dict[str, dict]:
    """``start`` and ``end``, both included: dates, or with ``times`` dates or date-times."""
    what = {"en": " (or date-time)", "nl": "", "fr": ""} if times else {"en": "", "nl": "",
                                                                         "fr": ""}
    schema = {"type": "string", "pattern": DATE_TIME if times else DATE, "maxLength": 30}
    return {
        "start": {"title": {"en": "Start", "nl": "Begin", "fr": "Début"},
                  "description": {"en": f"First date{what['en']}, included.",
                                  "nl": "Eerste datum, inbegrepen.",
                                  "fr": "Première date, incluse."},
                  "schema": schema, "minOccurs": 1, "maxOccurs": 1},
        "end": {"title": {"en": "End", "nl": "Einde", "fr": "Fin"},
                "description": {"en": f"Last date{what['en']}, included.",
                                "nl": "Laatste datum, inbegrepen.",
                                "fr": "Dernière date, incluse."},
                "schema": dict(schema), "minOccurs": 1, "maxOccurs": 1}}

DAY = {
    "title": {"en": "Date", "nl": "Datum", "fr": "Date"},
    "description": {"en": "The acquisition date.", "nl": "De opnamedatum.",
                    "fr": "La date d'acquisition."},
    "schema": {"type": "string", "pattern": DATE},
    "minOccurs": 1, "maxOccurs": 1}
