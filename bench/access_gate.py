"""What the access gate (services/users) adds to each request, in process: identify, policy,
quotas and usage recording around a werkzeug request, per way of authenticating, against the
same request without the gate (the baseline: building the Request and the Response, which the
gateway does anyway). Interleaved passes, medians; ratios within the run.

    .venv/bin/python -m bench.access_gate [--repeat N]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from services.settings import Access, Settings
from services.users.gate import AccessGate
from tests.oidc_issuer import AUDIENCE, Issuer

GETMAP = ("SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=CGS_S2_NDVI&STYLES=&CRS=EPSG:4326"
          "&BBOX=50.9,4.4,51.0,4.5&WIDTH=256&HEIGHT=256&FORMAT=image/png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args(argv)
    issuer = Issuer()
    root = Path(tempfile.mkdtemp(prefix="eoscope-bench-access-"))
    settings = Settings(var_dir=root, access=Access(
        policy="terrascope", oidc_issuer=issuer.url, oidc_audience=AUDIENCE))
    gate = AccessGate(settings)
    key = gate.store.add("alice", "VITO", country="BE", password="pw")
    token = issuer.token("alice", lifetime=3600)
    basic = "Basic " + base64.b64encode(b"alice:pw").decode()
    ways = {
        "baseline (no gate)": (GETMAP, {}, False),
        "anonymous view": (GETMAP, {}, True),
        "API key header": (GETMAP, {"X-API-Key": key}, True),
        "API key in the query": (f"{GETMAP}&apikey={key}", {}, True),
        "bearer token": (GETMAP, {"Authorization": f"Bearer {token}"}, True),
        "HTTP Basic (remembered)": (GETMAP, {"Authorization": basic}, True),
    }
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for round_ in range(args.repeat + 1):
        for name, (query, headers, gated) in ways.items():
            environ = EnvironBuilder(path="/wms", query_string=query, headers=headers,
                                     environ_base={"REMOTE_ADDR": "10.1.2.3"}).get_environ()
            start = time.perf_counter()
            request = Request(environ)
            _ = request.args   # parsed by the gateway anyway (and cached): not the gate's cost
            if gated:
                gate.admit("ows", request, {"service": "WMS"})
            response = Response(b"x" * 1000, content_type="image/png")
            if gated:
                gate.record(request, response)
            elapsed = time.perf_counter() - start
            if round_:
                samples[name].append(elapsed)
    gate.usage.flush()
    scrypt = []
    for _ in range(20):
        start = time.perf_counter()
        gate.store.by_password("alice", "pw")
        scrypt.append(time.perf_counter() - start)
    samples["HTTP Basic, first (scrypt)"] = scrypt
    base = statistics.median(samples["baseline (no gate)"])
    print(f"load average {os.getloadavg()[0]:.2f}; {args.repeat} passes")
    print(f"{'way':24} {'median µs':>10} {'p90 µs':>9} {'added µs':>9} {'ratio':>7}")
    for name, values in samples.items():
        values.sort()
        median, p90 = statistics.median(values), values[int(0.9 * (len(values) - 1))]
        print(f"{name:24} {median * 1e6:10.1f} {p90 * 1e6:9.1f} {(median - base) * 1e6:9.1f}"
              f" {median / base:7.2f}")
    issuer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
