"""eoscope: an OGC service suite for Earth-observation raster products."""
