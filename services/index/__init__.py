"""The product index: ingest (through the mission profiles) and the one table every service
reads."""

from services.index.ingest import ChangedProduct, IngestReport, ingest
from services.index.store import ProductIndex

__all__ = ["ChangedProduct", "IngestReport", "ProductIndex", "ingest"]
