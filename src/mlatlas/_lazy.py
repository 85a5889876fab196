"""Lazy exports for the algorithm subpackages, so that ``import mlatlas.supervised`` stays cheap.

A subpackage lists where each public name lives; the first access imports that
submodule (and its numba kernels) and nothing else.
"""

from __future__ import annotations

import importlib
from typing import Callable


def lazy_exports(package: str, where: dict[str, str],
                 submodules: tuple[str, ...] = ()) -> tuple[list[str], Callable, Callable]:
    """Return ``(__all__, __getattr__, __dir__)`` for ``package``.

    ``where`` maps each exported name to the submodule defining it; ``submodules``
    are further submodules reachable as attributes.
    """
    names = sorted(where)

    def __getattr__(name: str):
        if name in where:
            return getattr(importlib.import_module(f".{where[name]}", package), name)
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return names + list(submodules)

    return names, __getattr__, __dir__
