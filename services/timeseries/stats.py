"""Statistics of a geometry's valid pixels on one date, in physical units.

``average`` (mean), ``median``, ``stdDev`` (population standard deviation), ``min`` and ``max``
are computed over the valid pixels only; ``totalCount`` is the number of pixels the geometry
covers, ``validCount`` the number of those with a valid value. With no valid pixel every
statistic is the string ``"NaN"``, as Terrascope's service answers.
"""

from __future__ import annotations

import numpy as np

from services.registry import Band

NAN = "NaN"
STATISTICS = ("average", "median", "stdDev", "min", "max")
COUNTS = ("totalCount", "validCount")


def physical(band: Band, dn: np.ndarray) -> np.ndarray:
    return dn.astype(np.float64) * band.scale + band.offset


def tidy(value: float) -> float:
    """12 significant digits: drops binary noise (0.7200000000000001) far below any DN step."""
    return float(f"{value:.12g}")


def summary(band: Band, dn: np.ndarray, total: int) -> dict[str, float | int | str]:
    if dn.size == 0:
        result: dict[str, float | int | str] = dict.fromkeys(STATISTICS, NAN)
    elif dn.size == 1:  # a point: skip numpy's reductions
        value = tidy(float(dn[0]) * band.scale + band.offset)
        result = {"average": value, "median": value, "stdDev": 0.0, "min": value, "max": value}
    else:
        values = physical(band, dn)
        result = {"average": tidy(values.mean()), "median": tidy(np.median(values)),
                  "stdDev": tidy(values.std()), "min": tidy(values.min()),
                  "max": tidy(values.max())}
    result.update(totalCount=int(total), validCount=int(dn.size))
    return result


def histogram(band: Band, dn: np.ndarray) -> list[dict[str, float | int]]:
    """Count of each distinct valid value, in increasing order of value."""
    if dn.size == 0:
        return []
    levels, counts = np.unique(dn, return_counts=True)
    order = np.argsort(physical(band, levels), kind="stable")  # a negative scale reverses
    values = physical(band, levels)
    return [{"value": tidy(values[i]), "count": int(counts[i])} for i in order]
