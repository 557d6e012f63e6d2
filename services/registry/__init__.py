"""The layer registry: ``layers/*.yaml`` validated once into one immutable object."""

from services.registry.loader import Registry, RegistryError, load
from services.registry.models import Band, Collection, Grid, Layer, RampStyle, RgbStyle, Text

__all__ = ["Band", "Collection", "Grid", "Layer", "RampStyle", "Registry", "RegistryError",
           "RgbStyle", "Text", "load"]
