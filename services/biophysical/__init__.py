"""Sentinel-2 biophysical variables (LAI, FAPAR, FCOVER) from 10 m surface reflectance."""

from services.biophysical.network import VARIABLES, Network, Variable, load_test_cases

__all__ = ["VARIABLES", "Network", "Variable", "load_test_cases"]
