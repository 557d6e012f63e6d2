"""Statistics of a geometry's valid pixels on one date, in physical units.

``average`` (mean), ``median``, ``stdDev`` (population standard deviation), ``min`` and ``max``
are computed over the valid pixels only; ``totalCount`` is the number of pixels the geometry
covers, ``validCount`` the number of those with a valid value. With no valid pixel every
statistic is the string ``"NaN"``, as Terrascope's service answers.

The median, minimum and maximum come from the digital numbers' order statistics: with a
positive scale, ``DN × scale + offset`` is monotonic (in floating point too), so the k-th
smallest value is the physical value of the k-th smallest DN, and numpy's median of the two
(or one) middle values is numpy's median of them all, to the bit. A count of each DN finds
those order statistics of unsigned 8-bit bands faster than a partition of the float values.
"""

from __future__ import annotations

import numpy as np

from services.registry import Band

NAN = "NaN"
STATISTICS = ("average", "median", "stdDev", "min", "max")
COUNTS = ("totalCount", "validCount")


def physical(band: Band, dn: np.ndarray) -> np.ndarray:
    values = np.multiply(dn, band.scale, dtype=np.float64)  # = dn.astype(float64) * scale
    values += band.offset
    return values


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
        low, median, high = _order_statistics(band, dn, values)
        mean, std = _mean_std(values)
        result = {"average": tidy(mean), "median": tidy(median), "stdDev": tidy(std),
                  "min": tidy(low), "max": tidy(high)}
    result.update(totalCount=int(total), validCount=int(dn.size))
    return result


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    """``values.mean()`` and ``values.std()`` as numpy computes them (its ``_var``: the same
    sums in the same order), the mean summed once."""
    n = values.size
    mean = values.sum() / n
    deviations = values - mean
    np.multiply(deviations, deviations, out=deviations)
    return mean, np.sqrt(deviations.sum() / n)


def _order_statistics(band: Band, dn: np.ndarray, values: np.ndarray
                      ) -> tuple[float, float, float]:
    """The minimum, median and maximum of ``values`` (the physical values of ``dn``)."""
    if band.scale <= 0 or dn.dtype.kind not in "iu":
        return values.min(), np.median(values), values.max()
    n = dn.size
    ranks = [0, (n - 1) // 2, n // 2, n - 1]
    if dn.dtype == np.uint8:
        counts = np.cumsum(np.bincount(dn, minlength=256))
        levels = np.searchsorted(counts, ranks, side="right").astype(np.uint8)
    else:
        levels = np.partition(dn, ranks)[ranks]
    # the same float64 arithmetic as physical(); np.median: the mean of the middle one (n odd)
    # or two values, as numpy sums and divides
    low, middle_low, middle_high, high = (float(v) * band.scale + band.offset
                                          for v in levels.tolist())
    return low, middle_low if n % 2 else (middle_low + middle_high) / 2, high


def histogram(band: Band, dn: np.ndarray) -> list[dict[str, float | int]]:
    """Count of each distinct valid value, in increasing order of value."""
    if dn.size == 0:
        return []
    levels, counts = np.unique(dn, return_counts=True)
    order = np.argsort(physical(band, levels), kind="stable")  # a negative scale reverses
    values = physical(band, levels)
    return [{"value": tidy(values[i]), "count": int(counts[i])} for i in order]
