"""The fast KNN search: distance tiles through BLAS, bounded heaps in numba, threads over queries.

:mod:`mlatlas.supervised.neighbors` holds the search as the maths reads (every distance,
then the k smallest by a sort); this module finds the same neighbours without holding
the (n_queries, n_train) distance matrix, and the tests check the two agree.

Tiles
-----
For p = 2 the squared distances between a block of queries X (n x d) and a block of
training points Y (m x d) come from one matrix product:

    ||x_i - y_j||^2 = ||x_i||^2 - 2 x_i . y_j + ||y_j||^2,   i.e.
    D = ||X||^2 (as a column) - 2 X Y^T + ||Y||^2 (as a row)

so the expensive part is a BLAS GEMM.  The search never needs the square root: the
k smallest squared distances are also the k smallest distances.  The training set is
visited in tiles of 256 x 256 pairs, so the memory used does not grow with the data.
Round-off in the expansion can make a squared distance slightly negative (it is
clipped at 0) and is of the order of 1e-16 * ||x||^2, so once the k neighbours are
known their distances are recomputed directly as sqrt(sum_f (x_f - y_f)^2): exact
matches come out as exactly 0.  For other p the distance is summed feature by feature
(in feature order, training points stored as columns so that the loop over them
vectorises) and the root is taken at the end, for the k winners only.

Selecting the k smallest
------------------------
For each query a bounded max-heap holds the k best candidates found so far; its root
is the worst of them.  Training points are offered in increasing index order; a
point enters only if it is strictly closer than the root, which it then replaces
(and sinks to its place).  Most points are rejected by one comparison, so the
selection costs O(m) per query plus O(log k) per accepted point.  At the end the k
survivors are sorted by distance with insertion sort, which keeps equal distances
in the order the heap held them.  This is the procedure of scikit-learn's brute-force
search (same offering order, same strict comparison, same sift-down), hence its tie
rule (see :mod:`mlatlas.supervised.neighbors`).

Threads
-------
Chunks of 256 queries are independent: with enough (query, training point) pairs they
are shared out by :func:`mlatlas._parallel.parallel_map`, one BLAS thread per GEMM (a
256 x 256 tile is too small to share between threads, and the workers already keep
every core busy, as scikit-learn does).  Each query's heap sees the training points
in the same order whatever the thread count, so results do not depend on it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import _parallel

__all__ = ["squared_row_norms", "tiled_kneighbors"]

#: Queries and training points are processed in tiles of this many rows each:
#: a 256 x 256 float64 tile of products is 512 KB and stays in a core's L2 cache.
_TILE = 256
#: Below 2 x this many (query, training point) pairs the search runs on one thread.
_MIN_PAIRS_PER_THREAD = 2_000_000


@njit(cache=True, nogil=True)
def _heap_replace_root(heap_dist, heap_index, value, index):
    """Put (value, index) in place of the root of a max-heap and sink it.

    The caller has checked value < heap_dist[0].  The larger child moves up (the left
    one when both are equal) for as long as it is strictly larger than ``value``.
    """
    k = heap_dist.shape[0]
    node = 0
    while True:
        left = 2 * node + 1
        if left >= k:
            break
        child = left
        if left + 1 < k and heap_dist[left + 1] > heap_dist[left]:
            child = left + 1
        if heap_dist[child] <= value:
            break
        heap_dist[node] = heap_dist[child]
        heap_index[node] = heap_index[child]
        node = child
    heap_dist[node] = value
    heap_index[node] = index


@njit(cache=True, nogil=True)
def _push_sqeuclidean_tile(cross, x_sq, y_sq, y_start, heap_dist, heap_index):
    """Offer one tile of squared Euclidean distances to the queries' heaps.

    cross : (n_x, n_y) = X_chunk @ Y_tile^T;  x_sq : (n_x,);  y_sq : (n_train,)
    heap_dist, heap_index : (n_x, k), updated in place.

    The tile is read in blocks of 32: a first, branch-free (SIMD) pass only asks
    whether any distance of the block beats the current worst; almost always none
    does and the block is skipped.  Otherwise a second pass offers them one by one.
    """
    block = 32
    n_y = cross.shape[1]
    for i in range(cross.shape[0]):
        dist_row = heap_dist[i]
        index_row = heap_index[i]
        worst = dist_row[0]
        x_sq_i = x_sq[i]
        cross_row = cross[i]
        y_sq_tile = y_sq[y_start:y_start + n_y]
        for j0 in range(0, n_y, block):
            j1 = min(j0 + block, n_y)
            hit = False
            for j in range(j0, j1):
                # ||x - y||^2 = ||x||^2 - 2 x.y + ||y||^2
                hit |= x_sq_i + (-2.0 * cross_row[j]) + y_sq_tile[j] < worst
            if not hit:
                continue
            for j in range(j0, j1):
                d = x_sq_i + (-2.0 * cross_row[j]) + y_sq_tile[j]
                if d < 0.0:  # round-off can take it below 0
                    d = 0.0
                if d < worst:
                    _heap_replace_root(dist_row, index_row, d, y_start + j)
                    worst = dist_row[0]


@njit(cache=True, nogil=True)
def _push_minkowski_tile(X_chunk, YT, y_start, y_stop, p, heap_dist, heap_index):
    """Offer the training points y_start..y_stop-1 to the heaps of a chunk of queries (p != 2).

    X_chunk : (n_x, d);  YT : (d, n_train), the training points as columns, so that
    the innermost loop runs over neighbouring training points (SIMD-friendly) while
    each distance still adds its features in order f = 0, 1, ..., d-1.
    The value offered is sum_f |x_f - y_f|^p (for p = 1 the distance itself; for
    p = inf, max_f |x_f - y_f|): the root is taken at the end, for the k winners only.
    """
    n_features = YT.shape[0]
    width = y_stop - y_start
    acc = np.empty(width)
    for i in range(X_chunk.shape[0]):
        acc[:] = 0.0
        for f in range(n_features):
            x_f = X_chunk[i, f]
            column = YT[f, y_start:y_stop]
            if p == 1.0:
                for j in range(width):
                    acc[j] += abs(x_f - column[j])
            elif p == np.inf:
                for j in range(width):
                    acc[j] = max(acc[j], abs(x_f - column[j]))
            else:
                for j in range(width):
                    acc[j] += abs(x_f - column[j]) ** p
        dist_row = heap_dist[i]
        index_row = heap_index[i]
        worst = dist_row[0]
        for j in range(width):
            if acc[j] < worst:
                _heap_replace_root(dist_row, index_row, acc[j], y_start + j)
                worst = dist_row[0]


@njit(cache=True, nogil=True)
def _insertion_sort(dist_row, index_row):
    """Sort a short row by distance in place; equal distances keep their order."""
    for a in range(1, dist_row.shape[0]):
        d = dist_row[a]
        idx = index_row[a]
        b = a
        while b > 0 and dist_row[b - 1] > d:
            dist_row[b] = dist_row[b - 1]
            index_row[b] = index_row[b - 1]
            b -= 1
        dist_row[b] = d
        index_row[b] = idx


@njit(cache=True, nogil=True)
def _finish_rows(X_chunk, Y, p, heap_dist, heap_index):
    """Sort each heap by distance and turn the search values into true distances."""
    k = heap_dist.shape[1]
    for i in range(X_chunk.shape[0]):
        dist_row = heap_dist[i]
        index_row = heap_index[i]
        _insertion_sort(dist_row, index_row)
        if p == 2.0:
            # exact distances of the k winners: sqrt(sum_f (x_f - y_f)^2)
            for a in range(k):
                y = Y[index_row[a]]
                acc = 0.0
                for f in range(y.shape[0]):
                    diff = X_chunk[i, f] - y[f]
                    acc += diff * diff
                dist_row[a] = math.sqrt(acc)
            # they can differ from the expansion in the last bits: re-sort (stable)
            _insertion_sort(dist_row, index_row)
        elif p != 1.0 and p != np.inf:
            # d_p = (sum_f |x_f - y_f|^p)^(1/p)
            for a in range(k):
                dist_row[a] = dist_row[a] ** (1.0 / p)


def squared_row_norms(X):
    """||x_i||^2 for every row: (n,)."""
    return np.einsum("ij,ij->i", X, X)


def tiled_kneighbors(X, Y, k, p, X_sq, Y_sq, n_threads):
    """The k nearest rows of ``Y`` for every row of ``X``, by tiles and heaps.

    Parameters
    ----------
    X : ndarray of shape (n_queries, n_features), float64, C-contiguous
    Y : ndarray of shape (n_train, n_features), float64, C-contiguous
    k : int, 1 <= k <= n_train
    p : float
        Minkowski order (>= 1 or inf).
    X_sq, Y_sq : ndarray of shape (n_queries,) and (n_train,), or None
        ``||x||^2`` and ``||y||^2`` for p = 2 (computed when None).
    n_threads : int or None
        Threads over chunks of queries (default: :func:`mlatlas._parallel.available_cpus`).

    Returns
    -------
    distances : ndarray of shape (n_queries, k), increasing in each row
    indices : ndarray of shape (n_queries, k), intp
    """
    n_queries, n_train = X.shape[0], Y.shape[0]
    heap_dist = np.full((n_queries, k), np.inf)
    heap_index = np.zeros((n_queries, k), dtype=np.intp)
    if n_queries == 0:
        return heap_dist, heap_index
    if p == 2.0:
        X_sq = squared_row_norms(X) if X_sq is None else X_sq
        Y_sq = squared_row_norms(Y) if Y_sq is None else Y_sq
    else:
        YT = np.ascontiguousarray(Y.T)  # (d, n_train)

    def search(start):
        stop = min(start + _TILE, n_queries)
        X_chunk = X[start:stop]
        dist_rows, index_rows = heap_dist[start:stop], heap_index[start:stop]
        if p == 2.0:
            buffer = np.empty((stop - start) * _TILE)
            for y_start in range(0, n_train, _TILE):
                y_stop = min(y_start + _TILE, n_train)
                cross = buffer[: (stop - start) * (y_stop - y_start)].reshape(stop - start, y_stop - y_start)
                # (n_x, d) @ (d, n_y) -> (n_x, n_y): the x.y terms of the expansion
                np.matmul(X_chunk, Y[y_start:y_stop].T, out=cross)
                _push_sqeuclidean_tile(cross, X_sq[start:stop], Y_sq, y_start, dist_rows, index_rows)
        else:
            for y_start in range(0, n_train, _TILE):
                y_stop = min(y_start + _TILE, n_train)
                _push_minkowski_tile(X_chunk, YT, y_start, y_stop, p, dist_rows, index_rows)
        _finish_rows(X_chunk, Y, p, dist_rows, index_rows)

    starts = range(0, n_queries, _TILE)
    n_threads = min(n_threads or _parallel.available_cpus(), len(starts))
    if n_queries * n_train < _MIN_PAIRS_PER_THREAD * 2:
        n_threads = 1  # too little work to pay for waking threads
    # one BLAS thread per GEMM: see "Threads" in the module docstring
    with _parallel.limit_blas(1):
        _parallel.parallel_map(search, starts, n_threads=n_threads)
    return heap_dist, heap_index
