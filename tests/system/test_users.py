"""Users and access under the Terrascope policy (viewing open, data for registered users), on
a gateway of its own and a local OpenID Connect provider (tests/oidc_issuer.py): the token
matrix, API keys (header and query, also through GDAL), HTTP Basic, disabled users, job
ownership on /ogcapi and /wps, quotas (429 + Retry-After), usage statistics, and
terracatalogueclient's authenticated download. Its job runner is external: jobs stay
accepted (a heartbeat written here makes the gateway take them), which is all ownership and
the job quota need."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import jwt
import pytest
import rasterio
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from terracatalogueclient import Catalogue
from terracatalogueclient.config import CatalogueConfig

from services.processing.store import JobStore
from services.users.store import UserStore
from tests.conftest import start_gateway, stop_gateway
from tests.oidc_issuer import AUDIENCE, Issuer

TOC = "urn:eop:VITO:TERRASCOPE_S2_TOC_V2"
COVERAGE = "CGS_S2_NDVI"
OWS = "http://www.opengis.net/ows/2.0"
OWS11 = "http://www.opengis.net/ows/1.1"
ECHO = {"inputs": {"message": "hi"}}
RESTRICTED = "PROBAV_L3_S10_TOC_333M"
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(scope="module")
def issuer():
    provider = Issuer(passwords={"tcc": "tcc-secret"})
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def site(tiny_archive, tmp_path_factory, issuer):
    settings, env = tiny_archive
    root = tmp_path_factory.mktemp("users")
    generated = root / "generated"   # its own pygeoapi/PyWPS configuration and job store
    shutil.copytree(settings.generated_dir, generated)
    (root / "var").mkdir()
    env = {**env, "EOSCOPE_VAR_DIR": str(root / "var"), "EOSCOPE_GENERATED_DIR": str(generated),
           "EOSCOPE_INDEX_PATH": str(settings.index), "EOSCOPE_JOBS_RUNNER": "external",
           "EOSCOPE_ACCESS_POLICY": "terrascope", "EOSCOPE_ACCESS_OIDC_ISSUER": issuer.url,
           "EOSCOPE_ACCESS_OIDC_AUDIENCE": AUDIENCE, "EOSCOPE_ACCESS_OIDC_LEEWAY": "30",
           "EOSCOPE_ACCESS_OIDC_JWKS_COOLDOWN": "0", "EOSCOPE_ACCESS_USAGE_FLUSH_SECONDS": "0",
           "EOSCOPE_ACCESS_RESTRICTED_COLLECTIONS": f'["{RESTRICTED}"]'}
    users = UserStore(root / "var" / "users.sqlite")
    keys = {name: users.add(name, organisation, country=country, admin=name == "root",
                            password=f"{name}-pw")
            for name, organisation, country in (
                ("alice", "VITO", "BE"), ("bob", "ESA", "IT"), ("root", "eoscope", "BE"),
                ("carol", "KU Leuven", "BE"), ("dave", "DLR", "DE"), ("erin", "CNES", "FR"),
                ("frank", "VITO", "BE"))}
    users.set_quotas("carol", products=1)
    users.set_quotas("dave", rate=3)
    users.set_quotas("erin", jobs=1)
    users.set_disabled("frank")
    jobs = JobStore(root / "var" / "jobs.sqlite")
    process, url = start_gateway(env, workers=1)
    try:
        yield {"url": url, "keys": keys, "env": env, "jobs": jobs, "users": users}
    finally:
        for job in jobs.list(everyone=True)[1]:   # ends the WPS relays waiting for them
            jobs.dismiss(job.id)
        stop_gateway(process)


def key(site, name: str) -> dict:
    return {"X-API-Key": site["keys"][name]}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def data_link(site) -> str:
    document = requests.get(f"{site['url']}/catalogue/products",
                            params={"collection": TOC, "count": 1}, timeout=30).json()
    return document["features"][0]["properties"]["links"]["data"][0]["href"]


def assert_refused(response: requests.Response, status: int = 401) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    if status == 401:
        challenges = response.headers["WWW-Authenticate"]
        assert 'Bearer realm="eoscope"' in challenges and 'Basic realm="eoscope"' in challenges
    return problem


# -- anonymous viewing is as open as before ------------------------------------------------

@pytest.mark.parametrize("path", [
    "/wms?SERVICE=WMS&REQUEST=GetCapabilities",
    "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
    "/wcs?SERVICE=WCS&REQUEST=GetCapabilities&VERSION=2.0.1",
    f"/wcs?SERVICE=WCS&VERSION=2.0.1&REQUEST=DescribeCoverage&COVERAGEID={COVERAGE}",
    f"/catalogue/products?collection={TOC}&count=1",
    "/stac/collections", "/csw?service=CSW&request=GetCapabilities", "/viewer/",
    "/ogcapi/processes", "/wps?service=WPS&request=GetCapabilities", "/healthz"])
def test_anonymous_viewing_stays_open(site, path):
    response = requests.get(site["url"] + path, timeout=60)
    assert response.status_code == 200, response.text[:300]


def test_bad_credentials_on_an_open_service_are_no_credentials(site, issuer):
    url = f"{site['url']}/stac/collections"
    for headers in ({"X-API-Key": "eos_wrong"}, bearer(issuer.token(lifetime=-300)),
                    basic("bob", "nope"), key(site, "frank")):
        assert requests.get(url, headers=headers, timeout=30).status_code == 200


def test_anonymous_map_and_small_coverage(site):
    wms = requests.get(f"{site['url']}/wms", params={
        "SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": COVERAGE,
        "STYLES": "", "CRS": "EPSG:4326", "BBOX": "50.9,4.4,51.0,4.5", "WIDTH": 64,
        "HEIGHT": 64, "FORMAT": "image/png"}, timeout=60)
    assert wms.status_code == 200 and wms.headers["Content-Type"] == "image/png"
    preview = requests.get(f"{site['url']}/wcs", params=[
        ("SERVICE", "WCS"), ("VERSION", "2.0.1"), ("REQUEST", "GetCoverage"),
        ("COVERAGEID", COVERAGE), ("FORMAT", "image/tiff"),
        ("SCALESIZE", "x(64),y(64)")], timeout=60)
    assert preview.status_code == 200, preview.text[:300]
    assert preview.headers["Content-Type"].startswith("image/tiff")


def test_restricted_collections_are_hidden_from_anonymous_users(site):
    def get(path: str, who: str | None = None, **params) -> requests.Response:
        return requests.get(site["url"] + path, params=params, timeout=30,
                            headers=key(site, who) if who else {})

    assert RESTRICTED not in get("/stac/collections").text
    assert RESTRICTED in get("/stac/collections", "alice").text
    assert get(f"/stac/collections/{RESTRICTED}").status_code == 404
    assert get(f"/stac/collections/{RESTRICTED}", "alice").status_code == 200
    assert RESTRICTED not in get("/catalogue/collections").text
    assert RESTRICTED in get("/catalogue/collections", "alice").text
    products = "/catalogue/products"
    assert get(products, collection=f"urn:eop:VITO:{RESTRICTED}").status_code == 400
    assert get(products, "alice", collection=f"urn:eop:VITO:{RESTRICTED}").status_code == 200
    assert "TERRASCOPE_S2_TOC_V2" in get("/stac/collections").text   # the others stay


# -- data needs credentials -----------------------------------------------------------------

def test_download_without_credentials_is_401_with_both_challenges(site):
    problem = assert_refused(requests.get(data_link(site), timeout=30))
    assert "token" in problem["detail"] and "key" in problem["detail"]


def test_full_resolution_coverage_is_an_ows_exception_report(site):
    response = requests.get(f"{site['url']}/wcs", params={
        "SERVICE": "WCS", "VERSION": "2.0.1", "REQUEST": "GetCoverage",
        "COVERAGEID": COVERAGE, "FORMAT": "image/tiff"}, timeout=60)
    assert response.status_code == 401
    assert "Basic" in response.headers["WWW-Authenticate"]
    report = etree.fromstring(response.content)
    assert report.tag == f"{{{OWS}}}ExceptionReport"
    assert report[0].get("exceptionCode") == "NoApplicableCode"
    disabled = requests.get(response.url, headers=key(site, "frank"), timeout=60)
    assert disabled.status_code == 403
    assert etree.fromstring(disabled.content).tag == f"{{{OWS}}}ExceptionReport"
    with_password = requests.get(response.url, headers=basic("bob", "bob-pw"), timeout=60)
    assert with_password.status_code == 200
    assert with_password.headers["Content-Type"].startswith("image/tiff")


def test_wps_execute_without_credentials_is_an_ows_11_report(site):
    response = requests.get(f"{site['url']}/wps", params={
        "service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "echo",
        "DataInputs": "message=hi"}, timeout=30)
    assert response.status_code == 401
    assert etree.fromstring(response.content).tag == f"{{{OWS11}}}ExceptionReport"


# -- bearer tokens --------------------------------------------------------------------------

def _hs256_with_public_key(issuer: Issuer) -> str:
    """The classic confusion attack: HMAC keyed with the published public key."""
    public = issuer.jwks()["keys"][0]
    return jwt.api_jws.PyJWS().encode(
        json.dumps({"iss": issuer.url, "aud": AUDIENCE, "preferred_username": "alice",
                    "exp": int(time.time()) + 300}).encode(), key=public["n"].encode(),
        algorithm="HS256", headers={"kid": issuer.kid})


def _none(issuer: Issuer) -> str:
    def part(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()
    return ".".join([part({"alg": "none", "typ": "JWT"}), part(
        {"iss": issuer.url, "aud": AUDIENCE, "preferred_username": "alice",
         "exp": int(time.time()) + 300}), ""])


def _tampered(issuer: Issuer) -> str:
    header, payload, signature = issuer.token("bob").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["preferred_username"] = "root"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, forged, signature])


TOKENS = {
    "expired": (lambda i: i.token(lifetime=-300), "expired"),
    "wrong audience": (lambda i: i.token(audience="someone-else"), "not for this service"),
    "wrong issuer": (lambda i: i.token(issuer="https://evil.example.org/realms/eo"),
                     "not issued by"),
    "tampered": (_tampered, "does not hold"),
    "alg none": (_none, "not accepted"),
    "HS256 with the public key": (_hs256_with_public_key, "not accepted"),
    "unknown key": (lambda i: i.token(key=rsa.generate_private_key(65537, 2048),
                                      kid="key-unknown"), "not signed by a key"),
    "not a JWT": (lambda i: "abc.def", "not a JWT"),
}


@pytest.mark.parametrize("case", TOKENS)
def test_tokens_that_do_not_hold_are_401(site, issuer, case):
    make, why = TOKENS[case]
    response = requests.get(data_link(site), headers=bearer(make(issuer)), timeout=30)
    problem = assert_refused(response)
    assert why in problem["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_valid_token_downloads(site, issuer):
    response = requests.get(data_link(site), headers=bearer(issuer.token("alice")), timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/tiff"


def test_token_of_a_user_not_in_the_store(site, issuer):
    token = issuer.token("grace", organisation="Wageningen", country="nl")
    assert requests.get(data_link(site), headers=bearer(token), timeout=30).status_code == 200


def test_clock_skew_within_the_leeway_is_accepted(site, issuer):
    token = issuer.token("alice", lifetime=-10)   # expired 10 s ago, leeway 30 s
    assert requests.get(data_link(site), headers=bearer(token), timeout=30).status_code == 200


def test_rotated_key_is_fetched_on_its_first_token(site, issuer):
    fetched = issuer.jwks_fetches
    issuer.rotate()
    response = requests.get(data_link(site), headers=bearer(issuer.token("alice")), timeout=30)
    assert response.status_code == 200
    assert issuer.jwks_fetches == fetched + 1


# -- API keys and Basic ---------------------------------------------------------------------

def test_api_key_in_a_header_and_in_the_query(site):
    href = data_link(site)
    assert requests.get(href, headers=key(site, "alice"), timeout=30).status_code == 200
    assert requests.get(href, params={"apikey": site["keys"]["alice"]},
                        timeout=30).status_code == 200
    problem = assert_refused(requests.get(href, params={"apikey": "eos_wrong"}, timeout=30))
    assert "API key is not known" in problem["detail"]


def test_the_query_key_never_reaches_a_service(site):
    secret = site["keys"]["alice"]
    response = requests.get(f"{site['url']}/catalogue/products", params={
        "collection": TOC, "count": 1, "apikey": secret}, timeout=30)
    assert response.status_code == 200
    assert "next" in response.text or "self" in response.text   # links echo the query
    assert secret not in response.text and "apikey" not in response.text


def test_basic_and_a_disabled_user(site):
    href = data_link(site)
    assert requests.get(href, headers=basic("bob", "bob-pw"), timeout=30).status_code == 200
    assert "wrong password" in assert_refused(
        requests.get(href, headers=basic("bob", "nope"), timeout=30))["detail"]
    assert_refused(requests.get(href, headers=basic("nobody", "x"), timeout=30))
    disabled = assert_refused(requests.get(href, headers=key(site, "frank"), timeout=30), 403)
    assert "disabled" in disabled["detail"]


def test_gdal_reads_a_coverage_and_a_file_with_an_api_key(site):
    secret = site["keys"]["alice"]
    url = (f"{site['url']}/wcs?SERVICE=WCS&VERSION=2.0.1&REQUEST=GetCoverage&COVERAGEID="
           f"{COVERAGE}&FORMAT=image/tiff&apikey={secret}")
    quiet = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}   # no side-car probes
    with rasterio.Env(**quiet), \
            rasterio.open(f"/vsicurl?url={requests.utils.quote(url, safe='')}") as coverage:
        assert coverage.read(1).size > 0
    href = data_link(site)
    with rasterio.Env(GDAL_HTTP_HEADERS=f"X-API-Key: {secret}", **quiet), \
            rasterio.open(f"/vsicurl/{href}") as file:
        assert file.read(1, window=((0, 4), (0, 4))).shape == (4, 4)
    with rasterio.Env(**quiet), pytest.raises(rasterio.RasterioIOError), \
            rasterio.open(f"/vsicurl/{href}?uncached=1"):
        pass   # without the key: 401


# -- job ownership --------------------------------------------------------------------------

def submit(site, who: str) -> requests.Response:
    return requests.post(f"{site['url']}/ogcapi/processes/echo/execution", json=ECHO,
                         headers={**ASYNC, **key(site, who)}, timeout=30)


def test_jobs_belong_to_their_submitter(site):
    site["jobs"].beat(pid=os.getpid())   # a runner is alive (but takes no job)
    assert_refused(requests.post(f"{site['url']}/ogcapi/processes/echo/execution", json=ECHO,
                                 headers=ASYNC, timeout=30))
    created = submit(site, "alice")
    assert created.status_code == 201, created.text
    job = f"{site['url']}/ogcapi/jobs/{created.json()['jobID']}"
    assert requests.get(job, headers=key(site, "alice"), timeout=30).status_code == 200
    assert requests.get(job, headers=key(site, "root"), timeout=30).status_code == 200
    other = requests.get(job, headers=key(site, "bob"), timeout=30)
    assert other.status_code == 404 and other.json()["code"] == "NoSuchJob"
    assert requests.delete(job, headers=key(site, "bob"), timeout=30).status_code == 404

    def listed(who: str) -> set[str]:
        answer = requests.get(f"{site['url']}/ogcapi/jobs", headers=key(site, who), timeout=30)
        assert answer.status_code == 200, answer.text
        return {j["jobID"] for j in answer.json()["jobs"]}

    job_id = created.json()["jobID"]
    assert job_id in listed("alice") and job_id in listed("root")
    assert job_id not in listed("bob")
    assert site["jobs"].get(job_id).owner == "alice"
    assert requests.delete(job, headers=key(site, "alice"), timeout=30).status_code == 200


def owned(site, who: str) -> list:
    return [j for j in site["jobs"].list(everyone=True)[1] if j.owner == who]


def test_wps_status_documents_belong_to_their_submitter(site):
    site["jobs"].beat(pid=os.getpid())
    before = len(owned(site, "alice"))
    response = requests.get(f"{site['url']}/wps", params={
        "service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "echo",
        "DataInputs": "message=hi", "storeExecuteResponse": "true", "status": "true"},
        headers=key(site, "alice"), timeout=30)
    assert response.status_code == 200, response.text
    location = etree.fromstring(response.content).get("statusLocation")
    status = urlparse(location).path
    assert requests.get(site["url"] + status, headers=key(site, "alice"),
                        timeout=30).status_code == 200
    assert requests.get(site["url"] + status, headers=key(site, "root"),
                        timeout=30).status_code == 200
    assert requests.get(site["url"] + status, headers=key(site, "bob"),
                        timeout=30).status_code == 404
    deadline = time.monotonic() + 20   # the detached relay submits the job as alice
    while len(owned(site, "alice")) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(owned(site, "alice")) == before + 1
    anonymous = requests.get(site["url"] + status, timeout=30)
    assert anonymous.status_code == 401
    assert etree.fromstring(anonymous.content).tag == f"{{{OWS11}}}ExceptionReport"


# -- quotas ---------------------------------------------------------------------------------

def test_daily_product_quota(site):
    href = data_link(site)
    assert requests.get(href, headers=key(site, "carol"), timeout=30).status_code == 200
    over = requests.get(href, headers=key(site, "carol"), timeout=30)
    assert over.status_code == 429
    assert 0 < int(over.headers["Retry-After"]) <= 86_401
    assert "daily download quota: 1 products a day" in over.json()["detail"]


def test_request_rate_quota(site):
    url = f"{site['url']}/stac/collections"
    answers = [requests.get(url, headers=key(site, "dave"), timeout=30) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert "request rate quota: 3 requests a minute" in answers[-1].json()["detail"]


def test_job_concurrency_quota(site):
    site["jobs"].beat(pid=os.getpid())
    assert submit(site, "erin").status_code == 201
    over = submit(site, "erin")
    assert over.status_code == 429 and "Retry-After" in over.headers
    assert "job concurrency quota" in over.json()["detail"]


# -- terracatalogueclient, usage ------------------------------------------------------------

def test_terracatalogueclient_authenticated_download(site, issuer, tmp_path):
    ini = tmp_path / "eoscope.ini"
    ini.write_text(f"[Catalogue]\nURL = {site['url']}/catalogue/\n\n[Auth]\nClientId = "
                   f"{AUDIENCE}\nClientSecret = \nTokenEndpoint = {issuer.url}/token\n"
                   "AuthorizationEndpoint = \nInteractiveSupported = False\n"
                   "NonInteractiveSupported = True\n")
    catalogue = Catalogue(CatalogueConfig.from_file(str(ini)))
    product = next(iter(catalogue.get_products(TOC, limit=1)))
    catalogue.authenticate_non_interactive("tcc", "tcc-secret")
    catalogue.download_file(product.data[0], str(tmp_path))
    written = tmp_path / Path(urlparse(product.data[0].href).path).name
    assert written.stat().st_size == product.data[0].length


def test_usage_report(site):
    command = [sys.executable, "-m", "services.cli", "usage", "--since",
               time.strftime("%Y-%m-%d", time.gmtime())]
    env = {**os.environ, **site["env"]}
    table = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    figures = {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1].replace(",", ""))
               for line in table.stdout.splitlines()[1:]}
    assert figures["active users"] >= 5 and figures["organisations"] >= 4
    assert figures["countries"] >= 3 and figures["products delivered"] >= 5
    assert figures["bytes delivered"] > 0
    assert figures["anonymous viewers (distinct per day)"] == 1   # every test is 127.0.0.1
    rows = subprocess.run(command + ["--csv"], env=env, capture_output=True, text=True,
                          check=True).stdout.splitlines()
    assert rows[0] == "user,organisation,country,service,requests,bytes,products"
    assert any(r.startswith("alice,VITO,BE,download,") for r in rows)
