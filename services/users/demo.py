"""Demo usage: a year of synthetic records with the seed's figures (Terrascope's report to its
funders: 108 active users of 51 organisations from 21 countries, 7 TB and 56,956 products
delivered, 872 anonymous viewers), so ``eoscope usage`` has something to show on the demo."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import date, timedelta

from services.users.store import UserStore

SEED_FIGURES = {"active_users": 108, "organisations": 51, "countries": 21,
                "bytes": 7_000_000_000_000, "products": 56_956, "anonymous_viewers": 872}
COUNTRIES = ("BE", "NL", "FR", "DE", "IT", "ES", "PT", "AT", "CH", "DK", "SE", "FI", "NO",
             "PL", "CZ", "IE", "GB", "LU", "GR", "RO", "KE")


def fill(store: UserStore, year: int, seed: int = 2018) -> None:
    """Add the demo year's usage to ``store`` (days of ``year``)."""
    rng = random.Random(seed)
    days = [date(year, 1, 1) + timedelta(d) for d in range(365)]
    organisations = [(f"Organisation {i + 1:02d}", COUNTRIES[i % len(COUNTRIES)])
                     for i in range(SEED_FIGURES["organisations"])]
    users = [(f"demo-user-{i + 1:03d}", *organisations[i % len(organisations)])
             for i in range(SEED_FIGURES["active_users"])]
    products: Counter = Counter()
    for index in range(len(users)):   # every user delivered at least one product
        products[(rng.choice(days), index)] += 1
    for _ in range(SEED_FIGURES["products"] - len(users)):
        products[(rng.choice(days), rng.randrange(len(users)))] += 1
    per_product, extra = divmod(SEED_FIGURES["bytes"], SEED_FIGURES["products"])
    rows = []
    for n, ((day, index), count) in enumerate(sorted(products.items())):
        name, organisation, country = users[index]
        rows.append((day.isoformat(), name, "download", organisation, country, count,
                     count * per_product + (extra if n == 0 else 0), count))
    viewers = [(rng.choice(days).isoformat(), hashlib.sha256(f"demo{i}".encode()).hexdigest()[:20])
               for i in range(SEED_FIGURES["anonymous_viewers"])]
    db = store.db()
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO usage (day, user, service, organisation, country, requests, "
                   "bytes, products) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, user, "
                   "service) DO UPDATE SET requests = requests + excluded.requests, bytes = "
                   "bytes + excluded.bytes, products = products + excluded.products", rows)
    db.executemany("INSERT OR IGNORE INTO viewers (day, viewer) VALUES (?, ?)", viewers)
    db.execute("COMMIT")
