"""Who a request comes from, as every service may ask (``current()``)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quotas:
    """A user's limits; 0 is no limit."""

    products_per_day: int = 0
    bytes_per_day: int = 0
    jobs: int = 0
    requests_per_minute: int = 0
    compute_seconds_per_day: int = 0


@dataclass(frozen=True)
class Principal:
    """An authenticated user: a store user (key, password) or a token's subject."""

    name: str
    organisation: str = ""
    country: str = ""
    admin: bool = False
    method: str = "apikey"          # apikey, basic or bearer
    quotas: Quotas = field(default_factory=Quotas)

    def may_see(self, owner: str | None) -> bool:
        return owner is None or self.admin or owner == self.name


_CURRENT: ContextVar[Principal | None] = ContextVar("eoscope_principal", default=None)


def current() -> Principal | None:
    """The principal of the request being answered (None: anonymous)."""
    return _CURRENT.get()


def set_current(principal: Principal | None) -> None:
    _CURRENT.set(principal)


def may_see(viewer: Principal | None, owner: str | None) -> bool:
    """Jobs without an owner are everyone's (open mode); others their owner's and admins'."""
    return owner is None if viewer is None else viewer.may_see(owner)
