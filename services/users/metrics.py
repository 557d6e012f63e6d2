"""Usage as Prometheus metrics: a collector on prometheus_client's default REGISTRY, read from
the user store at each scrape (so every worker reports the same, shared figures). Whatever
serves ``/metrics`` with that registry exposes them."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from services.observability import register_once
from services.users.store import UserStore, today


class UsageCollector(Collector):
    def __init__(self, store: UserStore):
        self.store = store

    def collect(self) -> Iterator:
        db = self.store.db()
        requests = CounterMetricFamily("eoscope_usage_requests", "Requests answered, by "
                                       "service and whether the user was known",
                                       labels=["service", "user"])
        delivered = CounterMetricFamily("eoscope_usage_bytes", "Bytes delivered, by service",
                                        labels=["service"])
        products = CounterMetricFamily("eoscope_usage_products", "Products delivered "
                                       "(downloads and WCS coverages), by service",
                                       labels=["service"])
        for service, known, count in db.execute(
                "SELECT service, user != '', sum(requests) FROM usage GROUP BY service,"
                " user != ''"):
            requests.add_metric([service, "registered" if known else "anonymous"], count)
        for service, size, made in db.execute(
                "SELECT service, sum(bytes), sum(products) FROM usage GROUP BY service"):
            delivered.add_metric([service], size)
            products.add_metric([service], made)
        day = today()
        active = db.execute("SELECT count(DISTINCT user) FROM usage WHERE day = ? AND"
                            " user != ''", (day,)).fetchone()[0]
        viewers = db.execute("SELECT count(*) FROM viewers WHERE day = ?", (day,)).fetchone()[0]
        registered = db.execute("SELECT count(*) FROM users WHERE NOT disabled").fetchone()[0]
        yield requests
        yield delivered
        yield products
        yield GaugeMetricFamily("eoscope_users_active_today", "Registered users who made a "
                                "request today (UTC)", value=active)
        yield GaugeMetricFamily("eoscope_anonymous_viewers_today", "Distinct anonymous "
                                "clients today (daily salted hashes)", value=viewers)
        yield GaugeMetricFamily("eoscope_users_registered", "Users in the store, not "
                                "disabled", value=registered)


def register(store: UserStore) -> Collector:
    """Register the store's collector on the default REGISTRY (one per process; a second
    gateway in the process replaces the first's)."""
    collector = UsageCollector(store)
    register_once("eoscope_usage", collector)
    return collector
