"""The time series query service (Terrascope-compatible ``/timeseries/v1.0/ts`` REST API).

Framework-free logic (:class:`TimeSeriesService`) plus a thin werkzeug adapter
(:class:`TimeSeriesApp`) that the gateway mounts under ``/timeseries``. See docs/timeseries.md.
"""

from services.timeseries.http import TimeSeriesApp
from services.timeseries.limits import TimeSeriesLimits
from services.timeseries.service import Request, Response, TimeSeriesService

__all__ = ["Request", "Response", "TimeSeriesApp", "TimeSeriesLimits", "TimeSeriesService"]
