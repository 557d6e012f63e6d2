"""Users on the open demo gateway (`make run`'s policy): everything answers anonymously as
before, a known key still identifies its user, whose jobs are then theirs alone, and usage
is counted."""

from __future__ import annotations

import uuid

import requests

from services.users.store import UserStore
from services.users.usage import summary

ASYNC = {"Prefer": "respond-async"}


def test_open_policy_with_and_without_a_key(gateway):
    store = UserStore(gateway.settings.users)
    name = f"open-{uuid.uuid4().hex[:8]}"
    key = store.add(name, "VITO", country="BE")
    href = requests.get(f"{gateway.url}/catalogue/products", params={
        "collection": "urn:eop:VITO:TERRASCOPE_S2_TOC_V2", "count": 1},
        timeout=30).json()["features"][0]["properties"]["links"]["data"][0]["href"]
    assert requests.get(href, timeout=30).status_code == 200          # anonymous download
    assert requests.get(href, headers={"X-API-Key": key}, timeout=30).status_code == 200

    anonymous = requests.post(f"{gateway.url}/ogcapi/processes/echo/execution",
                              json={"inputs": {"message": "a"}}, headers=ASYNC, timeout=30)
    assert anonymous.status_code == 201, anonymous.text
    everyone = f"{gateway.url}/ogcapi/jobs/{anonymous.json()['jobID']}"
    assert requests.get(everyone, timeout=30).status_code == 200       # anonymous jobs: all's

    owned = requests.post(f"{gateway.url}/ogcapi/processes/echo/execution",
                          json={"inputs": {"message": "b"}},
                          headers={**ASYNC, "X-API-Key": key}, timeout=30)
    assert owned.status_code == 201, owned.text
    mine = f"{gateway.url}/ogcapi/jobs/{owned.json()['jobID']}"
    assert requests.get(mine, headers={"X-API-Key": key}, timeout=30).status_code == 200
    assert requests.get(mine, timeout=30).status_code == 404

    figures = summary(store, "2000-01-01")
    assert figures["active_users"] >= 1 and figures["products"] >= 1   # written at once
