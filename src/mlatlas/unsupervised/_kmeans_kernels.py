"""The fast k-means kernels: blocked distance products, numba loops and row threads.

:mod:`mlatlas.unsupervised.kmeans` holds the algorithm as the maths reads (plain NumPy:
every distance ``||x - c||^2`` computed outright, an ``argmin``, the means); this module
computes the same things fast, and the tests check the two agree.

What makes it fast:

* distances through a matrix product (BLAS GEMM), 512 rows at a time:
  ``||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2``, and ``||x||^2`` is the same for every
  centre, so the assignment only needs ``||c||^2 - 2 x.c`` (the caller centres the data
  first so that this expansion loses little precision);
* numba loops for what NumPy does not vectorise well: the argmin over a handful of
  centres per row, the indexed accumulation into the cluster sums, the k-means++
  candidate potentials (NumPy would build and reread three (n, t) temporaries);
* large inputs split over threads by rows (the kernels release the GIL), small ones
  running their ``n_init`` starts side by side instead, all through
  :func:`mlatlas._parallel.parallel_map`.  Each thread's sums are added in a fixed
  order, so results do not depend on the number of threads.

Every function takes validated, C-contiguous float64 arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import _parallel

__all__ = ["squared_norms", "lloyd_assign", "nearest", "kmeans_plusplus", "map_runs"]

# Rows per block of the distance product: the (k, 512) block of cross products stays in
# the L1/L2 cache while the kernel scans it.
_BLOCK_ROWS = 512
# Large inputs are split over threads by rows; below this many rows per thread the
# hand-off costs more than it saves, and the n_init starts run side by side instead.
_MIN_ROWS_PER_THREAD = 20_000


@njit(cache=True, nogil=True)
def _block_argmin(cross, centers_sq, labels, best):  # pragma: no cover - numba
    """``labels[r] = argmin_j (||c_j||^2 - 2 cross[j, r])`` for one block; ``best`` gets the min.

    Centres in the outer loop and rows in the inner one: the inner loop is a
    branch-free compare-and-select over contiguous memory, which the compiler vectorises.
    """
    k, m = cross.shape
    for r in range(m):
        best[r] = centers_sq[0] - 2.0 * cross[0, r]
        labels[r] = 0
    for j in range(1, k):
        c_sq = centers_sq[j]
        for r in range(m):
            # ||x_r - c_j||^2 - ||x_r||^2 = ||c_j||^2 - 2 x_r . c_j: the argmin needs only this
            score = c_sq - 2.0 * cross[j, r]
            closer = score < best[r]
            best[r] = score if closer else best[r]
            labels[r] = j if closer else labels[r]


@njit(cache=True, nogil=True)
def _lloyd_kernel(X, centers, centers_sq, weight, x_sq, labels, sums, weight_in):  # pragma: no cover - numba
    """Assignment step on the rows of ``X`` plus the sums the update step needs.

    ``centers_sq`` holds ``||c_j||^2``.  Writes ``labels`` (n,), adds ``w_i x_i`` into
    ``sums[label_i]`` (k, d) and ``w_i`` into ``weight_in[label_i]`` (k,).  Returns
    ``sum_i w_i ||x_i - c_label_i||^2``.
    """
    n, d = X.shape
    best = np.empty(_BLOCK_ROWS)
    inertia = 0.0
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n)
        # c_j . x_i for the block: (k, d) @ (d, m) -> (k, m), a BLAS GEMM
        cross = np.dot(centers, X[start:stop].T)
        _block_argmin(cross, centers_sq, labels[start:stop], best)
        for r in range(stop - start):
            i = start + r
            label = labels[i]
            w = weight[i]
            weight_in[label] += w
            for f in range(d):
                sums[label, f] += w * X[i, f]
            # ||x_i - c_label||^2 = ||x_i||^2 + (||c||^2 - 2 x_i . c)
            inertia += w * max(x_sq[i] + best[r], 0.0)
    return inertia


@njit(cache=True, nogil=True)
def _nearest_kernel(X, centers, centers_sq, labels, min_d2):  # pragma: no cover - numba
    """Nearest centre of every row and the squared distance to it, from the differences."""
    n, d = X.shape
    best = np.empty(_BLOCK_ROWS)
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n)
        cross = np.dot(centers, X[start:stop].T)  # (k, d) @ (d, m) -> (k, m)
        _block_argmin(cross, centers_sq, labels[start:stop], best)
        for r in range(stop - start):
            i = start + r
            label = labels[i]
            # the exact ||x_i - c_label||^2 (no cancellation) for the reported inertia
            d2 = 0.0
            for f in range(d):
                diff = X[i, f] - centers[label, f]
                d2 += diff * diff
            min_d2[i] = d2


@njit(cache=True, nogil=True)
def _candidate_potentials(cross, cand_sq, x_sq, weight, closest, potentials):  # pragma: no cover - numba
    """k-means++: ``potentials[t] = sum_i w_i min(D_i^2, ||x_i - x_t||^2)`` in one pass.

    ``cross`` (n, t) holds ``x_i . x_t``; ``closest`` holds ``D_i^2``.  NumPy would build
    and reread three (n, t) temporaries for the same sums.
    """
    n, t = cross.shape
    potentials[:] = 0.0
    for i in range(n):
        for j in range(t):
            # ||x_i - x_t||^2 = ||x_i||^2 - 2 x_i.x_t + ||x_t||^2, clipped at 0 against rounding
            d2 = max(x_sq[i] - 2.0 * cross[i, j] + cand_sq[j], 0.0)
            potentials[j] += weight[i] * min(d2, closest[i])


@njit(cache=True, nogil=True)
def _take_candidate(cross, cand_sq, best, x_sq, weight, closest, cdf):  # pragma: no cover - numba
    """k-means++: add candidate ``best`` to the centres; update ``D^2`` and its running sum.

    Returns the new potential ``sum_i w_i D_i^2``.
    """
    total = 0.0
    for i in range(closest.shape[0]):
        d2 = max(x_sq[i] - 2.0 * cross[i, best] + cand_sq[best], 0.0)
        if d2 < closest[i]:
            closest[i] = d2
        total += weight[i] * closest[i]
        cdf[i] = total
    return total



def squared_norms(X: np.ndarray) -> np.ndarray:
    """``||x_i||^2`` for every row, (n,)."""
    return np.einsum("ij,ij->i", X, X)


def _row_threads(n_samples: int) -> int:
    return max(1, min(_parallel.available_cpus(), n_samples // _MIN_ROWS_PER_THREAD))


def _map_rows(fn, n_samples):
    """``[fn(start, stop) for each thread's share of the rows]``, in parallel when large."""
    n_threads = _row_threads(n_samples)
    if n_threads == 1:
        return [fn(0, n_samples)]
    return _parallel.parallel_map(lambda rows: fn(*rows), _parallel.split_rows(n_samples, n_threads),
                                  n_threads=n_threads)


def map_runs(fn, n_runs, n_samples):
    """``[fn(r) for r in range(n_runs)]``; the runs share the threads when the rows do not.

    Small inputs are too small to split by rows, but independent starts are whole
    tasks.  Each run draws from its own generator, so the result does not depend on
    the scheduling.
    """
    if n_runs == 1 or _row_threads(n_samples) > 1:
        return [fn(r) for r in range(n_runs)]
    return _parallel.parallel_map(fn, range(n_runs))


def lloyd_assign(X, centers, weight, x_sq):
    """The assignment step and the sums the update step needs, fast.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
    weight : ndarray of shape (n_samples,)
    x_sq : ndarray of shape (n_samples,)
        ``||x_i||^2``.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
        ``argmin_j ||x_i - c_j||^2``.
    sums : ndarray of shape (n_clusters, n_features)
        ``sum_{i in S_j} w_i x_i``.
    weight_in : ndarray of shape (n_clusters,)
        ``sum_{i in S_j} w_i``.
    inertia : float
        ``sum_i w_i ||x_i - c_{label_i}||^2`` (from the expansion, clipped at 0).
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    centers_sq = squared_norms(centers)  # (k,)
    labels = np.empty(n_samples, dtype=np.int32)

    def assign(start, stop):
        sums = np.zeros((n_clusters, n_features))  # sum_{i in S_j} w_i x_i
        weight_in = np.zeros(n_clusters)  # sum_{i in S_j} w_i
        inertia = _lloyd_kernel(X[start:stop], centers, centers_sq, weight[start:stop],
                                x_sq[start:stop], labels[start:stop], sums, weight_in)
        return sums, weight_in, inertia

    parts = _map_rows(assign, n_samples)
    sums = sum(p[0] for p in parts)
    weight_in = sum(p[1] for p in parts)
    inertia = sum(p[2] for p in parts)
    return labels, sums, weight_in, float(inertia)


def nearest(X, centers):
    """Nearest centre and exact squared distance to it for every row, (n,) and (n,)."""
    n_samples = X.shape[0]
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    labels = np.empty(n_samples, dtype=np.int32)
    min_d2 = np.empty(n_samples)
    centers_sq = squared_norms(centers)  # (k,)
    _map_rows(lambda start, stop: _nearest_kernel(X[start:stop], centers, centers_sq,
                                                  labels[start:stop], min_d2[start:stop]), n_samples)
    return labels, min_d2


def kmeans_plusplus(X, n_clusters, weight, x_sq, first, rng, n_local_trials):
    """Greedy k-means++ from the first centre ``X[first]``, fast; see ``kmeans.kmeans_plusplus``.

    Returns ``(centers, indices)``.  Draws ``n_local_trials`` uniform numbers from ``rng``
    per new centre, as the plain version does.
    """
    n_samples, n_features = X.shape
    centers = np.empty((n_clusters, n_features))
    indices = np.empty(n_clusters, dtype=np.intp)
    centers[0], indices[0] = X[first], first
    # D(x_i)^2 = ||x_i||^2 - 2 x_i.c + ||c||^2, the squared distance to the nearest centre so
    # far, and its running sum (the unnormalised CDF of the next draw), (n,)
    closest = np.full(n_samples, np.inf)
    cdf = np.empty(n_samples)
    cross = X @ X[first]  # (n, d) @ (d,) -> (n,)
    potential = _take_candidate(cross[:, None], x_sq[[first]], 0, x_sq, weight, closest, cdf)
    potentials = np.empty(n_local_trials)
    for c in range(1, n_clusters):
        # draw candidates t with P(t) = w_t D(x_t)^2 / potential (inverse CDF)
        draws = rng.random(n_local_trials) * potential
        candidates = np.minimum(np.searchsorted(cdf, draws), n_samples - 1)
        # x_i . x_t for every sample and candidate: (n, d) @ (d, t) -> (n, t)
        cross = X @ np.ascontiguousarray(X[candidates].T)
        # potential sum_i w_i min(D(x_i)^2, ||x_i - x_t||^2) if candidate t joined
        _candidate_potentials(cross, x_sq[candidates], x_sq, weight, closest, potentials)
        best = int(np.argmin(potentials))
        potential = _take_candidate(cross, x_sq[candidates], best, x_sq, weight, closest, cdf)
        centers[c], indices[c] = X[candidates[best]], candidates[best]
    return centers, indices
