"""OpenSearch (Geo, Time, EO) at /catalogue, compatible with Terrascope's catalogue."""

from services.catalogue.opensearch.service import OpenSearchService, Response

__all__ = ["OpenSearchService", "Response"]
