"""MapServer: mapfile generation and the mapscript WSGI adapter (WMS, WCS)."""
