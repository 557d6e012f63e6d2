"""Statistics of a geometry's valid pixels on one date, in physical units.

``average`` (mean), ``median``, ``stdDev`` (population standard deviation), ``min`` and ``max``
are computed over the valid pixels only; ``totalCount`` is the number of pixels the geometry
covers, ``validCount`` the number of those with a valid value. With no valid pixel every
statistic is the string ``"NaN"``, as Terrascope's service answers.

The median, minimum and maximum come from the digital numbers' order statistics: with a
positive scale, ``DN × scale + offset`` is monotonic (in floating point too), so the k-th
smallest value is the physical value of the k-th smallest DN, and numpy's median of the two
(or one) middle values is numpy's median of them all, to the bit.

An unsigned 8-bit band (most of the archive) takes every statistic from one count of each DN:
the order statistics from its running sum, the mean and the standard deviation from the 256
physical values weighted by their counts (:func:`_from_counts`; in a 1 km² polygon's request
≈39 µs a date against 66 µs for the float path). Those two are summed in another order than
numpy's pairwise sum of the values, so they can differ from ``np.mean`` and ``np.std`` in the
last bits, which the 12 significant digits answered (:func:`tidy`) drop.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from services.registry import Band

NAN = "NaN"
STATISTICS = ("average", "median", "stdDev", "min", "max")
COUNTS = ("totalCount", "validCount")


def physical(band: Band, dn: np.ndarray) -> np.ndarray:
    return _physical(band.scale, band.offset, dn)


def _physical(scale: float, offset: float, dn: np.ndarray) -> np.ndarray:
    values = np.multiply(dn, scale, dtype=np.float64)  # = dn.astype(float64) * scale
    values += offset
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
    elif dn.dtype == np.uint8 and band.scale > 0:
        result = _from_counts(band, dn)
    else:
        values = physical(band, dn)
        low, median, high = _order_statistics(band, dn, values)
        mean, std = _mean_std(values)
        result = {"average": tidy(mean), "median": tidy(median), "stdDev": tidy(std),
                  "min": tidy(low), "max": tidy(high)}
    result.update(totalCount=int(total), validCount=int(dn.size))
    return result


def _from_counts(band: Band, dn: np.ndarray) -> dict[str, float | int | str]:
    """The statistics of 8-bit ``dn`` (more than one) from the count of each DN."""
    n = dn.size
    counts = np.bincount(dn, minlength=256).astype(np.float64)  # exact: n < 2⁵³
    levels = _levels(band.scale, band.offset)
    mean = counts.dot(levels) / n
    deviations = levels - mean
    np.multiply(deviations, deviations, out=deviations)
    std = math.sqrt(counts.dot(deviations) / n)
    ranks = counts.cumsum().searchsorted([0, (n - 1) // 2, n // 2, n - 1], side="right")
    low, middle_low, middle_high, high = levels[ranks].tolist()
    median = middle_low if n % 2 else (middle_low + middle_high) / 2
    return {"average": tidy(mean), "median": tidy(median), "stdDev": tidy(std),
            "min": tidy(low), "max": tidy(high)}


@functools.lru_cache(maxsize=64)
def _levels(scale: float, offset: float) -> np.ndarray:
    """The physical values of the DNs 0…255, as :func:`physical` computes them (read only)."""
    levels = _physical(scale, offset, np.arange(256))
    levels.flags.writeable = False
    return levels


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
