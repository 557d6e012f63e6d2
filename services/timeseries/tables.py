"""Elementwise tests of digital numbers (valid? cloudy?) answered from a lookup table.

A test such as :meth:`Band.valid` or a mission's mask rule is a function of each value alone,
so for 8- and 16-bit integers it can be evaluated once on every possible value and then looked
up: one indexing operation a read instead of several comparisons (``np.isin`` alone costs
≈60 µs on a single pixel). Where the values that pass form one interval (a valid range with
the nodata value outside it, as most bands have), two comparisons answer, or one, faster
than the lookup on large blocks. The answers are the test's own, value for value; other types
(floats, 32-bit integers) call the test directly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Test = Callable[[np.ndarray], np.ndarray]


class ByTable:
    """``test`` (elementwise, values → bool), through a table per integer type of ≤ 16 bits."""

    def __init__(self, test: Test):
        self.test = test
        self._tests: dict[np.dtype, Test] = {}

    def __call__(self, values: np.ndarray) -> np.ndarray:
        dtype = values.dtype
        if dtype.kind not in "iu" or dtype.itemsize > 2:
            return self.test(values)
        test = self._tests.get(dtype)
        if test is None:
            test = self._tests[dtype] = _tabled(self.test, dtype)
        return test(values)


def _tabled(test: Test, dtype: np.dtype) -> Test:
    """``test`` on values of ``dtype`` from its answer for every value of the type: a range
    check where the passing values are one interval, else a lookup indexed by the value's bits
    read as an unsigned integer (so -1 of an int8 is entry 255)."""
    unsigned = np.dtype(f"u{dtype.itemsize}")
    every = np.arange(2 ** (8 * dtype.itemsize), dtype=unsigned).view(dtype)
    answers = np.asarray(test(every), dtype=bool)
    passing = np.sort(every[answers])
    if passing.size and passing.size == int(passing[-1]) - int(passing[0]) + 1:
        low, high = passing[0], passing[-1]  # every value from low to high passes, no other
        info = np.iinfo(dtype)
        if low == info.min and high == info.max:
            return lambda values: np.ones(values.shape, dtype=bool)
        if low == info.min:
            return lambda values: values <= high
        if high == info.max:
            return lambda values: values >= low
        return lambda values: (values >= low) & (values <= high)
    return lambda values: answers.take(values.view(unsigned))
