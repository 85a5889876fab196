"""Unsupervised learners: k-means, Gaussian mixtures, sparse coding.

Names are imported lazily, so ``import mlatlas.unsupervised`` stays cheap.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "KMeans": "kmeans",
    "EmptyClusterWarning": "kmeans",
    "kmeans_plusplus": "kmeans",
    "GaussianMixture": "gmm",
    "DictionaryLearning": "sparse_coding",
    "SparseCoder": "sparse_coding",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
