"""The Sentinel-2 "Level-2B" biophysical neural network (10 m version) for LAI, FAPAR and FCOVER.

A one-hidden-layer perceptron (5 tanh neurons, one linear output) published by Weiss & Baret
(ATBD "S2ToolBox Level 2 products: LAI, FAPAR, FCOVER") and shipped with the SNAP Sentinel-2
toolbox (auxdata ``3_0``, folder ``S2A_10m``). The coefficient files are package data under
``coefficients/S2A_10m/<VARIABLE>/``.

Inputs, in this order (last axis of the array given to :meth:`Network.predict`):
B03, B04, B08 surface reflectance (0..1), cos(view zenith), cos(sun zenith),
cos(sun azimuth - view azimuth).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

Variable = Literal["FAPAR", "LAI", "FCOVER"]
VARIABLES: tuple[Variable, ...] = get_args(Variable)

INPUT_COUNT = 6
"""B03, B04, B08, cos(view zenith), cos(sun zenith), cos(relative azimuth)."""
REFLECTANCE_COUNT = 3
"""The first inputs are reflectances; the definition domain only constrains those."""

COEFFICIENT_SET = "S2A_10m"


def read_table(variable: Variable, table: str) -> NDArray[np.float64]:
    """Read one comma-separated coefficient table as a 2-D float array (one row per line)."""
    resource = files(__package__).joinpath("coefficients", COEFFICIENT_SET, variable)
    text = resource.joinpath(f"{variable}_{table}").read_text(encoding="ascii")
    rows = [line for line in text.splitlines() if line.strip()]
    return np.atleast_2d(np.loadtxt(rows, delimiter=",", dtype=np.float64, ndmin=2))


@dataclass(frozen=True, eq=False)
class Network:
    """The coefficients of one biophysical network, ready to evaluate on numpy arrays."""

    variable: Variable
    input_min: NDArray[np.float64]  # (6,) normalisation minimum per input
    input_max: NDArray[np.float64]  # (6,) normalisation maximum per input
    hidden_weights: NDArray[np.float64]  # (5, 6)
    hidden_bias: NDArray[np.float64]  # (5,)
    output_weights: NDArray[np.float64]  # (5,)
    output_bias: float
    output_min: float  # denormalisation range of the output neuron
    output_max: float
    valid_min: float  # physical range of the output ("extreme cases")
    valid_max: float
    tolerance: float  # outputs within this distance outside the range are clipped
    domain_min: NDArray[np.float64]  # (3,) reflectance definition domain
    domain_max: NDArray[np.float64]  # (3,)

    @classmethod
    def load(cls, variable: Variable) -> Network:
        """The network for ``variable``; coefficient files are parsed once and cached."""
        if variable not in VARIABLES:
            raise ValueError(f"unknown variable {variable!r}; expected one of {VARIABLES}")
        return _load(variable)

    def predict(self, inputs: ArrayLike) -> NDArray[np.float64]:
        """Evaluate the network on ``inputs`` of shape (..., 6); returns shape (...).

        Outputs slightly outside the valid range (within the tolerance of the
        ``ExtremeCases`` file) are clipped to it; outputs further outside, and any
        output from NaN inputs, are NaN. The definition domain is *not* applied here;
        combine with :meth:`in_domain` to flag inputs the network was not trained for.
        """
        x = _as_inputs(inputs)
        normalised = 2.0 * (x - self.input_min) / (self.input_max - self.input_min) - 1.0
        hidden = np.tanh(normalised @ self.hidden_weights.T + self.hidden_bias)
        output_normalised = hidden @ self.output_weights + self.output_bias
        span = self.output_max - self.output_min
        output = 0.5 * (output_normalised + 1.0) * span + self.output_min
        return self.apply_extreme_cases(output)

    def apply_extreme_cases(self, output: NDArray[np.float64]) -> NDArray[np.float64]:
        """Clip outputs within tolerance of the valid range; NaN for those further out."""
        too_far = (output < self.valid_min - self.tolerance) | (
            output > self.valid_max + self.tolerance
        )
        clipped = np.clip(output, self.valid_min, self.valid_max)
        return np.where(too_far, np.nan, clipped)

    def in_domain(self, inputs: ArrayLike) -> NDArray[np.bool_]:
        """True where the reflectances (first 3 values of the last axis) lie in the
        ``DefinitionDomain_MinMax`` box and are not NaN. Accepts (..., 3) or (..., 6).

        The finer ``DefinitionDomain_Grid`` (convex hull) check is not applied.
        """
        x = np.asarray(inputs, dtype=np.float64)
        if x.shape[-1] < REFLECTANCE_COUNT:
            raise ValueError(f"expected at least {REFLECTANCE_COUNT} inputs on the last axis")
        reflectance = x[..., :REFLECTANCE_COUNT]
        inside = (reflectance >= self.domain_min) & (reflectance <= self.domain_max)
        return np.all(inside, axis=-1)


def _as_inputs(inputs: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(inputs, dtype=np.float64)
    if x.shape[-1:] != (INPUT_COUNT,):
        raise ValueError(f"expected {INPUT_COUNT} inputs on the last axis, got shape {x.shape}")
    return x


@cache
def _load(variable: Variable) -> Network:
    normalisation = read_table(variable, "Normalisation")
    denormalisation = read_table(variable, "Denormalisation")[0]
    tolerance, valid_min, valid_max = read_table(variable, "ExtremeCases")[0]
    domain = read_table(variable, "DefinitionDomain_MinMax")
    hidden_weights = read_table(variable, "Weights_Layer1_Neurons")
    if normalisation.shape != (INPUT_COUNT, 2) or hidden_weights.shape[1] != INPUT_COUNT:
        raise ValueError(f"{variable}: coefficient tables do not describe a 6-input network")
    network = Network(
        variable=variable,
        input_min=normalisation[:, 0],
        input_max=normalisation[:, 1],
        hidden_weights=hidden_weights,
        hidden_bias=read_table(variable, "Weights_Layer1_Bias").ravel(),
        output_weights=read_table(variable, "Weights_Layer2_Neurons").ravel(),
        output_bias=float(read_table(variable, "Weights_Layer2_Bias").item()),
        output_min=float(denormalisation[0]),
        output_max=float(denormalisation[1]),
        valid_min=float(valid_min),
        valid_max=float(valid_max),
        tolerance=float(tolerance),
        domain_min=domain[0, :REFLECTANCE_COUNT],
        domain_max=domain[1, :REFLECTANCE_COUNT],
    )
    for array in (
        network.input_min,
        network.input_max,
        network.hidden_weights,
        network.hidden_bias,
        network.output_weights,
        network.domain_min,
        network.domain_max,
    ):
        array.setflags(write=False)
    return network


def load_test_cases(variable: Variable) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The reference ``TestCases`` shipped with the coefficients: (inputs (n, 6), expected (n,))."""
    table = read_table(variable, "TestCases")
    return table[:, :INPUT_COUNT], table[:, INPUT_COUNT]
