"""OGC API - Processes at ``/ogcapi``: pygeoapi 0.21 is the protocol front; an eoscope manager
and processor hand every execution to the job store, so jobs run on the job runner (Dask), not
in a thread of the web worker as pygeoapi's own managers would.

pygeoapi reads ``PYGEOAPI_CONFIG``/``PYGEOAPI_OPENAPI`` when ``pygeoapi.flask_app`` is
imported, so :func:`mount` writes both (``config/generated/pygeoapi*.yaml``), sets the two
variables and only then imports it. Fixes on pygeoapi's answers, in :class:`OgcApiMount`:
1. links carry the request's own host (pygeoapi has one static ``server.url``);
2. exceptions become problem JSON (RFC 7807) with the OGC exception type URIs;
3. 429/503 carry ``Retry-After``;
4. ``GET /jobs/{unknown}`` answers 404 with code InvalidParameterValue: it is no-such-job;
   so does a job of another user (jobs belong to their submitter: :mod:`services.users`);
5. a client that does not ask for HTML (``Accept: */*``, as scripts send) gets JSON; pygeoapi
   would send job results as an HTML page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from copy import deepcopy
from pathlib import Path
from typing import Any

import yaml
from flask import request
from pygeoapi.process.base import BaseProcessor, JobNotFoundError, ProcessorExecuteError
from pygeoapi.process.manager.base import BaseManager
from pygeoapi.util import JobStatus, RequestedProcessExecutionMode

from services.atomic import write_validated
from services.catalogue.ogcapi_records import registry_at, remember_registry
from services.catalogue.ogcapi_records import resources as records_resources
from services.errors import OGCException, problem_type, status_for
from services.ows.ogcapi_maps import remember_ows
from services.ows.ogcapi_maps import resources as maps_resources
from services.ows.service import Renderer
from services.processing import catalog as catalog_module
from services.processing.service import ProcessingService
from services.processing.store import Job
from services.registry import Registry
from services.settings import Settings
from services.timeseries.ogcapi_edr import resources as edr_resources
from services.users import current

PLACEHOLDER = "http://eoscope.invalid"
# classes pygeoapi declares for what eoscope's providers do not do (records' q: free text)
NOT_IMPLEMENTED = ("http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/opensearch",)
MANAGER = "services.processing.ogcapi.EoscopeManager"
PROCESSOR = "services.processing.ogcapi.EoscopeProcessor"


class EoscopeError(ProcessorExecuteError):
    """An eoscope client error as pygeoapi raises it (its code and HTTP status)."""

    def __init__(self, error: OGCException):
        super().__init__(user_msg=error.message)
        self.ogc_exception_code = error.code
        self.http_status_code = error.http_status


class EoscopeProcessor(BaseProcessor):
    """A process of ``wps_processes`` as pygeoapi describes it; it never runs in pygeoapi."""

    def __init__(self, processor_def: dict):
        process = catalog_module.load().get(processor_def["process"])
        metadata = deepcopy(process.metadata)
        metadata["links"] = []
        super().__init__(processor_def, metadata)

    def execute(self, data: dict, outputs: dict | None = None) -> tuple[str, Any]:
        raise ProcessorExecuteError(user_msg="eoscope processes run on the job runner")


def _status_info(job: Job) -> dict:
    return {"type": "process", "identifier": job.id, "process_id": job.process,
            "status": job.status, "message": job.message, "progress": job.progress,
            "created": job.created, "started": job.started, "finished": job.finished,
            "updated": job.updated, "mimetype": job.mimetype or "application/json",
            "parameters": None}


class EoscopeManager(BaseManager):
    """pygeoapi's job manager interface over :class:`ProcessingService`."""

    def __init__(self, manager_def: dict):
        super().__init__(manager_def)
        self.is_async = True
        self._settings = manager_def["settings"]
        self._service: ProcessingService | None = None

    @property
    def service(self) -> ProcessingService:
        if self._service is None:
            self._service = ProcessingService.create(Settings(**self._settings))
        return self._service

    def get_jobs(self, status: JobStatus = None, limit: int | None = None,
                 offset: int | None = None) -> dict:
        total, jobs = self.service.jobs(current(), limit or 100, offset or 0)
        return {"jobs": [_status_info(j) for j in jobs], "numberMatched": total}

    def _job(self, job_id: str) -> Job:
        try:
            return self.service.job_for(job_id, current())
        except OGCException:
            raise JobNotFoundError() from None

    def get_job(self, job_id: str) -> dict:
        return _status_info(self._job(job_id))

    def get_job_result(self, job_id: str) -> tuple[str, Any]:
        job = self._job(job_id)
        return job.mimetype or "application/json", self.service.result(job)

    def delete_job(self, job_id: str) -> bool:
        try:
            return self.service.dismiss(job_id, current())
        except OGCException:
            raise JobNotFoundError() from None

    def execute_process(self, process_id: str, data_dict: dict, execution_mode=None,
                        requested_outputs: dict | None = None, subscriber=None,
                        requested_response: str | None = "raw"):
        try:
            job = self.service.submit(process_id, data_dict, current(),
                                      client=request.remote_addr)
            if execution_mode == RequestedProcessExecutionMode.respond_async:
                headers = {"Preference-Applied": "respond-async"}
                status = {"jobID": job.id, "processID": job.process, "type": "process",
                          "status": job.status, "message": job.message,
                          "progress": job.progress, "created": job.created}
                return job.id, "application/json", status, JobStatus.accepted, headers
            job = self.service.wait(job.id)
        except OGCException as error:
            raise EoscopeError(error) from None
        if job.status != "successful":
            code, _, message = job.message.partition(": ")
            raise EoscopeError(_failed(code if message else "NoApplicableCode",
                                       message or job.message))
        outputs = self.service.result(job)
        if requested_response == "document" and isinstance(outputs, dict | list):
            outputs = {"outputs": [outputs]}
        return job.id, job.mimetype, outputs, JobStatus.successful, None


def _failed(code: str, message: str) -> OGCException:
    error = OGCException(message)
    error.code = code
    return error


def config(settings: Settings, base_url: str) -> dict:
    """pygeoapi's configuration: the server, our manager, one resource per process, one
    records collection per registry collection (services/catalogue/ogcapi_records.py), and
    per layer an EDR collection (time series layers, services/timeseries/ogcapi_edr.py) with
    a map (WMS layers, services/ows/ogcapi_maps.py)."""
    processes = catalog_module.load().processes
    registry = registry_at(str(settings.layers_dir))
    return {
        "server": {"bind": {"host": "127.0.0.1", "port": 0}, "url": base_url,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["en-US", "nl-BE", "fr-BE"], "pretty_print": False,
                   "limits": {"default_items": 20, "max_items": 100},
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           "attribution": "OpenStreetMap"},
                   "manager": {"name": MANAGER, "connection": str(settings.jobs),
                               "output_dir": None,
                               "settings": json.loads(settings.model_dump_json())}},
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": f"{settings.service_title} processes",
                               "description": "OGC API - Processes over eoscope's processes",
                               "keywords": ["processes", "earth observation"],
                               "keywords_type": "theme", "terms_of_service": "",
                               "url": base_url},
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": settings.contact_organization, "url": base_url},
            "contact": {"name": settings.contact_person, "email": settings.contact_email,
                        "url": base_url, "role": "pointOfContact", "position": "",
                        "address": "", "city": "", "stateorprovince": "", "postalcode": "",
                        "country": "", "phone": "", "fax": "", "hours": "",
                        "instructions": ""}},
        "resources": {**{pid: {"type": "process",
                               "processor": {"name": PROCESSOR, "process": pid}}
                         for pid in processes},
                      **_merged(records_resources(registry, settings),
                                edr_resources(registry, settings),
                                maps_resources(registry, settings))},
    }


def _merged(*resources: dict) -> dict:
    """Resources of several kinds in one: a layer that is an EDR and a map collection is one
    collection with both providers."""
    merged: dict = {}
    for found in resources:
        for key, resource in found.items():
            if key in merged:
                merged[key] = {**merged[key], "providers": [*merged[key]["providers"],
                                                             *resource["providers"]]}
            else:
                merged[key] = resource
    return merged


def write_config(settings: Settings, base_url: str) -> tuple[Path, Path]:
    """Write pygeoapi's configuration and its OpenAPI document (unchanged files are kept)."""
    from pygeoapi.openapi import get_oas

    document = config(settings, base_url)
    text = ("# generated by eoscope (services/processing/ogcapi.py)\n" +
            yaml.safe_dump(document, sort_keys=True))
    config_path = settings.generated_dir / "pygeoapi.yaml"
    openapi_path = settings.generated_dir / "pygeoapi-openapi.yaml"
    if openapi_path.exists() and config_path.exists() and config_path.read_text() == text:
        return config_path, openapi_path  # a worker's restart: get_oas takes seconds
    openapi = yaml.safe_dump(json.loads(json.dumps(get_oas(document), default=str)),
                             sort_keys=True)
    openapi_path = write_validated(openapi_path, openapi)  # first: the config marks it done
    return write_validated(config_path, text), openapi_path


class OgcApiMount:
    """pygeoapi's Flask app under ``prefix``, with the fixes listed in the module docstring."""

    def __init__(self, settings: Settings, prefix: str = "/ogcapi",
                 registry: Registry | None = None, ows: Renderer | None = None):
        if registry is not None:
            remember_registry(str(settings.layers_dir), registry)
        if ows is not None:
            remember_ows(ows)
        self.prefix = prefix
        self.public = settings.public_url.rstrip("/") + prefix if settings.public_url else None
        self.base = self.public or PLACEHOLDER + prefix
        self.retry_after = str(settings.retry_after)
        config_path, openapi_path = write_config(settings, self.base)
        os.environ["PYGEOAPI_CONFIG"] = str(config_path)
        os.environ["PYGEOAPI_OPENAPI"] = str(openapi_path)
        from pygeoapi.flask_app import APP

        self.app = APP

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        environ = {**environ, "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + self.prefix,
                   "PATH_INFO": path[len(self.prefix):] or "/"}
        if "text/html" not in environ.get("HTTP_ACCEPT", "") and \
                not environ["PATH_INFO"].endswith("/map"):  # a map is an image
            environ["HTTP_ACCEPT"] = "application/json"
        base = self.public or (_host_url(environ) + self.prefix)
        captured: dict = {}

        def capture(status: str, headers: list, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        status, headers = captured["status"], captured["headers"]
        code = int(status.split()[0])
        media = next((v for k, v in headers if k.lower() == "content-type"), "")
        if environ["PATH_INFO"].rstrip("/") == "/conformance" and "json" in media:
            body = _conformance(body)
        if code >= 400:
            body = _problem(body if "json" in media else b"{}", code, environ["PATH_INFO"])
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", "application/problem+json"))
        if code in (429, 503):
            headers.append(("Retry-After", self.retry_after))
        if base != self.base:  # the placeholder's root: records link to /download too
            old, new = self.base.removesuffix(self.prefix), base.removesuffix(self.prefix)
            body = body.replace(old.encode(), new.encode())
            headers = [(k, v.replace(old, new)) for k, v in headers]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]


def _conformance(body: bytes) -> bytes:
    document = json.loads(body)
    document["conformsTo"] = [c for c in document.get("conformsTo", [])
                              if c not in NOT_IMPLEMENTED]
    return json.dumps(document).encode()


def _host_url(environ: dict) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{scheme}://{host}"


def _problem(body: bytes, status: int, path: str) -> bytes:
    """pygeoapi's ``{code, type, description}`` as problem JSON, the OGC type URI in ``type``."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if not isinstance(document, dict):
        return body
    code = document.get("code") or ("NoApplicableCode" if status >= 500 else "InvalidRequest")
    if status == 404 and path.startswith("/jobs/") and code == "InvalidParameterValue":
        code = "NoSuchJob"
    status = status or status_for(code)
    return json.dumps({"type": problem_type(code), "title": code, "status": status,
                       "detail": document.get("description") or "see the server log",
                       "code": code}).encode()
