"""WPS 1.0.0 at ``/wps``: PyWPS 4.8 processes derived from the ``wps_processes`` modules.

Each PyWPS handler only relays: it submits the job to the job store, waits for the job runner
and copies progress into the WPS status; the work runs on Dask in the runner. Inputs: a
string, integer or number schema is a LiteralData input, anything else (arrays such as the
bbox, objects) ComplexData in ``application/json``; the output is ComplexData JSON (also as
``RawDataOutput``). Asynchronous requests (``storeExecuteResponse=true&status=true``) run the
relay detached from the web worker (``processing.mode = detachprocessing``), so a killed
worker leaves both the job and its status document going. Status and output documents are
served at ``/wps/outputs/<name>``. Links carry the request's host, as in :mod:`.ogcapi`.
A job and its status document belong to the user who submitted it (:mod:`services.users`):
others get 404 on the document.
"""

from __future__ import annotations

import json
import re
import string
import time
from pathlib import Path

from pywps import ComplexInput, ComplexOutput, Format, LiteralInput, Process, Service
from pywps.app.exceptions import ProcessError
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

from services.errors import OGCException
from services.processing.catalog import Process as EoProcess
from services.processing.service import ProcessingService, pause
from services.settings import Settings
from services.users import current
from services.users.principal import may_see

PLACEHOLDER = "http://eoscope.invalid"
JSON = Format("application/json", extension=".json")
LITERALS = {"string": "string", "integer": "integer", "number": "float"}
MESSAGE_CHARS = string.ascii_letters + string.digits + " .:!?=,;-_/'()[]<>+*"
SAFE_NAME = re.compile(r"^[\w.-]+$")
STATUS_LOCATION = re.compile(rb'statusLocation="[^"]*/outputs/([\w.-]+)"')


def _inputs(process: EoProcess) -> list:
    inputs = []
    for name, spec in process.metadata["inputs"].items():
        common = {"identifier": name, "title": spec["title"]["en"],
                  "abstract": spec["description"]["en"],
                  "min_occurs": spec.get("minOccurs", 1), "max_occurs": 1}
        kind = spec["schema"].get("type")
        if kind in LITERALS:
            inputs.append(LiteralInput(data_type=LITERALS[kind], **common))
        else:
            inputs.append(ComplexInput(supported_formats=[JSON], **common))
    return inputs


def _format(spec: dict) -> Format:
    """JSON, or a binary media type (a COG) sent base64-encoded inside the XML."""
    media = spec["schema"].get("contentMediaType", "application/json")
    if media == "application/json":
        return JSON
    return Format(media.split(";")[0], extension=".tif", encoding="base64")


def _outputs(process: EoProcess) -> list:
    return [ComplexOutput(name, spec["title"]["en"], abstract=spec["description"]["en"],
                          supported_formats=[_format(spec)], as_reference=False)
            for name, spec in process.metadata["outputs"].items()]


def _values(process: EoProcess, request) -> dict:
    values = {}
    for name, spec in process.metadata["inputs"].items():
        if name not in request.inputs:
            continue
        data = request.inputs[name][0].data
        if spec["schema"].get("type") not in LITERALS:
            try:
                data = json.loads(data)
            except (TypeError, ValueError):
                raise _error(f"InvalidParameterValue: input '{name}' is not JSON") from None
        values[name] = data
    return values


def _error(message: str) -> ProcessError:
    return ProcessError(message, max_length=300, allowed_chars=MESSAGE_CHARS)


def _client(request) -> str | None:
    """The client's address (kept in a detached execution, which is a fork of the worker)."""
    http = getattr(request, "http_request", None)
    return getattr(http, "remote_addr", None)


def relay(process: EoProcess, service: ProcessingService):
    """The PyWPS handler of ``process``: submit, wait, copy progress, return the JSON."""
    output = next(iter(process.metadata["outputs"]))

    def handler(request, response):
        try:
            job = service.submit(process.id, _values(process, request), current(),
                                 client=_client(request))
        except OGCException as error:
            raise _error(f"{error.code}: {error.message}") from None
        reported, started = -1, time.monotonic()
        while not job.done:
            if job.progress != reported:
                response.update_status(job.message or "running", job.progress)
                reported = job.progress
            time.sleep(pause(time.monotonic() - started))
            job = service.job(job.id)
        if job.status != "successful":
            raise _error(job.message)
        binary = job.mimetype != "application/json"
        response.outputs[output].data = job.result if binary else job.result.decode()
        return response

    return handler


def pywps_process(process: EoProcess, service: ProcessingService) -> Process:
    return Process(relay(process, service), identifier=process.id,
                   title=process.text("title"), abstract=process.text("description"),
                   keywords=process.metadata.get("keywords", []),
                   inputs=_inputs(process), outputs=_outputs(process),
                   version=process.metadata["version"], store_supported=True,
                   status_supported=True)


def write_config(settings: Settings, base: str) -> Path:
    var = settings.var_dir / "wps"
    for folder in ("outputs", "work"):
        (var / folder).mkdir(parents=True, exist_ok=True)
    limits = settings.limits
    text = f"""# generated by eoscope (services/processing/wps.py)
[server]
url = {base}
outputurl = {base}/outputs
outputpath = {var / 'outputs'}
workdir = {var / 'work'}
maxsingleinputsize = 1mb
maxrequestsize = 1mb
parallelprocesses = {limits.max_jobs_queued}
maxprocesses = {limits.max_jobs_queued}
cleantempdir = true

[processing]
mode = detachprocessing

[logging]
level = WARNING
database = sqlite:///{var / 'pywps-status.sqlite'}

[metadata:main]
identification_title = {settings.service_title} WPS
identification_abstract = eoscope's processes (histogram and more) over WPS 1.0.0
provider_name = {settings.contact_organization}
contact_name = {settings.contact_person}
contact_email = {settings.contact_email}
"""
    from services.atomic import write_validated

    return write_validated(settings.generated_dir / "pywps.cfg", text)


class WpsMount:
    def __init__(self, settings: Settings, service: ProcessingService, prefix: str = "/wps"):
        self.public = settings.public_url.rstrip("/") + prefix if settings.public_url else None
        self.base = self.public or PLACEHOLDER + prefix
        self.outputs = settings.var_dir / "wps" / "outputs"
        self.jobs = service.store
        config = write_config(settings, self.base)
        processes = [pywps_process(p, service) for p in service.catalog.processes.values()]
        self.service = Service(processes, [str(config)])

    def _rebase(self, request: Request, body: bytes) -> bytes:
        base = self.public or request.host_url.rstrip("/") + "/wps"
        return body if base == self.base else body.replace(self.base.encode(), base.encode())

    def __call__(self, request: Request) -> WsgiResponse:
        answer = WsgiResponse.from_app(self.service, request.environ)
        body = answer.get_data()
        owner = current()
        found = STATUS_LOCATION.search(body) if owner is not None else None
        if found:
            self.jobs.own_output(found.group(1).decode(), owner.name)
        answer.set_data(self._rebase(request, body))
        return answer

    def output(self, request: Request, name: str) -> WsgiResponse:
        path = self.outputs / name
        if not SAFE_NAME.match(name) or not path.is_file() or \
                not may_see(current(), self.jobs.output_owner(name)):
            return WsgiResponse("no such output", status=404, content_type="text/plain")
        media = "text/xml" if name.endswith(".xml") else "application/json"
        return WsgiResponse(self._rebase(request, path.read_bytes()), content_type=media)
