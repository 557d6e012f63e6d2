"""The user store, hashed secrets, the service classes of the access policy, usage figures,
the Prometheus collector, the job store's owner migration and the users/usage CLI verbs."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.cli import main
from services.processing.store import JobStore
from services.settings import Access
from services.users import hashing
from services.users.metrics import UsageCollector
from services.users.policy import service_class
from services.users.principal import Principal, Quotas, may_see
from services.users.store import UserError, UserStore, today
from services.users.usage import Hit, UsageRecorder, summary


@pytest.fixture
def store(tmp_path) -> UserStore:
    return UserStore(tmp_path / "users.sqlite")


def test_secrets_are_stored_hashed(store, tmp_path):
    key = store.add("alice", "VITO", country="be", password="s3cret")
    raw = (tmp_path / "users.sqlite").read_bytes()
    assert key.encode() not in raw and b"s3cret" not in raw
    assert store.by_key(key).name == "alice" and store.by_key(key + "x") is None
    assert store.by_password("alice", "s3cret").country == "BE"
    assert store.by_password("alice", "wrong") is None
    assert store.by_password("nobody", "s3cret") is None
    assert hashing.check_password("x", "garbage") is False


def test_rotation_disable_and_operator_errors(store):
    old = store.add("bob")
    new = store.rotate_key("bob")
    assert store.by_key(old) is None and store.by_key(new).name == "bob"
    store.set_disabled("bob")
    assert store.get("bob").disabled
    with pytest.raises(UserError, match="exists already"):
        store.add("bob")
    with pytest.raises(UserError, match="no user carol"):
        store.rotate_key("carol")
    with pytest.raises(UserError, match="letters, digits"):
        store.add("no spaces")


def test_own_quotas_override_the_defaults(store):
    store.add("carol")
    store.set_quotas("carol", products=3, jobs=0)
    quotas = store.get("carol").effective_quotas(Quotas(10, 1000, 2, 60))
    assert quotas == Quotas(products_per_day=3, bytes_per_day=1000, jobs=0,
                            requests_per_minute=60)
    store.set_quotas("carol", products=-1)
    assert store.get("carol").effective_quotas(Quotas(10)).products_per_day == 10


def test_policy_switch():
    assert not Access().required("data") and not Access().required("view")
    terrascope = Access(policy="terrascope")
    assert terrascope.required("data") and not terrascope.required("view")
    assert Access(policy="terrascope", view="authenticated").required("view")
    assert not Access(policy="terrascope", data="open").required("data")


def _request(path: str, method: str = "GET") -> Request:
    return Request(EnvironBuilder(path=path, method=method).get_environ())


@pytest.mark.parametrize("endpoint,values,path,method,expected", [
    ("download", {}, "/download/a.tif", "GET", "data"),
    ("ows", {"service": "WMS"}, "/wms?REQUEST=GetMap", "GET", "view"),
    ("ows", {"service": "WCS"}, "/wcs?REQUEST=GetCapabilities", "GET", "view"),
    ("ows", {"service": "WCS"}, "/wcs?request=getcoverage&coverageid=x", "GET", "data"),
    ("ows", {"service": "WCS"}, "/wcs?REQUEST=GetCoverage&SCALESIZE=x(64),y(64)", "GET",
     "view"),
    ("ows", {"service": "WCS"}, "/wcs?REQUEST=GetCoverage&SCALESIZE=x(2000),y(2000)", "GET",
     "data"),
    ("ows", {"service": "WCS"}, "/wcs?REQUEST=GetCoverage&WIDTH=100&HEIGHT=100", "GET",
     "view"),
    ("ows", {"service": "WCS"}, "/wcs?REQUEST=GetCoverage&WIDTH=nan&HEIGHT=1", "GET", "data"),
    ("ows", {"service": "WMS"}, "/ows?service=wcs&REQUEST=GetCoverage", "GET", "data"),
    ("ogcapi", {"rest": "processes"}, "/ogcapi/processes", "GET", "view"),
    ("ogcapi", {"rest": "processes/echo/execution"}, "/ogcapi/processes/echo/execution",
     "POST", "data"),
    ("ogcapi", {"rest": "jobs/x"}, "/ogcapi/jobs/x", "GET", "data"),
    ("wps", {}, "/wps?service=WPS&request=GetCapabilities", "GET", "view"),
    ("wps", {}, "/wps?service=WPS&request=Execute", "GET", "data"),
    ("wps", {}, "/wps", "POST", "data"),
    ("wps_output", {"name": "a.xml"}, "/wps/outputs/a.xml", "GET", "data"),
    ("stac", {}, "/stac/search", "POST", "view"),
    ("health", {}, "/healthz", "GET", None),
])
def test_service_classes(endpoint, values, path, method, expected):
    assert service_class(endpoint, values, _request(path, method), 1_000_000) == expected


def test_job_visibility():
    alice, root = Principal("alice"), Principal("root", admin=True)
    assert may_see(None, None) and may_see(alice, None)
    assert may_see(alice, "alice") and not may_see(Principal("bob"), "alice")
    assert may_see(root, "alice") and not may_see(None, "alice")


def test_usage_figures_and_anonymous_viewers(store):
    usage = UsageRecorder(store, flush_seconds=3600)
    usage.record(Hit("download", "alice", "VITO", "BE", 1000, 1))   # flushed at once
    assert store.downloads_today("alice") == (1, 1000)
    usage.record(Hit("wms", "bob", "ESA", "IT", 50))
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.1"):
        usage.record(Hit("wms", viewer=address))
    usage.flush()
    figures = summary(store, today())
    assert figures == {"active_users": 2, "organisations": 2, "countries": 2, "requests": 5,
                       "bytes": 1050, "products": 1, "anonymous_viewers": 2}
    with closing(sqlite3.connect(store.path)) as db:
        viewers = [v for (v,) in db.execute("SELECT viewer FROM viewers")]
    assert len(viewers) == 2 and not any("10.0.0" in v for v in viewers)


def test_collector_exposes_usage(store):
    UsageRecorder(store).record(Hit("download", "alice", "VITO", "BE", 1000, 1))
    registry = CollectorRegistry()
    registry.register(UsageCollector(store))
    text = generate_latest(registry).decode()
    assert 'eoscope_usage_bytes_total{service="download"} 1000.0' in text
    assert 'eoscope_usage_products_total{service="download"} 1.0' in text
    assert "eoscope_users_active_today 1.0" in text


def test_rate_counter_is_per_minute(store):
    assert [store.count_request("dave", 100) for _ in range(3)] == [1, 2, 3]
    assert store.count_request("dave", 101) == 1


def test_job_store_from_before_ownership_is_migrated(tmp_path):
    path = tmp_path / "jobs.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.executescript(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, process TEXT NOT NULL, status TEXT NOT"
            " NULL, inputs TEXT NOT NULL, created TEXT NOT NULL, started TEXT, finished TEXT,"
            " updated TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0, message TEXT NOT"
            " NULL DEFAULT '', mimetype TEXT, result BLOB);"
            "INSERT INTO jobs (id, process, status, inputs, created, updated) VALUES"
            " ('old', 'echo', 'successful', '{}', '2026-01-01', '2026-01-01');")
    store = JobStore(path)
    assert store.get("old").owner is None
    mine = store.create("echo", {}, max_queued=5, owner="alice", owner_limit=1)
    assert store.get(mine.id).owner == "alice"
    assert {j.id for j in store.list(everyone=False, owner="bob")[1]} == {"old"}
    assert {j.id for j in store.list(everyone=False, owner="alice")[1]} == {"old", mine.id}


def test_cli_users_and_usage(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EOSCOPE_VAR_DIR", str(tmp_path))
    assert main(["users", "add", "alice", "--organisation", "VITO", "--country", "BE",
                 "--products-per-day", "5"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("eos_")
    assert main(["users", "add", "alice"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["users", "disable", "nobody"]) == 2
    assert "no user nobody" in capsys.readouterr().err
    assert main(["users", "rotate-key", "alice"]) == 0
    assert capsys.readouterr().out.strip() != key
    assert main(["users", "disable", "alice"]) == 0
    assert main(["users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "alice" in listing and "VITO" in listing and "disabled" in listing
    assert main(["usage", "--since", "2026-01-01"]) == 0
    assert "active users" in capsys.readouterr().out


def test_demo_usage_reports_the_seeds_figures(store):
    from services.users import demo

    demo.fill(store, 2025)
    figures = summary(store, "2025-01-01", "2025-12-31")
    assert {k: figures[k] for k in demo.SEED_FIGURES} == demo.SEED_FIGURES


def test_daily_compute_quota(tmp_path):
    from datetime import UTC, datetime, timedelta

    from services.processing.store import OwnerBusy

    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.create("echo", {}, max_queued=5, owner="erin")
    started = (datetime.now(UTC) - timedelta(seconds=100)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with closing(sqlite3.connect(store.path)) as db, db:
        db.execute("UPDATE jobs SET status = 'successful', started = ?, finished = ? WHERE"
                   " id = ?", (started, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                                job.id))
    assert store.create("echo", {}, max_queued=5, owner="erin", owner_seconds=200)
    with pytest.raises(OwnerBusy, match=r"daily compute quota: the jobs of user erin ran 10\d s"):
        store.create("echo", {}, max_queued=5, owner="erin", owner_seconds=50)
    assert store.create("echo", {}, max_queued=5, owner="frank", owner_seconds=50)


def test_unreachable_provider_is_503_where_tokens_are_needed(store, caplog):
    from services.errors import ServiceUnavailable
    from services.users.identify import Authenticator
    from tests.oidc_issuer import Issuer

    issuer = Issuer()
    token = issuer.token("alice")
    issuer.close()   # the provider goes away before eoscope starts
    authenticator = Authenticator(Access(oidc_issuer=issuer.url, oidc_audience="eoscope"),
                                  store)
    assert "keys not fetched at start" in caplog.text
    request = Request(EnvironBuilder(path="/download/a.tif",
                                     headers={"Authorization": f"Bearer {token}"}).get_environ())
    with pytest.raises(ServiceUnavailable, match="identity provider cannot be reached"):
        authenticator.identify(request)


def test_registry_without_restricted_collections():
    from services.registry import load
    from services.settings import PROJECT_ROOT

    registry = load(PROJECT_ROOT / "layers")
    public = registry.without(["PROBAV_L3_S10_TOC_333M", "NOT_A_COLLECTION"])
    assert "PROBAV_L3_S10_TOC_333M" not in public.collections
    assert len(public.collections) == len(registry.collections) - 1
    assert all(c.id != "PROBAV_L3_S10_TOC_333M" for c, _ in public.layers.values())
    assert registry.without([]) is registry and registry.without(["NOPE"]) is registry
