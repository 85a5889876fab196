"""Time-series models: AR(p).

Names are imported lazily, so ``import mlatlas.timeseries`` stays cheap.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "AutoRegressive": "ar",
    "select_order": "ar",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
