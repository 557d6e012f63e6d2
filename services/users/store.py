"""The user store: one SQLite file (WAL) shared by every web worker and the ``eoscope`` CLI.

It holds the users (name, organisation, contact, admin and disabled flags, quotas, the API
key's digest and the password's scrypt hash: never a secret itself), the usage counters per
day, user and service, the day's anonymous viewers (salted hashes) and the per-minute request
counters the rate quota reads.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.users import hashing
from services.users.principal import Quotas

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, organisation TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '', admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0, key_digest TEXT UNIQUE, password_hash TEXT,
    created TEXT NOT NULL, quota_products INTEGER, quota_bytes INTEGER, quota_jobs INTEGER,
    quota_rate INTEGER, quota_compute INTEGER);
CREATE TABLE IF NOT EXISTS usage (
    day TEXT NOT NULL, user TEXT NOT NULL, service TEXT NOT NULL,
    organisation TEXT NOT NULL DEFAULT '', country TEXT NOT NULL DEFAULT '',
    requests INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
    products INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, user, service));
CREATE TABLE IF NOT EXISTS viewers (day TEXT NOT NULL, viewer TEXT NOT NULL,
    PRIMARY KEY (day, viewer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS rate (user TEXT NOT NULL, minute INTEGER NOT NULL,
    requests INTEGER NOT NULL, PRIMARY KEY (user, minute)) WITHOUT ROWID;
"""
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


class UserError(ValueError):
    """An operator's mistake on the store (unknown or duplicate user, bad name)."""


@dataclass(frozen=True)
class User:
    name: str
    organisation: str
    email: str
    country: str
    admin: bool
    disabled: bool
    has_key: bool
    has_password: bool
    created: str
    quotas: dict[str, int | None]

    def effective_quotas(self, defaults: Quotas) -> Quotas:
        """The user's own quotas where set, the deployment's defaults elsewhere."""
        own = self.quotas
        return Quotas(
            products_per_day=_pick(own["products"], defaults.products_per_day),
            bytes_per_day=_pick(own["bytes"], defaults.bytes_per_day),
            jobs=_pick(own["jobs"], defaults.jobs),
            requests_per_minute=_pick(own["rate"], defaults.requests_per_minute),
            compute_seconds_per_day=_pick(own["compute"], defaults.compute_seconds_per_day))


def _pick(own: int | None, default: int) -> int:
    return default if own is None else own


_USER_COLUMNS = ("name, organisation, email, country, admin, disabled, key_digest IS NOT NULL,"
                 " password_hash IS NOT NULL, created, quota_products, quota_bytes, quota_jobs,"
                 " quota_rate, quota_compute")


def _user(row: tuple) -> User:
    return User(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), bool(row[6]),
                bool(row[7]), row[8], {"products": row[9], "bytes": row[10], "jobs": row[11],
                                       "rate": row[12], "compute": row[13]})


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


class UserStore:
    """Users, usage and counters; one connection per thread (and per process after a fork)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self.db()
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)

    def db(self) -> sqlite3.Connection:
        held = getattr(self._local, "db", None)
        if held is None or held[0] != os.getpid():
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA synchronous = NORMAL")
            held = self._local.db = (os.getpid(), db)
        return held[1]

    # -- users -----------------------------------------------------------------------------

    def add(self, name: str, organisation: str = "", email: str = "", country: str = "",
            admin: bool = False, password: str | None = None) -> str:
        """Create a user; returns their API key (shown once, only its digest is kept)."""
        if not name or not set(name) <= NAME_CHARS or len(name) > 100:
            raise UserError(f"a user name is 1-100 letters, digits or ._@- (got {name!r})")
        key = hashing.new_api_key()
        password_hash = hashing.hash_password(password) if password else None
        try:
            self.db().execute(
                "INSERT INTO users (name, organisation, email, country, admin, key_digest,"
                " password_hash, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, organisation, email, country.upper(), int(admin),
                 hashing.key_digest(key), password_hash,
                 datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
        except sqlite3.IntegrityError:
            raise UserError(f"user {name} exists already") from None
        return key

    def get(self, name: str) -> User | None:
        row = self.db().execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?",
                                (name,)).fetchone()
        return _user(row) if row else None

    def require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise UserError(f"no user {name} (see `eoscope users list`)")
        return user

    def list(self) -> list[User]:
        return [_user(r) for r in self.db().execute(
            f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]

    def by_key(self, key: str) -> User | None:
        row = self.db().execute(f"SELECT {_USER_COLUMNS} FROM users WHERE key_digest = ?",
                                (hashing.key_digest(key),)).fetchone()
        return _user(row) if row else None

    def by_password(self, name: str, password: str) -> User | None:
        row = self.db().execute("SELECT password_hash FROM users WHERE name = ?",
                                (name,)).fetchone()
        if not row or not hashing.check_password(password, row[0]):
            return None
        return self.get(name)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        self.require(name)
        self.db().execute("UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name))

    def rotate_key(self, name: str) -> str:
        """A new API key for ``name``; the old one stops working at once."""
        self.require(name)
        key = hashing.new_api_key()
        self.db().execute("UPDATE users SET key_digest = ? WHERE name = ?",
                          (hashing.key_digest(key), name))
        return key

    def set_quotas(self, name: str, **quotas: int | None) -> None:
        """Set a user's own quotas (products, bytes, jobs, rate, compute); -1 returns one to the
        deployment's default."""
        self.require(name)
        for quota, value in quotas.items():
            if value is None:
                continue
            if quota not in ("products", "bytes", "jobs", "rate", "compute"):
                raise UserError(f"no quota {quota}")
            self.db().execute(f"UPDATE users SET quota_{quota} = ? WHERE name = ?",
                              (None if value < 0 else value, name))

    # -- counters the quotas read ---------------------------------------------------------

    def downloads_today(self, name: str) -> tuple[int, int]:
        """(products, bytes) ``name`` downloaded today (UTC)."""
        row = self.db().execute("SELECT coalesce(sum(products), 0), coalesce(sum(bytes), 0)"
                                " FROM usage WHERE day = ? AND user = ? AND service IN"
                                " ('download', 'wcs')", (today(), name)).fetchone()
        return row[0], row[1]

    def count_request(self, name: str, minute: int) -> int:
        """Count one request of ``name`` in ``minute`` (epoch minutes); the minute's total."""
        db = self.db()
        count = db.execute("INSERT INTO rate (user, minute, requests) VALUES (?, ?, 1)"
                           " ON CONFLICT (user, minute) DO UPDATE SET requests = requests + 1"
                           " RETURNING requests", (name, minute)).fetchall()[0][0]
        if count == 1:   # the first request of a minute sweeps the old minutes away
            db.execute("DELETE FROM rate WHERE minute < ?", (minute - 1,))
        return count
