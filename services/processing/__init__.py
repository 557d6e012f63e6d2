"""Processing: one set of processes (``wps_processes/``) served by OGC API - Processes
(pygeoapi, ``/ogcapi``) and WPS 1.0.0 (PyWPS, ``/wps``), run on Dask by a job runner outside
the web workers, with jobs in a durable store (see docs/processing.md).

catalog.py   the processes, loaded once, and their inputs checked against their JSON Schema
context.py   what a process sees (registry, index, limits, map/progress hooks)
store.py     the job store (SQLite, shared by every web worker and the runner)
service.py   submit, wait, read and dismiss jobs: what both bindings call
runner.py    the job runner process (``eoscope jobs``): Dask client, claims and runs jobs
ogcapi.py    pygeoapi: generated configuration, a manager and a processor over service.py
wps.py       PyWPS: generated configuration and processes derived from the same modules
"""
