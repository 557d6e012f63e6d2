"""Numbers as clients must write them: ASCII digits only.

``str.isdigit()`` is True for '²', and ``int()``/``float()`` take '٣', '1_000', ' 7 ', 'nan' and
'inf'; every parameter parser uses these instead, so such a value is a client error (400),
never a crash nor a number the engine behind reads differently.
"""

from __future__ import annotations

import re

# ASCII digits only: str.isdigit() and int() also take '²', '٣' and '1_000'
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def strict_integer(value: str) -> int | None:
    """``value`` as an integer if it is one written in ASCII digits (an optional sign, no
    spaces, no underscores), else None."""
    return int(value) if _INTEGER.fullmatch(value) else None


def strict_number(value: str) -> float | None:
    """``value`` as a finite number written in ASCII (no 'nan', 'inf', '1_0', '٣'), else
    None."""
    if not _NUMBER.fullmatch(value):
        return None
    number = float(value)
    return number if abs(number) != float("inf") else None
