"""OGC key-value-pair requests: case-insensitive names, repeated keys kept, MapServer's own
parameters removed so no client can steer it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.errors import InvalidParameterValue, MissingParameterValue

# MapServer CGI controls and runtime substitutions: never forwarded.
_FORBIDDEN = ("map", "mapfile", "mode", "qlayer", "qitem", "qstring", "context")


def _forbidden(name: str) -> bool:
    lowered = name.lower()
    return lowered in _FORBIDDEN or lowered.startswith(("map.", "map_", "ms_"))


@dataclass(frozen=True)
class Params:
    """The request's parameters in order, looked up by upper-cased name."""

    items: tuple[tuple[str, str], ...]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Params:
        return cls(tuple((k, v) for k, v in pairs if k and not _forbidden(k)))

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.upper()
        return next((v for k, v in self.items if k.upper() == wanted), default)

    def get_all(self, name: str) -> list[str]:
        wanted = name.upper()
        return [v for k, v in self.items if k.upper() == wanted]

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None or value == "":
            raise MissingParameterValue(f"parameter {name.upper()} is required", name.upper())
        return value

    def integer(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise InvalidParameterValue(f"{name.upper()} must be an integer, got '{value}'",
                                        name.upper()) from None

    def without(self, name: str) -> Params:
        wanted = name.upper()
        return Params(tuple((k, v) for k, v in self.items if k.upper() != wanted))

    def replaced(self, name: str, value: str) -> Params:
        return Params(self.without(name).items + ((name.upper(), value),))
