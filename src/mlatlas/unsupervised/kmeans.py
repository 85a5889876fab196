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

The steps are written below as the maths reads (:func:`_lloyd_step`, :func:`_kmeans_plusplus`:
every ``||x - c||^2`` computed outright).  The fit runs the same steps fast, from
:mod:`._kmeans_kernels`: distances through a matrix product (BLAS GEMM, 512 rows at a
time), ``||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2``, where ``||x||^2`` is the same for every
centre, so the assignment only needs ``||c||^2 - 2 x.c``; numba loops for the argmin and
the sums; large inputs split over threads.  The data are centred first (subtracting the
mean of ``X`` moves every point and every centre alike) so that this expansion loses as
little precision as possible; the reported final inertia is summed from the differences
``x - c`` themselves.
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
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _parallel
from . import _kmeans_kernels as _kernels
from ..base import (History, InvalidParameterError, check_random_state, check_sample_weight,
                    check_scalar_param, max_abs, overflow_safe_scale)

__all__ = ["KMeans", "EmptyClusterWarning", "kmeans_plusplus"]

class EmptyClusterWarning(UserWarning):
    """A cluster lost all its samples during k-means and was re-seeded."""


# ---------------------------------------------------------------------------
# The algorithm as the maths reads (plain NumPy), and the fast step beside it
#
# ``_lloyd_step`` and ``_kmeans_plusplus`` compute every distance ||x - c||^2 outright.
# The fit uses the same steps from ``_kmeans_kernels`` (blocked matrix products, numba
# loops, row threads), which give the same labels and centres; the tests check it.
# ---------------------------------------------------------------------------


def _lloyd_step(X, centers, sample_weight=None, x_squared_norms=None):
    """One Lloyd iteration, written as the maths reads: assign every sample, then move the centres.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
        The centres to assign to (not modified).
    sample_weight : ndarray of shape (n_samples,), optional
        Weights ``w_i`` (ones when omitted).
    x_squared_norms : ignored
        Accepted so that this step and :func:`_lloyd_step_fast` are interchangeable.

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
    n_samples, n_clusters = X.shape[0], centers.shape[0]
    w = np.ones(n_samples) if sample_weight is None else sample_weight
    # ||x_i - c_j||^2 for every sample and centre: (n, 1, d) - (1, k, d) -> (n, k)
    d2 = np.sum((X[:, None, :] - centers[None, :, :]) ** 2, axis=2)
    # 1. assignment: label_i = argmin_j ||x_i - c_j||^2
    labels = np.argmin(d2, axis=1).astype(np.int32)
    # J = sum_i w_i ||x_i - c_{label_i}||^2, for the centres the step started from
    inertia = float(np.sum(w * d2[np.arange(n_samples), labels]))
    # sum_{i in S_j} w_i x_i, (k, d), and sum_{i in S_j} w_i, (k,)
    sums = np.zeros(centers.shape)
    np.add.at(sums, labels, w[:, None] * X)
    weight_in = np.bincount(labels, weights=w, minlength=n_clusters)
    # 2. update: c_j = sum_{i in S_j} w_i x_i / sum_{i in S_j} w_i
    new_centers, reseeded = _move_centers(X, w, centers, labels, sums, weight_in)
    return labels, new_centers, inertia, reseeded


def _lloyd_step_fast(X, centers, sample_weight=None, x_squared_norms=None):
    """:func:`_lloyd_step` by the blocked, threaded kernel (the same labels and centres).

    ``X`` must be C-contiguous float64; ``x_squared_norms`` (``||x_i||^2``) is computed
    once per fit by the caller.  The inertia comes from the expansion
    ``||x||^2 - 2 x.c + ||c||^2`` (it agrees with the direct sum to rounding).
    """
    weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    x_sq = _kernels.squared_norms(X) if x_squared_norms is None else x_squared_norms
    labels, sums, weight_in, inertia = _kernels.lloyd_assign(X, centers, weight, x_sq)
    new_centers, reseeded = _move_centers(X, weight, centers, labels, sums, weight_in)
    return labels, new_centers, inertia, reseeded


def _move_centers(X, weight, centers, labels, sums, weight_in):
    """The update step from the cluster sums: ``c_j = sum_{i in S_j} w_i x_i / sum_{i in S_j} w_i``.

    A cluster left without samples is re-seeded first (:func:`_reseed_empty`, which
    updates ``labels``, ``sums`` and ``weight_in`` in place); one that cannot be keeps
    its centre.  Returns ``(new_centers, reseeded clusters)``.
    """
    reseeded = np.flatnonzero(weight_in == 0)
    if not reseeded.size:
        # c_j = sum_{i in S_j} w_i x_i / sum_{i in S_j} w_i
        return sums / weight_in[:, None], reseeded
    reseeded = _reseed_empty(X, weight, centers, labels, sums, weight_in, reseeded)
    filled = weight_in > 0
    new_centers = np.array(centers, dtype=np.float64)
    new_centers[filled] = sums[filled] / weight_in[filled, None]
    return new_centers, reseeded


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


def _first_seed(weight, rng) -> int:
    """The first k-means++ centre: sample i with probability w_i / sum_j w_j."""
    if np.all(weight == weight[0]):
        return int(rng.integers(weight.shape[0]))  # uniform: the same draw, without building p
    return int(rng.choice(weight.shape[0], p=weight / weight.sum()))


def _kmeans_plusplus(X, n_clusters, weight, rng, n_local_trials):
    """Greedy k-means++ as the maths reads (plain NumPy); see :func:`kmeans_plusplus`.

    The same draws from ``rng`` as the fast version, so the same seeds on the same data.
    Returns ``(centers, indices)``.
    """
    n_samples = X.shape[0]
    indices = [_first_seed(weight, rng)]
    # D(x_i)^2 = ||x_i - c_1||^2, the squared distance to the nearest centre chosen so far, (n,)
    D2 = np.sum((X - X[indices[0]]) ** 2, axis=1)
    for _ in range(1, n_clusters):
        # draw candidates t with P(t) = w_t D(x_t)^2 / sum_i w_i D(x_i)^2 (inverse CDF)
        cdf = np.cumsum(weight * D2)
        draws = rng.random(n_local_trials) * cdf[-1]
        candidates = np.minimum(np.searchsorted(cdf, draws), n_samples - 1)
        # ||x_i - x_t||^2 for every sample and candidate: (n, 1, d) - (1, t, d) -> (n, t)
        d2 = np.sum((X[:, None, :] - X[candidates][None, :, :]) ** 2, axis=2)
        # the potential if candidate t joined: sum_i w_i min(D(x_i)^2, ||x_i - x_t||^2), (t,)
        potentials = weight @ np.minimum(D2[:, None], d2)
        # keep the candidate that lowers the potential most
        best = int(np.argmin(potentials))
        D2 = np.minimum(D2, d2[:, best])
        indices.append(int(candidates[best]))
    indices = np.asarray(indices, dtype=np.intp)
    return X[indices], indices


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
    is kept.  :func:`_kmeans_plusplus` is this procedure in plain NumPy; the fast
    kernel used here computes ``D^2`` through matrix products.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> centers, idx = kmeans_plusplus(X, 2, random_state=0)
    >>> sorted(int(i) // 2 for i in idx)   # one seed in each far-apart pair
    [0, 1]
    """
    rng = check_random_state(random_state)
    X = np.ascontiguousarray(X, dtype=np.float64)
    weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    x_sq = _kernels.squared_norms(X) if x_squared_norms is None else x_squared_norms
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    first = _first_seed(weight, rng)
    return _kernels.kmeans_plusplus(X, n_clusters, weight, x_sq, first, rng, n_local_trials)


def _kmeans_single(X, weight, centers, max_iter, tol, x_sq, step=_lloyd_step_fast):
    """Lloyd's iterations from ``centers`` until labels stop changing or the shift is small.

    ``step`` is :func:`_lloyd_step_fast` (or the plain :func:`_lloyd_step`, the same
    iterations).  Returns labels, inertia, centers, n_iter, history rows and the
    re-seeding events.
    """
    labels_old = None
    rows = []
    events = []
    for iteration in range(1, max_iter + 1):
        labels, new_centers, inertia, reseeded = step(X, centers, weight, x_sq)
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
    labels, d2 = _kernels.nearest(X, centers)
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
        x_sq = _kernels.squared_norms(X)
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
            runs = _kernels.map_runs(one_run, n_init, X.shape[0])

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
            labels, d2 = _kernels.nearest(Xc, centers)
        scale = self._safe_scale(X, d2, centers)
        if scale != 1.0:
            # squares of the data overflow (or underflow) float64: redo it on X / s
            labels, d2 = _kernels.nearest(*self._centred(X, scale))
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
        d2 += _kernels.squared_norms(Xc)[:, None]
        d2 += _kernels.squared_norms(centers)
        np.maximum(d2, 0.0, out=d2)
        return np.sqrt(d2, out=d2)

    def score(self, X, y=None, sample_weight=None):
        """Minus the inertia of ``X`` under the fitted centres (higher is better)."""
        check_is_fitted(self)
        _, d2, scale = self._assign(X)
        weight = check_sample_weight(sample_weight, d2.shape[0])
        return -_unscale_squares(float(d2 @ weight), scale, "the inertia")
