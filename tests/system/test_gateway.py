"""The gateway itself: the landing page links every service, health, and unknown paths."""

from __future__ import annotations

import re
from html import unescape

import requests


def test_landing_page_links_answer(gateway):
    page = requests.get(gateway.url + "/", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    links = [unescape(h) for h in re.findall(r'href="([^"]+)"', page.text)]
    assert len(links) >= 8
    for link in links:
        response = requests.get(link, timeout=60)
        assert response.status_code == 200, link
        assert b"Exception" not in response.content[:2000], link


def test_health(gateway):
    health = requests.get(gateway.url + "/healthz", timeout=30).json()
    assert health["status"] == "ok"
    assert health["checks"]["products"] == gateway.index.product_count()


def test_unknown_path_is_a_json_problem(gateway):
    response = requests.get(gateway.url + "/nothing/here", timeout=30)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
