"""Elementwise tests of digital numbers (valid? cloudy?) answered from a lookup table.

A test such as :meth:`Band.valid` or a mission's mask rule is a function of each value alone,
so for 8- and 16-bit integers it can be evaluated once on every possible value and then looked
up: one indexing operation a read instead of several comparisons (``np.isin`` alone costs
≈60 µs on a single pixel). The answers are the test's own, value for value; other types
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
        self._tables: dict[np.dtype, tuple[np.dtype, np.ndarray]] = {}

    def __call__(self, values: np.ndarray) -> np.ndarray:
        dtype = values.dtype
        if dtype.kind not in "iu" or dtype.itemsize > 2:
            return self.test(values)
        table = self._tables.get(dtype)
        if table is None:
            table = self._tables[dtype] = _table(self.test, dtype)
        unsigned, answers = table
        return answers.take(values.view(unsigned))


def _table(test: Test, dtype: np.dtype) -> tuple[np.dtype, np.ndarray]:
    """The test's answer for every value of ``dtype``, indexed by the value's bits read as an
    unsigned integer (so -1 of an int8 is entry 255)."""
    unsigned = np.dtype(f"u{dtype.itemsize}")
    every = np.arange(2 ** (8 * dtype.itemsize), dtype=unsigned).view(dtype)
    return unsigned, np.asarray(test(every), dtype=bool)
