r"""k-nearest neighbours (KNN) for classification and regression, by exact brute force.

KNN learns nothing at fit time: it keeps the training set.  To predict at a query
point x it finds the k training points closest to x and lets them decide: a vote
among their labels (classification) or an average of their targets (regression).

Distance
--------
The Minkowski distance of order p >= 1 between x and y (d features):

    d_p(x, y) = (sum_f |x_f - y_f|^p)^(1/p)

p = 2 is the Euclidean distance, p = 1 the Manhattan ("city block") distance and
p = inf the Chebyshev distance max_f |x_f - y_f|.

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
in the order the heap held them.

Ties: which of several training points at exactly the same distance are kept is
decided by this procedure.  It is the one scikit-learn's brute-force search uses
(same offering order, same strict comparison, same sift-down), so the neighbour sets,
and therefore the predictions, are the same as scikit-learn's with
``algorithm="brute"`` whenever scikit-learn, too, offers the training points to each
query in index order.  That is its "parallel_on_X" strategy, used when there are more
queries than training points or more than 4 x 256 x (its thread count) queries, and
always by its uniform-weight classifier for p != 2.  With fewer queries it splits the
training set between its threads and merges their heaps, and which tied points
survive then depends on its thread count.  Without exact ties (the usual case for
continuous features) the neighbours are the same in every case.  For k <= 15 tied
neighbours are also listed in the same order (both end with an insertion sort); for
larger k the same tied neighbours may come in another order.  Note that this is *not*
"lowest index first": when a closer point arrives, the root that leaves is whichever
of the tied worst points sits at the root at that moment.

Prediction
----------
With neighbours N(x) = {i_1..i_k} and weights w_i:

* uniform weights:  w_i = 1
* distance weights: w_i = 1 / d(x, x_i); if x coincides with training points
  (d = 0 for some neighbours), those get weight 1 and the others 0.

Classification, class c:   P(c | x) = sum_{i in N(x)} w_i [y_i = c] / sum_{i in N(x)} w_i
and the prediction is the class with the highest share (the first in ``classes_`` on
ties).  Regression:        y_hat(x) = sum_{i in N(x)} w_i y_i / sum_{i in N(x)} w_i.

References
----------
Cover, T. M. and Hart, P. E. (1967). Nearest neighbor pattern classification.
IEEE Transactions on Information Theory 13(1), 21-27.
Hastie, Tibshirani and Friedman (2009). The Elements of Statistical Learning, 2nd ed., 13.3.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numba import njit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _parallel
from ..base import check_option, check_scalar_param, max_abs, overflow_safe_scale

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "brute_kneighbors"]

#: Queries and training points are processed in tiles of this many rows each:
#: a 256 x 256 float64 tile of products is 512 KB and stays in a core's L2 cache.
_TILE = 256
#: Below 2 x this many (query, training point) pairs the search runs on one thread.
_MIN_PAIRS_PER_THREAD = 2_000_000


# ---------------------------------------------------------------------------
# Numeric core (numba): heap selection over tiles, then finishing each row
# ---------------------------------------------------------------------------


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


def _squared_row_norms(X):
    """||x_i||^2 for every row: (n,)."""
    return np.einsum("ij,ij->i", X, X)


def _search_scale(X, Y, p, X_sq, Y_sq):
    """The power of two to divide X and Y by before the search (1.0 on ordinary data).

    The largest squared row norm bounds every entry (|x_f| <= ||x||), so on ordinary data
    the check costs one pass over the norms (and, for p != 2, over the queries).  Only
    when a norm overflowed, or is so small that squares may have underflowed, is the
    exact largest entry computed.
    """
    def largest(A, A_sq):
        if A_sq is None:
            return max_abs(A)
        top = float(A_sq.max()) if A_sq.size else 0.0
        # an overflowed norm, or squares so small that they may have underflowed
        if not 1e-250 < top < math.inf:
            return max_abs(A)
        return math.sqrt(top)

    bound = max(largest(X, X_sq if p == 2.0 else None), largest(Y, Y_sq))
    return overflow_safe_scale(bound, X.shape[1], p)


def brute_kneighbors(X, Y, k, *, p=2.0, Y_sq=None, n_threads=None):
    """Exact k nearest training rows of every query row, by brute force.

    Parameters
    ----------
    X : ndarray of shape (n_queries, n_features), float64, C-contiguous
    Y : ndarray of shape (n_train, n_features), float64, C-contiguous
    k : int, 1 <= k <= n_train
    p : float >= 1 or inf
        Order of the Minkowski distance.
    Y_sq : ndarray of shape (n_train,), optional
        Precomputed ||y_j||^2 (used by the search for p = 2, and by the scale check).
    n_threads : int, optional
        Worker threads over chunks of queries (default: all available CPUs, capped by
        ``OMP_NUM_THREADS``; see :func:`mlatlas._parallel.available_cpus`).

    Returns
    -------
    distances : ndarray of shape (n_queries, k), sorted increasingly in each row
        (inf where a distance is beyond the float64 range)
    indices : ndarray of shape (n_queries, k), int
        Row numbers in Y.

    Notes
    -----
    Data whose squares (or p-th powers) would overflow or underflow float64 are divided
    by a power of two ``s`` first (exact) and the distances multiplied back by ``s``; see
    :func:`mlatlas.base.overflow_safe_scale`.  The neighbours are then those of the
    original data, whatever their magnitude.

    Examples
    --------
    >>> Y = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    >>> d, i = brute_kneighbors(np.array([[0.0, 0.5]]), Y, 2)
    >>> i.tolist(), np.round(d, 4).tolist()
    ([[0, 2]], [[0.5, 1.118]])
    """
    distances, indices, scale = _brute_kneighbors_scaled(X, Y, k, p=p, Y_sq=Y_sq,
                                                         n_threads=n_threads)
    if scale != 1.0:
        with np.errstate(over="ignore"):
            distances *= scale  # d(x, y) = s d(x / s, y / s)
    return distances, indices


def _brute_kneighbors_scaled(X, Y, k, *, p=2.0, Y_sq=None, n_threads=None):
    """:func:`brute_kneighbors` without the last step: (distances / s, indices, s)."""
    n_queries, n_train = X.shape[0], Y.shape[0]
    p = float(p)
    X_sq = _squared_row_norms(X) if p == 2.0 else None
    scale = _search_scale(X, Y, p, X_sq, Y_sq)
    if scale != 1.0:
        # squares of the data would overflow (or underflow): search on X / s and Y / s
        X, Y = X / scale, Y / scale
        X_sq = _squared_row_norms(X) if p == 2.0 else None
        Y_sq = None
    heap_dist = np.full((n_queries, k), np.inf)
    heap_index = np.zeros((n_queries, k), dtype=np.intp)
    if n_queries == 0:
        return heap_dist, heap_index, scale
    if p == 2.0:
        Y_sq = _squared_row_norms(Y) if Y_sq is None else Y_sq
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
    # One BLAS thread per GEMM: a 256 x 256 tile is too small to share between
    # threads (BLAS threads spinning on it cost far more than they save), and the
    # workers below already keep every core busy, as scikit-learn does.
    with _parallel.limit_blas(1):
        _parallel.parallel_map(search, starts, n_threads=n_threads)
    return heap_dist, heap_index, scale


def _neighbor_weights(distances, weights):
    """(n_queries, k) weights of the neighbours.

    "uniform": all 1.  "distance": 1 / d; a query that coincides with training points
    (d = 0) gives weight 1 to those points and 0 to the other neighbours.
    """
    if weights == "uniform":
        return np.ones_like(distances)
    with np.errstate(divide="ignore"):
        w = 1.0 / distances
    exact = np.isinf(w)
    rows = exact.any(axis=1)
    w[rows] = exact[rows]
    return w


# ---------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------


class _KNeighborsBase(BaseEstimator):
    """Parameters, validation and the neighbour search shared by both estimators."""

    def __init__(self, n_neighbors=5, *, weights="uniform", p=2, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.p = p
        self.n_jobs = n_jobs

    def _check_params(self) -> None:
        check_scalar_param(self.n_neighbors, "n_neighbors", kind=numbers.Integral, low=1)
        check_option(self.weights, "weights", ("uniform", "distance"))
        # p = inf: the Chebyshev distance
        check_scalar_param(self.p, "p", kind=numbers.Real, low=1, allow_inf=True)
        check_scalar_param(self.n_jobs, "n_jobs", kind=numbers.Integral, low=1, allow_none=True)

    def _fit_data(self, X) -> None:
        n_samples = X.shape[0]
        if self.n_neighbors > n_samples:
            raise ValueError(
                f"n_neighbors must be <= the number of training samples; got "
                f"n_neighbors = {self.n_neighbors}, n_samples = {n_samples}."
            )
        self.X_fit_ = np.ascontiguousarray(X, dtype=np.float64)
        self.X_fit_sq_norms_ = _squared_row_norms(self.X_fit_)
        self.n_samples_fit_ = n_samples

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """The k nearest training points of each query.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features), optional
            Query points.  ``None`` queries the training points themselves, each
            one leaving itself out of its own neighbours.
        n_neighbors : int, optional
            k for this call (default: ``self.n_neighbors``).
        return_distance : bool, default=True

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors)
            Increasing in each row (only when ``return_distance``).
        indices : ndarray of shape (n_queries, n_neighbors)
            Row numbers in the training set.

        Raises
        ------
        ValueError
            If ``return_distance`` and a distance is beyond the float64 range (the data
            are near 1e308); the neighbours themselves are found at any magnitude.

        Examples
        --------
        >>> model = KNeighborsRegressor(n_neighbors=1).fit([[0.0], [1.0], [3.0]], [0, 1, 3])
        >>> d, i = model.kneighbors([[2.9]])
        >>> i.tolist(), np.round(d, 6).tolist()
        ([[2]], [[0.1]])
        """
        distances, indices, scale = self._kneighbors(X, n_neighbors)
        if not return_distance:
            return indices
        if scale != 1.0:
            with np.errstate(over="ignore"):
                distances = distances * scale  # d(x, y) = s d(x / s, y / s)
            if not np.all(np.isfinite(distances)):
                raise ValueError(
                    "the distances overflow float64: X holds values too large for them to be "
                    "represented (the neighbours are found; call with return_distance=False).")
        return distances, indices

    def _kneighbors(self, X, n_neighbors):
        """The neighbour search: (distances / s, indices, s), s = 1 on ordinary data."""
        check_is_fitted(self)
        if n_neighbors is None:
            n_neighbors = self.n_neighbors
        check_scalar_param(n_neighbors, "n_neighbors", kind=numbers.Integral, low=1)
        n_fit = self.n_samples_fit_
        query_is_train = X is None
        if query_is_train:
            if n_neighbors >= n_fit:
                raise ValueError(
                    "kneighbors(X=None) leaves each training point out of its own neighbours, "
                    f"so n_neighbors must be < n_samples_fit; got n_neighbors = {n_neighbors}, "
                    f"n_samples_fit = {n_fit}."
                )
            X = self.X_fit_
            k = n_neighbors + 1
        else:
            X = validate_data(self, X, reset=False, dtype=np.float64, order="C")
            if n_neighbors > n_fit:
                raise ValueError(
                    f"n_neighbors must be <= n_samples_fit; got n_neighbors = {n_neighbors}, "
                    f"n_samples_fit = {n_fit}."
                )
            k = n_neighbors
        distances, indices, scale = _brute_kneighbors_scaled(
            X, self.X_fit_, k, p=float(self.p), Y_sq=self.X_fit_sq_norms_, n_threads=self.n_jobs)
        if query_is_train:
            distances, indices = _drop_self(distances, indices)
        return distances, indices, scale

    def _neighbors_and_weights(self, X):
        # the weights 1 / d are normalised per query, so d / s (the search's own units) serves
        distances, indices, _ = self._kneighbors(X, None)
        return indices, _neighbor_weights(distances, self.weights)


def _drop_self(distances, indices):
    """Remove each training point from its own neighbour list (k+1 -> k columns).

    A point is normally its own first neighbour (distance 0); when more than k
    duplicates of it exist it may be absent, and then the first column goes.
    """
    n, k_plus_one = indices.shape
    keep = indices != np.arange(n)[:, None]
    missing_self = keep.all(axis=1)
    keep[missing_self, 0] = False
    # boolean masks select row by row, k entries per row
    return (distances[keep].reshape(n, k_plus_one - 1), indices[keep].reshape(n, k_plus_one - 1))


class KNeighborsClassifier(ClassifierMixin, _KNeighborsBase):
    """Classify by a (weighted) vote of the k nearest training points.

    Parameters
    ----------
    n_neighbors : int, default=5
        k, the number of neighbours that vote.
    weights : {"uniform", "distance"}, default="uniform"
        "uniform": one vote each.  "distance": votes weighted by 1 / distance; a query
        equal to one or more training points takes their labels only.
    p : float >= 1 or inf, default=2
        Order of the Minkowski distance (2 Euclidean, 1 Manhattan, inf Chebyshev).
    n_jobs : int, optional
        Threads for the search (default: all available CPUs, capped by ``OMP_NUM_THREADS``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels.
    X_fit_ : ndarray of shape (n_samples, n_features)
        The training points (float64).
    y_fit_ : ndarray of shape (n_samples,)
        Training labels as positions in ``classes_``.
    X_fit_sq_norms_ : ndarray of shape (n_samples,)
        ||x_i||^2 of the training points (for the p = 2 search).
    n_samples_fit_, n_features_in_ : int

    Notes
    -----
    P(c | x) = sum_{i in N_k(x)} w_i [y_i = c] / sum_{i in N_k(x)} w_i, and the
    prediction is argmax_c P(c | x) (the first class in ``classes_`` on ties).  The
    search is exact (brute force); see the module docstring for the distance
    expansion, the heap selection and how ties are broken.

    Examples
    --------
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> y = ["a", "a", "b", "b"]
    >>> model = KNeighborsClassifier(n_neighbors=3).fit(X, y)
    >>> model.predict([[1.1]]).tolist()
    ['a']
    >>> np.round(model.predict_proba([[1.1]]), 3).tolist()
    [[0.667, 0.333]]
    """

    def fit(self, X, y):
        """Store the training set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings).

        Returns
        -------
        self
        """
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64, order="C")
        check_classification_targets(y)
        self.classes_, self.y_fit_ = np.unique(y, return_inverse=True)
        self._fit_data(X)
        return self

    def predict_proba(self, X=None):
        """The share of each class among the k neighbours (weighted under "distance").

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features), optional
            ``None``: leave-one-out on the training points.

        Returns
        -------
        ndarray of shape (n_queries, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        indices, w = self._neighbors_and_weights(X)
        codes = self.y_fit_[indices]  # (n_queries, k) positions in classes_
        scores = np.zeros((indices.shape[0], self.classes_.shape[0]))
        rows = np.arange(indices.shape[0])
        for j in range(indices.shape[1]):  # add the j-th neighbours' weights to their classes
            scores[rows, codes[:, j]] += w[:, j]
        # P(c | x) = sum_i w_i [y_i = c] / sum_i w_i
        return scores / scores.sum(axis=1, keepdims=True)

    def predict(self, X=None):
        """The class with the largest (weighted) vote among the k neighbours.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features), optional
            ``None``: leave-one-out on the training points.

        Returns
        -------
        ndarray of shape (n_queries,)

        Notes
        -----
        Each class's total is summed over the k neighbours with ``np.sum`` (the
        additions scikit-learn's weighted mode makes), so that classes whose totals
        are equal in exact arithmetic resolve the same way; the first class in
        ``classes_`` wins exact ties.
        """
        indices, w = self._neighbors_and_weights(X)
        codes = self.y_fit_[indices]  # (n_queries, k)
        totals = np.empty((indices.shape[0], self.classes_.shape[0]))
        for c in range(self.classes_.shape[0]):
            # total weight of class c among the neighbours: sum_i w_i [y_i = c]
            totals[:, c] = np.sum(np.where(codes == c, w, 0.0), axis=1)
        return self.classes_[np.argmax(totals, axis=1)]


class KNeighborsRegressor(RegressorMixin, _KNeighborsBase):
    """Predict the (weighted) mean target of the k nearest training points.

    Parameters
    ----------
    n_neighbors : int, default=5
        k, the number of neighbours averaged.
    weights : {"uniform", "distance"}, default="uniform"
        "uniform": plain mean.  "distance": weights 1 / distance; a query equal to one
        or more training points predicts their mean target.
    p : float >= 1 or inf, default=2
        Order of the Minkowski distance (2 Euclidean, 1 Manhattan, inf Chebyshev).
    n_jobs : int, optional
        Threads for the search (default: all available CPUs, capped by ``OMP_NUM_THREADS``).

    Attributes
    ----------
    X_fit_ : ndarray of shape (n_samples, n_features)
    y_fit_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    X_fit_sq_norms_ : ndarray of shape (n_samples,)
    n_samples_fit_, n_features_in_ : int

    Notes
    -----
    y_hat(x) = sum_{i in N_k(x)} w_i y_i / sum_{i in N_k(x)} w_i.  Several targets
    (2-D ``y``) are averaged column by column with the same neighbours.

    Examples
    --------
    >>> model = KNeighborsRegressor(n_neighbors=2).fit([[0.0], [1.0], [2.0], [3.0]], [0.0, 1.0, 4.0, 9.0])
    >>> model.predict([[0.4], [2.6]]).tolist()
    [0.5, 6.5]
    """

    def fit(self, X, y):
        """Store the training set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self
        """
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64, order="C", y_numeric=True, multi_output=True)
        self.y_fit_ = np.asarray(y, dtype=np.float64)
        self._fit_data(X)
        return self

    def predict(self, X=None):
        """Weighted mean target of the k neighbours.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features), optional
            ``None``: leave-one-out on the training points.

        Returns
        -------
        ndarray of shape (n_queries,) or (n_queries, n_outputs)
        """
        indices, w = self._neighbors_and_weights(X)
        y = self.y_fit_.reshape(self.y_fit_.shape[0], -1)  # (n_samples, n_outputs)
        # targets near 1e308 would overflow the sums: average y / s (a power of two) instead
        y_scale = overflow_safe_scale(max_abs(y), indices.shape[1], power=1.0)
        if y_scale != 1.0:
            y = y / y_scale
        if self.weights == "uniform":
            # (n_queries, k, n_outputs) -> mean over the k neighbours
            pred = np.mean(y[indices], axis=1)
        else:
            pred = np.empty((indices.shape[0], y.shape[1]))
            total = np.sum(w, axis=1)
            for out in range(y.shape[1]):
                pred[:, out] = np.sum(y[indices, out] * w, axis=1) / total
        if y_scale != 1.0:
            pred *= y_scale
        return pred.ravel() if self.y_fit_.ndim == 1 else pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
