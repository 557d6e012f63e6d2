"""OGC key-value-pair requests: case-insensitive names, repeated keys kept, MapServer's own
parameters removed so no client can steer it."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from services.errors import InvalidParameterValue, MissingParameterValue
from services.numbers import strict_integer, strict_number

__all__ = ["Params", "first_repeated", "strict_integer", "strict_number"]

# MapServer CGI controls and runtime substitutions: never forwarded.
_FORBIDDEN = ("map", "mapfile", "mode", "qlayer", "qitem", "qstring", "context")
def first_repeated(names: Iterable[str], allowed: Collection[str] = ()) -> str | None:
    """The first name given twice (case-insensitively), unless ``allowed`` (upper-case names)
    lets it repeat. A repeated key is refused rather than resolved: the checks and the engine
    behind them must see the same single value."""
    seen: set[str] = set()
    for name in names:
        wanted = name.upper()
        if wanted in seen and wanted not in allowed:
            return name
        seen.add(wanted)
    return None


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
        number = strict_integer(value)
        if number is None:
            raise InvalidParameterValue(f"{name.upper()} must be an integer, got "
                                        f"'{value[:40]}'", name.upper())
        return number

    def check_unrepeated(self, allowed: Collection[str] = ()) -> None:
        """Refuse a parameter given more than once (InvalidParameterValue)."""
        name = first_repeated((k for k, _ in self.items), allowed)
        if name is not None:
            raise InvalidParameterValue(f"parameter {name.upper()} is given more than once",
                                        name.upper())

    def without(self, name: str) -> Params:
        wanted = name.upper()
        return Params(tuple((k, v) for k, v in self.items if k.upper() != wanted))

    def replaced(self, name: str, value: str) -> Params:
        return Params(self.without(name).items + ((name.upper(), value),))
