"""The layer registry: ``layers/*.yaml`` validated once into one immutable object."""

from services.registry.loader import Registry, RegistryError, load
from services.registry.models import Band, Collection, Layer, RampStyle, RgbStyle, Text

__all__ = ["Band", "Collection", "Layer", "RampStyle", "Registry", "RegistryError", "RgbStyle",
           "Text", "load"]
