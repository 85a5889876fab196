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

The search is written twice.  :func:`_kneighbors_plain` is the definition: every
distance d(x, y_j), then the k smallest by a sort.  The estimators use the fast search
of :mod:`._neighbors_kernels`, which gives the same neighbours without ever holding
the (n_queries, n_train) distance matrix: for p = 2 the squared distances of 256 x 256
tiles come from one matrix product, ||x - y||^2 = ||x||^2 - 2 x.y + ||y||^2, each
query keeps its k best candidates in a bounded max-heap, and the k winners' distances
are recomputed directly at the end (so exact matches come out as exactly 0).

Ties
----
Which of several training points at exactly the same distance are kept is decided by
the heap (training points offered in index order, a point enters only if strictly
closer than the heap's worst).  It is the procedure scikit-learn's brute-force search uses
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
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import check_option, check_scalar_param, max_abs, overflow_safe_scale
from . import _neighbors_kernels as _kernels

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "brute_kneighbors"]

# ---------------------------------------------------------------------------
# The search as the maths reads (plain NumPy); the fast one is in _neighbors_kernels
# ---------------------------------------------------------------------------


def _minkowski_distances(X, Y, p):
    """d_p(x_i, y_j) for every query and training point, (n_queries, n_train).

    Plain NumPy on an (n_queries, n_train, n_features) array of differences: for small
    data and for reading; the estimators search with the tiled kernel.
    """
    # |x_if - y_jf| for every pair and feature: (n, 1, d) - (1, m, d) -> (n, m, d)
    diff = np.abs(X[:, None, :] - Y[None, :, :])
    if p == np.inf:
        # d_inf(x, y) = max_f |x_f - y_f|
        return diff.max(axis=2)
    if p == 1.0:
        # d_1(x, y) = sum_f |x_f - y_f|
        return diff.sum(axis=2)
    # d_p(x, y) = (sum_f |x_f - y_f|^p)^(1/p)
    return (diff ** p).sum(axis=2) ** (1.0 / p)


def _kneighbors_plain(X, Y, k, p=2.0):
    """The k nearest rows of ``Y`` for every row of ``X``: all distances, then a sort.

    Returns ``(distances, indices)``, each (n_queries, k), nearest first.  The same
    neighbours as :func:`brute_kneighbors` whenever no two training points are at
    exactly the same distance from a query (a stable sort lists tied points by index;
    the heap keeps scikit-learn's tie rule, see the module docstring).

    Examples
    --------
    >>> Y = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    >>> d, i = _kneighbors_plain(np.array([[0.0, 0.5]]), Y, 2)
    >>> i.tolist(), np.round(d, 4).tolist()
    ([[0, 2]], [[0.5, 1.118]])
    """
    D = _minkowski_distances(X, Y, float(p))  # (n_queries, n_train)
    # N_k(x_i): the k smallest d(x_i, y_j), nearest first
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, order, axis=1), order


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
    p = float(p)
    X_sq = _kernels.squared_row_norms(X) if p == 2.0 else None
    scale = _search_scale(X, Y, p, X_sq, Y_sq)
    if scale != 1.0:
        # squares of the data would overflow (or underflow): search on X / s and Y / s
        X, Y = X / scale, Y / scale
        X_sq = _kernels.squared_row_norms(X) if p == 2.0 else None
        Y_sq = None
    distances, indices = _kernels.tiled_kneighbors(X, Y, k, p, X_sq, Y_sq, n_threads)
    return distances, indices, scale


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

    def fit(self, X, y):
        """Store the training set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings) for the classifier; targets, of shape
            (n_samples,) or (n_samples, n_outputs), for the regressor.

        Returns
        -------
        self
        """
        self._check_params()
        X = self._validate_targets(X, y)
        n_samples = X.shape[0]
        if self.n_neighbors > n_samples:
            raise ValueError(
                f"n_neighbors must be <= the number of training samples; got "
                f"n_neighbors = {self.n_neighbors}, n_samples = {n_samples}."
            )
        self.X_fit_ = np.ascontiguousarray(X, dtype=np.float64)
        self.X_fit_sq_norms_ = _kernels.squared_row_norms(self.X_fit_)
        self.n_samples_fit_ = n_samples
        return self

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

    def _validate_targets(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64, order="C")
        check_classification_targets(y)
        # labels as positions in the sorted classes
        self.classes_, self.y_fit_ = np.unique(y, return_inverse=True)
        return X

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

    def _validate_targets(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64, order="C", y_numeric=True, multi_output=True)
        self.y_fit_ = np.asarray(y, dtype=np.float64)
        return X

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
