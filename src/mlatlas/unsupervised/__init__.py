"""Unsupervised learners: k-means, Gaussian mixtures, sparse coding.

Names are imported lazily, so ``import mlatlas.unsupervised`` stays cheap.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_WHERE = {
    "KMeans": "kmeans",
    "EmptyClusterWarning": "kmeans",
    "kmeans_plusplus": "kmeans",
    "GaussianMixture": "gmm",
    "DictionaryLearning": "sparse_coding",
    "SparseCoder": "sparse_coding",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE)
