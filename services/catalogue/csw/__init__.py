"""CSW 2.0.2 and 3.0 with pycsw, served from the live product index and the layer registry."""

from services.catalogue.csw.app import CswApp

__all__ = ["CswApp"]
