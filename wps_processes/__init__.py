"""The processes eoscope runs: one self-describing module per process.

Each module holds ``PROCESS_METADATA`` (id, version, titles and descriptions in en/nl/fr,
inputs and outputs as JSON Schema with their limits, an example), ``plan(inputs, context)``
(checks the inputs against the registry and the index and bounds the work before it starts)
and ``run(plan, context)`` (the work, as tasks handed to ``context.map``; a JSON-ready result).
Both the OGC API - Processes binding (pygeoapi) and the WPS 1.0.0 binding (PyWPS) are derived
from these modules by :mod:`services.processing`; nothing is declared twice.

To add a process: write ``wps_processes/<name>.py`` and add its module name to ``MODULES``.
"""

from __future__ import annotations

MODULES: tuple[str, ...] = ("histogram", "zonal_statistics", "temporal_composite", "change",
                             "extract", "biophysical", "echo")
