"""Cached tiles: MapProxy configured from the registry (WMTS, XYZ/TMS), kept fresh by ingest."""
