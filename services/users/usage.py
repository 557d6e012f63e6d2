"""Usage statistics: what each user (and organisation) used, per day and service, and how many
distinct anonymous viewers came (a daily salted hash of their address: the salt is random,
kept only for its day, so no address can be recovered and no viewer followed across days).

A web worker adds each request to an in-memory batch and writes the batch in one transaction
every few seconds (``usage_flush_seconds``), or at once for a delivery by a known user (so
download quotas see it in every worker). :func:`summary` gives the operator's figures.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass

from services.users.store import UserStore, today


@dataclass(frozen=True)
class Hit:
    """One answered request, as usage counts it."""

    service: str
    user: str = ""                 # "" for anonymous
    organisation: str = ""
    country: str = ""
    bytes: int = 0
    products: int = 0
    viewer: str | None = None      # anonymous: the client's address (hashed before storing)


class UsageRecorder:
    def __init__(self, store: UserStore, flush_seconds: float = 2.0):
        self.store = store
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._totals: Counter = Counter()
        self._who: dict[tuple[str, str], tuple[str, str]] = {}
        self._viewers: set[tuple[str, str]] = set()
        self._last = time.monotonic()
        self._salt: tuple[str, bytes] | None = None
        atexit.register(self.flush)

    def record(self, hit: Hit) -> None:
        day = today()
        with self._lock:
            key = (day, hit.user, hit.service)
            self._totals[key + ("requests",)] += 1
            self._totals[key + ("bytes",)] += hit.bytes
            self._totals[key + ("products",)] += hit.products
            self._who[(hit.user, hit.service)] = (hit.organisation, hit.country)
            if hit.viewer is not None:
                self._viewers.add((day, self._hash(day, hit.viewer)))
            due = time.monotonic() - self._last >= self.flush_seconds
        if due or (hit.user and hit.products):
            self.flush()

    def _hash(self, day: str, address: str) -> str:
        if self._salt is None or self._salt[0] != day:
            self._salt = (day, self._day_salt(day))
        return hmac.new(self._salt[1], address.encode(), hashlib.sha256).hexdigest()[:20]

    def _day_salt(self, day: str) -> bytes:
        """The day's salt, the same in every worker; yesterday's are deleted."""
        db = self.store.db()
        db.execute("INSERT OR IGNORE INTO salts (day, salt) VALUES (?, ?)", (day, os.urandom(32)))
        db.execute("DELETE FROM salts WHERE day < ?", (day,))
        return db.execute("SELECT salt FROM salts WHERE day = ?", (day,)).fetchone()[0]

    def flush(self) -> None:
        with self._lock:
            totals, who, viewers = self._totals, self._who, self._viewers
            self._totals, self._who, self._viewers = Counter(), {}, set()
            self._last = time.monotonic()
        if not totals and not viewers:
            return
        rows = {key[:3] for key in totals}
        db = self.store.db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for day, user, service in rows:
                organisation, country = who.get((user, service), ("", ""))
                db.execute(
                    "INSERT INTO usage (day, user, service, organisation, country, requests,"
                    " bytes, products) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, user,"
                    " service) DO UPDATE SET requests = requests + excluded.requests,"
                    " bytes = bytes + excluded.bytes, products = products + excluded.products,"
                    " organisation = excluded.organisation, country = excluded.country",
                    (day, user, service, organisation, country,
                     *(totals[(day, user, service, f)] for f in ("requests", "bytes",
                                                                 "products"))))
            db.executemany("INSERT OR IGNORE INTO viewers (day, viewer) VALUES (?, ?)",
                           sorted(viewers))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


FIGURES = ("active_users", "organisations", "countries", "requests", "bytes", "products",
           "anonymous_viewers")


def summary(store: UserStore, since: str, until: str = "9999-12-31") -> dict[str, int]:
    """The funders' figures from ``since`` to ``until`` (days, inclusive): active users,
    their organisations and countries, requests, bytes and products delivered, and distinct
    anonymous viewers (counted per day: a viewer on two days counts twice)."""
    db = store.db()
    users = db.execute(
        "SELECT count(DISTINCT user), count(DISTINCT nullif(organisation, '')),"
        " count(DISTINCT nullif(country, '')) FROM usage WHERE user != '' AND day BETWEEN ?"
        " AND ?", (since, until)).fetchone()
    totals = db.execute("SELECT coalesce(sum(requests), 0), coalesce(sum(bytes), 0),"
                        " coalesce(sum(products), 0) FROM usage WHERE day BETWEEN ? AND ?",
                        (since, until)).fetchone()
    viewers = db.execute("SELECT count(*) FROM viewers WHERE day BETWEEN ? AND ?",
                         (since, until)).fetchone()[0]
    return dict(zip(FIGURES, (*users, *totals, viewers), strict=True))


def rows(store: UserStore, since: str, until: str = "9999-12-31") -> list[tuple]:
    """Per user (anonymous as ""), organisation, country and service: requests, bytes,
    products, over the period."""
    return store.db().execute(
        "SELECT user, max(organisation), max(country), service, sum(requests), sum(bytes),"
        " sum(products) FROM usage WHERE day BETWEEN ? AND ? GROUP BY user, service"
        " ORDER BY user, service", (since, until)).fetchall()
