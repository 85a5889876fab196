"""k-means clustering: Lloyd's algorithm with k-means++ or random seeding.

k-means splits ``n`` samples ``x_1..x_n`` into ``k`` groups ``S_1..S_k``, each summarised
by its centre (centroid) ``c_j``, so that the within-cluster sum of squares, the
*inertia*, is as small as possible::

    J(S, c) = sum_j sum_{i in S_j} w_i ||x_i - c_j||^2          (w_i = sample weights, 1 by default)

Lloyd's algorithm lowers ``J`` by alternating two exact minimisations:

1. assignment: with the centres fixed, each sample joins its nearest centre,
   ``label_i = argmin_j ||x_i - c_j||^2``;
2. update: with the groups fixed, each centre moves to the (weighted) mean of its
   samples, ``c_j = sum_{i in S_j} w_i x_i / sum_{i in S_j} w_i``.

Neither step can increase ``J``, so the inertia per iteration never goes up; the loop
stops when no label changes or when the centres move by less than
``tol * mean_f Var(X[:, f])`` (the total squared shift, as scikit-learn measures it).
The result is a local minimum that depends on the starting centres, hence several
starts (``n_init``) keeping the one with the lowest inertia.

Distances go through a matrix product (BLAS GEMM, 512 rows at a time):
``||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2``, and ``||x||^2`` is the same for every centre,
so the assignment only needs ``||c||^2 - 2 x.c``.  The data are centred first
(subtracting the mean of ``X`` moves every point and every centre alike) so that this
expansion loses as little precision as possible; the reported final inertia is summed
from the differences ``x - c`` themselves.  Large inputs are split over threads.
Data so large (or small) that their squares would overflow (or underflow) float64 are
clustered as ``X / s``, ``s`` a power of two (exact), and the centres and inertia are
scaled back; see :func:`mlatlas.base.overflow_safe_scale`.

Seeding:

* ``"random"`` picks ``k`` distinct samples as the first centres (the textbook procedure);
* ``"k-means++"`` picks the first centre at random, then each next one with probability
  proportional to ``w_i D(x_i)^2`` (``D`` = distance to the nearest centre chosen so far);
  the "greedy" variant draws ``2 + ln k`` candidates per step and keeps the one that lowers
  the potential ``sum_i w_i D(x_i)^2`` most (Arthur and Vassilvitskii, 2007).

A cluster can lose all its samples (a bad start, duplicated points).  It is then
re-seeded with the sample farthest from its assigned centre, and the fit warns with
:class:`EmptyClusterWarning` saying which clusters were moved and when.

References
----------
S. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28(2), 1982.
D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from numba import njit
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _parallel
from ..base import (History, InvalidParameterError, check_random_state, check_sample_weight,
                    check_scalar_param, max_abs, overflow_safe_scale)

__all__ = ["KMeans", "EmptyClusterWarning", "kmeans_plusplus"]

# Rows per block of the distance product: the (k, 512) block of cross products stays in
# the L1/L2 cache while the kernel scans it.
_BLOCK_ROWS = 512
# Large inputs are split over threads by rows (the kernels release the GIL); below this
# many rows per thread the hand-off costs more than it saves, and the n_init starts
# run side by side instead.
_MIN_ROWS_PER_THREAD = 20_000


class EmptyClusterWarning(UserWarning):
    """A cluster lost all its samples during k-means and was re-seeded."""


# ---------------------------------------------------------------------------
# Numeric core (pure functions on validated, C-contiguous float64 arrays)
#
# The kernels below run under numba because their loops do not vectorise well in
# NumPy: an argmin over a handful of centres per row and an indexed accumulation into
# the cluster sums.  The distances themselves come from a matrix product (BLAS GEMM),
# one block of rows at a time, as in the expansion in the module docstring.
# ---------------------------------------------------------------------------


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


def _squared_norms(X: np.ndarray) -> np.ndarray:
    # ||x_i||^2 for every row, (n,)
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


def _map_runs(fn, n_runs, n_samples):
    """``[fn(r) for r in range(n_runs)]``; the runs share the threads when the rows do not.

    Small inputs are too small to split by rows, but independent starts are whole
    tasks.  Each run draws from its own generator, so the result does not depend on
    the scheduling.
    """
    if n_runs == 1 or _row_threads(n_samples) > 1:
        return [fn(r) for r in range(n_runs)]
    return _parallel.parallel_map(fn, range(n_runs))


def _lloyd_step(X, centers, sample_weight=None, x_squared_norms=None):
    """One Lloyd iteration: assign every sample to its nearest centre, then move the centres.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64, C-contiguous
    centers : ndarray of shape (n_clusters, n_features)
        The centres to assign to (not modified).
    sample_weight : ndarray of shape (n_samples,), optional
        Weights ``w_i`` (ones when omitted).
    x_squared_norms : ndarray of shape (n_samples,), optional
        ``||x_i||^2``, computed once per fit by the caller.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
        ``argmin_j ||x_i - centers_j||^2``.
    new_centers : ndarray of shape (n_clusters, n_features)
        Weighted mean of each cluster's samples.
    inertia : float
        ``sum_i w_i ||x_i - centers_{label_i}||^2`` for the *input* centres.
    reseeded : ndarray of int
        Clusters that received no sample and were re-seeded with the sample farthest
        from its assigned centre (empty almost always).

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> labels, centers, inertia, _ = _lloyd_step(X, np.array([[0.0, 0.0], [4.0, 1.0]]))
    >>> labels.tolist(), centers.tolist(), inertia
    ([0, 0, 1, 1], [[0.0, 0.5], [4.0, 0.5]], 2.0)
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    weight = np.ones(n_samples) if sample_weight is None else sample_weight
    x_sq = _squared_norms(X) if x_squared_norms is None else x_squared_norms
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    centers_sq = _squared_norms(centers)  # (k,)
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

    reseeded = np.flatnonzero(weight_in == 0)
    if reseeded.size:
        reseeded = _reseed_empty(X, weight, centers, labels, sums, weight_in, reseeded)
        filled = weight_in > 0
        new_centers = centers.copy()
        new_centers[filled] = sums[filled] / weight_in[filled, None]
    else:
        # c_j = sum_{i in S_j} w_i x_i / sum_{i in S_j} w_i
        new_centers = sums / weight_in[:, None]
    return labels, new_centers, float(inertia), reseeded


def _reseed_empty(X, weight, centers, labels, sums, weight_in, empty):
    """Give each empty cluster the sample farthest from its assigned centre (in place).

    The farthest samples are the worst-represented ones, so moving one of them into its
    own cluster lowers the inertia the most among single-sample moves.  ``labels`` is
    updated too.  Returns the clusters actually re-seeded (none if all samples coincide
    with their centres, e.g. fewer distinct points than clusters).
    """
    # ||x_i - c_{label_i}||^2 for every sample, (n,)
    diff = X - centers[labels]
    d2 = np.einsum("ij,ij->i", diff, diff)
    n_empty = empty.size
    if d2.max() <= 0.0:
        return empty[:0]
    far = np.argpartition(d2, -n_empty)[-n_empty:]
    far = far[np.argsort(-d2[far], kind="stable")]
    done = []
    for cluster, i in zip(empty, far):
        if d2[i] <= 0.0:
            break
        old = labels[i]
        w = weight[i]
        sums[old] -= w * X[i]
        weight_in[old] -= w
        sums[cluster] = w * X[i]
        weight_in[cluster] = w
        labels[i] = cluster
        done.append(cluster)
    return np.asarray(done, dtype=np.intp)


def _labels_and_distances(X, centers):
    """Nearest centre and exact squared distance to it for every row, (n,) and (n,)."""
    n_samples = X.shape[0]
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    labels = np.empty(n_samples, dtype=np.int32)
    min_d2 = np.empty(n_samples)
    centers_sq = _squared_norms(centers)  # (k,)
    _map_rows(lambda start, stop: _nearest_kernel(X[start:stop], centers, centers_sq,
                                                  labels[start:stop], min_d2[start:stop]), n_samples)
    return labels, min_d2


def kmeans_plusplus(X, n_clusters, *, sample_weight=None, x_squared_norms=None,
                    random_state=None, n_local_trials=None):
    """Greedy k-means++ seeding: ``n_clusters`` samples spread out over the data.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    sample_weight : ndarray of shape (n_samples,), optional
    x_squared_norms : ndarray of shape (n_samples,), optional
    random_state : None, int or numpy.random.Generator
    n_local_trials : int, optional
        Candidates drawn per new centre; ``2 + int(ln k)`` by default.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        Row of ``X`` each centre was taken from.

    Notes
    -----
    With ``D(x)^2`` the squared distance to the nearest centre chosen so far, each
    candidate ``x_t`` is drawn with probability ``w_t D(x_t)^2 / sum_i w_i D(x_i)^2``;
    the candidate whose addition gives the smallest potential ``sum_i w_i D(x_i)^2``
    is kept.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> centers, idx = kmeans_plusplus(X, 2, random_state=0)
    >>> sorted(int(i) // 2 for i in idx)   # one seed in each far-apart pair
    [0, 1]
    """
    rng = check_random_state(random_state)
    X = np.asarray(X, dtype=float)
    n_samples, n_features = X.shape
    weight = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    x_sq = _squared_norms(X) if x_squared_norms is None else x_squared_norms
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))

    centers = np.empty((n_clusters, n_features))
    indices = np.empty(n_clusters, dtype=np.intp)
    if np.all(weight == weight[0]):
        first = int(rng.integers(n_samples))  # uniform: the same draw, without building p
    else:
        first = rng.choice(n_samples, p=weight / weight.sum())
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


def _kmeans_single(X, weight, centers, max_iter, tol, x_sq):
    """Lloyd's iterations from ``centers`` until labels stop changing or the shift is small.

    Returns labels, inertia, centers, n_iter, history rows and the re-seeding events.
    """
    labels_old = None
    rows = []
    events = []
    for iteration in range(1, max_iter + 1):
        labels, new_centers, inertia, reseeded = _lloyd_step(X, centers, weight, x_sq)
        # total squared movement of the centres, sum_j ||c_j' - c_j||^2
        shift = float(((new_centers - centers) ** 2).sum())
        changed = X.shape[0] if labels_old is None else int(np.count_nonzero(labels != labels_old))
        row = {"iteration": iteration, "inertia": inertia, "center_shift": shift, "n_changed": changed}
        if reseeded.size:
            row["reseeded"] = reseeded.tolist()
            events.append((iteration, reseeded.tolist()))
        rows.append(row)
        centers = new_centers
        if changed == 0 or shift <= tol:
            break
        labels_old = labels
    # A last assignment to the final centres: the labels belong to them and the inertia
    # is theirs.  (After a stop with no label change it reproduces the same labels.)
    labels, d2 = _labels_and_distances(X, centers)
    return labels, float(d2 @ weight), centers, iteration, rows, events


def _unscale_squares(value: float, scale: float, what: str) -> float:
    """A sum of squared distances measured on X / s, in the units of X: s^2 value."""
    if scale == 1.0:
        return value
    with np.errstate(over="ignore"):
        value = value * scale * scale
    if not np.isfinite(value):
        raise ValueError(
            f"X is too large: {what} (a sum of squared distances) overflows float64; "
            "rescale X, e.g. divide it by its largest absolute value.")
    return value


# ---------------------------------------------------------------------------
# Estimator
# ---------------------------------------------------------------------------


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means clustering by Lloyd's algorithm.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters ``k``.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features), default="k-means++"
        ``"random"``: ``k`` distinct samples drawn at random; ``"k-means++"``: greedy
        k-means++ seeding; an array: these exact starting centres (then one run only).
    n_init : int, default=10
        Number of starts; the run with the lowest final inertia is kept.
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        A run stops when ``sum_j ||c_j' - c_j||^2 <= tol * mean(Var(X[:, f]))``
        (or, earlier, when no label changes).
    random_state : None, int or numpy.random.Generator
        Seeds the starts.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        ``sum_i w_i ||x_i - c_{label_i}||^2`` of the kept run.
    n_iter_ : int
        Lloyd iterations of the kept run.
    history_ : History
        One row per iteration of the kept run: ``inertia`` (for the centres at the
        start of that iteration; never increases), ``center_shift`` (total squared
        move), ``n_changed`` (labels that changed) and ``reseeded`` when a cluster
        emptied.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> float(km.inertia_)
    16.0
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init=10, max_iter=300, tol=1e-4,
                 random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # -- validation --------------------------------------------------------
    def _check_params(self, X):
        check_scalar_param(self.n_clusters, "n_clusters", kind=numbers.Integral, low=1)
        check_scalar_param(self.n_init, "n_init", kind=numbers.Integral, low=1)
        check_scalar_param(self.max_iter, "max_iter", kind=numbers.Integral, low=1)
        check_scalar_param(self.tol, "tol", kind=numbers.Real, low=0.0)
        if X.shape[0] < self.n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}.")
        init = self.init
        if isinstance(init, str):
            if init not in ("k-means++", "random"):
                raise InvalidParameterError(f"init must be 'k-means++', 'random' or an array of shape "
                                 f"(n_clusters, n_features); got {init!r}.")
            return init, int(self.n_init)
        if callable(init) or np.ndim(init) != 2:
            raise InvalidParameterError(f"init must be 'k-means++', 'random' or an array of shape "
                             f"(n_clusters, n_features); got {init!r}.")
        init = np.array(init, dtype=float)
        expected = (self.n_clusters, X.shape[1])
        if init.shape != expected:
            raise ValueError(f"init array must have shape (n_clusters, n_features) = {expected}; "
                             f"got {init.shape}.")
        if not np.all(np.isfinite(init)):
            raise ValueError("init array must hold finite numbers; got NaN or infinity.")
        n_init = int(self.n_init)
        if n_init != 1:
            warnings.warn(f"KMeans: explicit initial centres given, so only one run is made "
                          f"instead of n_init={n_init}.", RuntimeWarning, stacklevel=3)
        return init, 1

    # -- fitting -----------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None):
        """Cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Weight of each sample in the centres and the inertia.

        Returns
        -------
        self
        """
        X = validate_data(self, X, dtype=np.float64, order="C", copy=True)
        init, n_init = self._check_params(X)
        weight = check_sample_weight(sample_weight, X.shape[0])
        rng = check_random_state(self.random_state)

        # Squares of X must not overflow (or underflow): cluster X / s, s a power of two
        # (exact, and 1 on ordinary data); centres scale back by s, squared distances by s^2.
        scale = overflow_safe_scale(max_abs(X), X.shape[1])
        if scale != 1.0:
            X /= scale
        # Centre the data: distances are unchanged, the expansion ||x||^2 - 2x.c + ||c||^2
        # loses less precision.  (X is our own copy.)
        x_mean = X.mean(axis=0)
        X -= x_mean
        x_sq = _squared_norms(X)
        # the convergence threshold, relative to the data's spread
        tol = float(np.mean(np.var(X, axis=0)) * self.tol)

        # one generator per start: reproducible whichever thread runs which start
        seeds = rng.integers(0, 2**63 - 1, size=n_init)

        def one_run(run):
            run_rng = np.random.default_rng(seeds[run])
            if isinstance(init, str) and init == "k-means++":
                centers, _ = kmeans_plusplus(X, self.n_clusters, sample_weight=weight,
                                             x_squared_norms=x_sq, random_state=run_rng)
            elif isinstance(init, str):
                chosen = run_rng.choice(X.shape[0], size=self.n_clusters, replace=False,
                                        p=weight / weight.sum())
                centers = X[chosen]
            else:
                centers = init / scale - x_mean
            return _kmeans_single(X, weight, centers, self.max_iter, tol, x_sq)

        # The products are small (a block of rows times k centres): BLAS threads on them
        # only add synchronisation, and they would fight the row threads for the cores.
        with _parallel.limit_blas(1):
            runs = _map_runs(one_run, n_init, X.shape[0])

        best = None
        all_events = []
        for run, (labels, inertia, centers, n_iter, rows, events) in enumerate(runs, start=1):
            all_events += [(run, it, clusters) for it, clusters in events]
            if best is None or inertia < best[1]:
                best = (labels, inertia, centers, n_iter, rows)

        labels, inertia, centers, n_iter, rows = best
        if all_events:
            run, it, clusters = all_events[0]
            n_moved = sum(len(c) for _, _, c in all_events)
            warnings.warn(
                f"KMeans: clusters lost all their samples {len(all_events)} time(s) "
                f"({n_moved} re-seeding(s); first in run {run}, iteration {it}, clusters {clusters}). "
                "Each emptied cluster was re-seeded with the sample farthest from its centre.",
                EmptyClusterWarning, stacklevel=2)
        distinct = np.unique(labels).size
        if distinct < self.n_clusters:
            warnings.warn(
                f"KMeans: only {distinct} distinct clusters found for n_clusters={self.n_clusters}, "
                "possibly because X has fewer distinct points than clusters.",
                EmptyClusterWarning, stacklevel=2)

        if scale != 1.0:
            inertia = _unscale_squares(inertia, scale, "the inertia")
            for row in rows:
                row["inertia"] = _unscale_squares(row["inertia"], scale, "the inertia")
                row["center_shift"] = _unscale_squares(row["center_shift"], scale, "a centre shift")
        self.cluster_centers_ = (centers + x_mean) * scale
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = int(n_iter)
        self.history_ = History(rows)
        return self

    @property
    def _n_features_out(self):
        # transform gives one column per centre (used by get_feature_names_out)
        return self.cluster_centers_.shape[0]

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return the cluster of each training sample (``labels_``)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit and return the distances of each training sample to every centre."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    # -- using the fitted model ----------------------------------------------
    def _centred(self, X, scale=1.0):
        """X and the centres divided by ``scale`` and shifted by the centres' mean."""
        centers = self.cluster_centers_
        if scale != 1.0:
            X, centers = X / scale, centers / scale
        # Shift data and centres alike (distances unchanged) for a more precise expansion.
        shift = centers.mean(axis=0)
        return X - shift, centers - shift

    def _safe_scale(self, X, nearest_d2, centers_c):
        """The power of two the data should have been divided by (1.0 almost always).

        Checked after the fact, from the answer itself, so ordinary data pay O(n) for it:
        every centred row satisfies |x| <= ||x - c_label|| + |c_label| (triangle
        inequality), which bounds the data unless a distance overflowed.
        """
        with np.errstate(invalid="ignore"):
            top = float(np.max(nearest_d2)) if nearest_d2.size else 0.0
        if 1e-250 < top < np.inf or top == 0.0:
            return overflow_safe_scale(np.sqrt(top) + max_abs(centers_c), X.shape[1])
        # an overflowed (or vanishing) distance: measure the data themselves
        return overflow_safe_scale(max(max_abs(X), max_abs(self.cluster_centers_)), X.shape[1])

    def _assign(self, X):
        """Nearest centre of each row, squared distance to it (in units of X / s), and s."""
        X = validate_data(self, X, dtype=np.float64, order="C", reset=False)
        Xc, centers = self._centred(X)
        with np.errstate(over="ignore", invalid="ignore"):
            labels, d2 = _labels_and_distances(Xc, centers)
        scale = self._safe_scale(X, d2, centers)
        if scale != 1.0:
            # squares of the data overflow (or underflow) float64: redo it on X / s
            labels, d2 = _labels_and_distances(*self._centred(X, scale))
        return labels, d2, scale

    def predict(self, X):
        """Index of the nearest centre for each row of ``X``, (n_samples,)."""
        check_is_fitted(self)
        return self._assign(X)[0]

    def transform(self, X):
        """Euclidean distance from each row of ``X`` to every centre, (n_samples, n_clusters)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, order="C", reset=False)
        Xc, centers = self._centred(X)
        with np.errstate(over="ignore", invalid="ignore"):
            distances = self._distances(Xc, centers)
            scale = self._safe_scale(X, np.min(distances, axis=1) ** 2, centers)
        if scale != 1.0:
            distances = self._distances(*self._centred(X, scale))
            with np.errstate(over="ignore"):
                distances *= scale  # ||x - c|| = s ||x / s - c / s||
            if not np.all(np.isfinite(distances)):
                raise ValueError("X is too large: its distances to the centres overflow float64.")
        return distances

    @staticmethod
    def _distances(Xc, centers):
        # ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2: (n, d) @ (d, k) -> (n, k)
        d2 = Xc @ centers.T
        d2 *= -2.0
        d2 += _squared_norms(Xc)[:, None]
        d2 += _squared_norms(centers)
        np.maximum(d2, 0.0, out=d2)
        return np.sqrt(d2, out=d2)

    def score(self, X, y=None, sample_weight=None):
        """Minus the inertia of ``X`` under the fitted centres (higher is better)."""
        check_is_fitted(self)
        _, d2, scale = self._assign(X)
        weight = check_sample_weight(sample_weight, d2.shape[0])
        return -_unscale_squares(float(d2 @ weight), scale, "the inertia")
