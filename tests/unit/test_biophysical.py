"""The S2 biophysical network reproduces the published test cases and handles out-of-range data."""

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from services.biophysical import VARIABLES, Network, Variable, load_test_cases

TOLERANCE = 5e-4


@pytest.mark.parametrize("variable", VARIABLES)
def test_reproduces_every_reference_test_case(
    variable: Variable, record_property: Callable[[str, object], None]
) -> None:
    inputs, expected = load_test_cases(variable)
    predicted = Network.load(variable).predict(inputs)
    error = np.abs(predicted - expected)
    median, worst = float(np.median(error)), float(error.max())
    record_property(f"{variable}_median_abs_error", median)
    record_property(f"{variable}_max_abs_error", worst)
    print(f"{variable}: {len(expected)} cases, median |error| {median:.2e}, max {worst:.2e}")
    assert len(expected) > 100
    assert not np.isnan(predicted).any()
    assert worst < TOLERANCE
    assert median < 1e-4


def test_load_is_cached_and_coefficients_are_read_only() -> None:
    network = Network.load("LAI")
    assert Network.load("LAI") is network
    assert network.hidden_weights.shape == (5, 6)
    with pytest.raises(ValueError):
        network.hidden_weights[0, 0] = 1.0


def test_unknown_variable_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown variable"):
        Network.load("NDVI")  # type: ignore[arg-type]


def test_predict_is_vectorised_over_leading_axes() -> None:
    inputs, _ = load_test_cases("FAPAR")
    network = Network.load("FAPAR")
    flat = network.predict(inputs[:12])
    grid = network.predict(inputs[:12].reshape(3, 4, 6))
    assert grid.shape == (3, 4)
    np.testing.assert_array_equal(grid.ravel(), flat)


def test_wrong_input_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="6 inputs"):
        Network.load("LAI").predict(np.zeros((4, 5)))


def shifted_to(network: Network, inputs: np.ndarray, target: float) -> Network:
    """A copy of ``network`` whose output bias is moved so that ``inputs`` yield ``target``
    before clipping (the denormalisation is linear in the output bias)."""
    unclipped = replace(network, tolerance=np.inf, valid_min=-np.inf, valid_max=np.inf)
    current = float(unclipped.predict(inputs))
    span = network.output_max - network.output_min
    return replace(network, output_bias=network.output_bias + 2 * (target - current) / span)


@pytest.mark.parametrize("variable", VARIABLES)
def test_outputs_within_tolerance_are_clipped_and_beyond_are_nan(variable: Variable) -> None:
    network = Network.load(variable)
    sample = load_test_cases(variable)[0][0]
    top, bottom, tol = network.valid_max, network.valid_min, network.tolerance

    assert shifted_to(network, sample, top + 0.5 * tol).predict(sample) == top
    assert shifted_to(network, sample, bottom - 0.5 * tol).predict(sample) == bottom
    assert np.isnan(shifted_to(network, sample, top + 1.5 * tol).predict(sample))
    assert np.isnan(shifted_to(network, sample, bottom - 1.5 * tol).predict(sample))
    inside = 0.5 * (top + bottom)
    assert shifted_to(network, sample, inside).predict(sample) == pytest.approx(inside)


def test_nan_inputs_give_nan() -> None:
    inputs, _ = load_test_cases("FCOVER")
    batch = inputs[:3].copy()
    batch[1, 0] = np.nan
    result = Network.load("FCOVER").predict(batch)
    assert np.isnan(result[1]) and not np.isnan(result[[0, 2]]).any()


def test_definition_domain_checks_the_reflectances_only() -> None:
    network = Network.load("LAI")
    vegetation = np.array([0.05, 0.03, 0.45, 0.99, 0.7, 0.5])
    cloud = np.array([0.5, 0.5, 0.55, 0.99, 0.7, 0.5])
    odd_angles = np.array([0.05, 0.03, 0.45, -5.0, 5.0, 5.0])
    missing = np.array([np.nan, 0.03, 0.45, 0.99, 0.7, 0.5])
    result = network.in_domain(np.stack([vegetation, cloud, odd_angles, missing]))
    assert result.tolist() == [True, False, True, False]
    assert network.in_domain(vegetation[:3])
    inputs, _ = load_test_cases("LAI")
    assert network.in_domain(inputs).all()
