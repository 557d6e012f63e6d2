"""The PROBA-V MEP notebooks' catalog client, for eoscope: ``from catalogclient import catalog``.

Same API as VITO's ``catalogclient`` 1.2.0 (``Catalog``, ``EOProduct``, ``EOProductFile``); the
base URL is eoscope's ``/catalogue/mep/v2/``.
"""

__version__ = "1.2.0+eoscope"
