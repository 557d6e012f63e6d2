"""The web viewer at ``/viewer``: its configuration (from the layer registry), its static
files (built from ``viewer/`` by esbuild) and the demo's street overlay."""

from services.viewer.app import ViewerApp
from services.viewer.config import viewer_config
from services.viewer.overlay import demo_overlay, write_overlay

__all__ = ["ViewerApp", "demo_overlay", "viewer_config", "write_overlay"]
