"""Time-series models: AR(p).

Names are imported lazily, so ``import mlatlas.timeseries`` stays cheap.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_WHERE = {
    "AutoRegressive": "ar",
    "select_order": "ar",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE)
