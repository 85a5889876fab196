r"""Support vector classification solved by our own SMO.

The model
---------
A binary SVM separates labels ``y_i in {+1, -1}`` with the hyperplane
``w . phi(x) + b = 0`` in the feature space of a kernel ``K(x, z) = phi(x) . phi(z)``.
The distance of a point to it is ``|w . phi(x) + b| / ||w||``; fixing the closest
points at ``y_i (w . phi(x_i) + b) = 1`` makes the margin ``2 / ||w||``, so the widest
margin is the smallest ``||w||``:

    hard margin:  min_{w,b} 1/2 ||w||^2                    s.t. y_i (w . phi(x_i) + b) >= 1
    soft margin:  min_{w,b,xi} 1/2 ||w||^2 + C sum_i xi_i  s.t. y_i (w . phi(x_i) + b) >= 1 - xi_i,
                                                                 xi_i >= 0

``C`` prices each unit of margin violation ``xi_i``; ``C = inf`` is the hard margin.

The dual
--------
With Lagrange multipliers ``alpha_i`` the soft-margin problem becomes (in the
minimisation form libsvm uses)

    min_alpha f(alpha) = 1/2 alpha^T Q alpha - e^T alpha,   Q_ij = y_i y_j K(x_i, x_j)
    s.t.      0 <= alpha_i <= C,   y^T alpha = 0

and ``w = sum_i alpha_i y_i phi(x_i)``; the points with ``alpha_i > 0`` are the
support vectors.  The decision function is

    f(x) = sum_{i in SV} alpha_i y_i K(x_i, x) - rho          (rho = -b)

SMO (Platt 1998) improves two multipliers at a time (two, because ``y^T alpha = 0``
moves them together) in closed form.  With ``G = Q alpha - e`` and

    I_up  = {t : y_t = +1, alpha_t < C} u {t : y_t = -1, alpha_t > 0}
    I_low = {t : y_t = +1, alpha_t > 0} u {t : y_t = -1, alpha_t < C}
    m(alpha) = max_{t in I_up} -y_t G_t,      M(alpha) = min_{t in I_low} -y_t G_t

``alpha`` is optimal exactly when ``m(alpha) <= M(alpha)`` (the KKT conditions); SMO
stops when the largest KKT violation ``m(alpha) - M(alpha)`` is below ``tol``.
The working pair is chosen with second-order information (Fan, Chen & Lin 2005, "WSS 3"):

    i = argmax_{t in I_up} -y_t G_t
    j = argmin_{t in I_low, -y_t G_t < m} -b_it^2 / a_it,
        b_it = m(alpha) + y_t G_t,  a_it = K_ii + K_tt - 2 K_it

(``-b^2 / a`` is how much ``f`` falls when only ``alpha_i, alpha_j`` move), and then
``alpha_i += y_i s``, ``alpha_j -= y_j s`` with ``s = b_ij / a_ij`` cut to the box.  Kernel
rows are cached (least-recently-used rows, at most ``cache_size`` MB).

The intercept is the average of ``y_t G_t`` over the free multipliers
(``0 < alpha_t < C``), where ``y_t f(x_t) = 1`` holds exactly; with none free it is the
middle of the interval the KKT conditions allow.

Hard margin (``C = inf``): the dual is bounded exactly when the classes can be
separated in the kernel's feature space.  If SMO has not converged after
``max(1000, 10 n)`` iterations we decide separability with a linear program (does
``y_i (sum_j K_ij beta_j + b) >= 1`` for all ``i`` have a solution ``beta, b``?) and raise
a ``ValueError`` when it has none, instead of letting ``alpha`` grow forever.

More classes: one-vs-one, a binary SVM for every pair of classes ``a < b`` (``a`` is
the ``+1`` side) trained on their samples only; each pair votes for ``a`` when its
decision value is ``> 0`` and for ``b`` otherwise, and the class with most votes wins
(the lowest index on ties).  The fitted attributes use libsvm's layout, so they can be
compared number for number with :class:`sklearn.svm.SVC`.

Two versions of SMO: :func:`smo_readable` at the end of this file is the iteration
above written plainly on the whole kernel matrix; :class:`SVC` runs the same steps
compiled (``_svm_kernels.py``), computing kernel rows only when a working pair needs
them and keeping them in a cache.  The tests check that both reach the same multipliers.

References
----------
- Cortes & Vapnik (1995), Support-vector networks. Machine Learning 20.
- Platt (1998), Sequential minimal optimization. MSR-TR-98-14.
- Keerthi, Shevade, Bhattacharyya & Murthy (2001), Improvements to Platt's SMO
  algorithm for SVM classifier design. Neural Computation 13.
- Fan, Chen & Lin (2005), Working set selection using second order information for
  training support vector machines. JMLR 6.
- Chang & Lin (2011), LIBSVM: a library for support vector machines. ACM TIST 2.
"""

from __future__ import annotations

import itertools
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import (ConvergenceWarning, History, InvalidParameterError, check_option,
                    check_sample_weight, check_scalar_param, max_abs, overflow_safe_scale)
from . import _svm_kernels as _kernels
from .kernel_functions import (cached_kernel_matrix, check_kernel_range, kernel_diagonal, kernel_matrix,
                               safe_kernel_data)

__all__ = ["SVC", "smo_readable"]

# SMO runs in blocks of iterations, history_ gets one record per block: blocks of 10
# iterations at first, growing to 100 (a fifth of the iterations done so far).
_BLOCK_MIN, _BLOCK_MAX = 10, 100


class SVC(ClassifierMixin, BaseEstimator):
    """Kernel support vector classifier trained by SMO (libsvm's algorithm, our code).

    Parameters
    ----------
    C : float, default=1.0
        Price of a unit of margin violation (> 0).  ``float("inf")`` gives the hard
        margin; fitting then raises ``ValueError`` if the classes are not separable in
        the kernel's feature space.
    kernel : {"rbf", "linear", "poly", "sigmoid"}, default="rbf"
        ``linear``: ``<x, z>``; ``poly``: ``(gamma <x, z> + coef0)^degree``;
        ``rbf``: ``exp(-gamma ||x - z||^2)``; ``sigmoid``: ``tanh(gamma <x, z> + coef0)``.
    degree : int, default=3
        Degree of the polynomial kernel.
    gamma : {"scale", "auto"} or float, default="scale"
        Kernel coefficient: ``"scale"`` is ``1 / (n_features * X.var())``, ``"auto"`` is
        ``1 / n_features``, or a float ``>= 0``.
    coef0 : float, default=0.0
        Constant term of the poly and sigmoid kernels.
    tol : float, default=1e-3
        Stop when the largest KKT violation ``m(alpha) - M(alpha)`` is below ``tol``.
    cache_size : float, default=200
        Memory for cached kernel rows, in MB (at least two rows are always kept).
    max_iter : int, default=-1
        Iteration limit per binary problem; ``-1`` means none (a ConvergenceWarning is
        issued when a limit stops SMO).
    decision_function_shape : {"ovr", "ovo"}, default="ovr"
        Shape of :meth:`decision_function` with more than two classes: one column per
        class (votes plus a confidence in (-1/3, 1/3)), or one per pair of classes.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    gamma_ : float
        The kernel coefficient actually used.
    support_ : ndarray of shape (n_SV,)
        Indices of the support vectors, grouped by class, in sample order within a class.
    support_vectors_ : ndarray of shape (n_SV, n_features)
    n_support_ : ndarray of shape (n_classes,)
        Number of support vectors of each class.
    dual_coef_ : ndarray of shape (n_classes - 1, n_SV)
        ``y_i alpha_i`` in libsvm's layout: for the pair of classes ``a < b`` the
        coefficients of ``a``'s support vectors are in row ``b - 1`` and those of ``b``'s
        in row ``a``.  With two classes the signs are flipped so that a positive
        decision means ``classes_[1]`` (as scikit-learn does).
    intercept_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
        ``b = -rho`` of each pair (sign flipped with two classes, like ``dual_coef_``).
    coef_ : ndarray of shape (n_pairs, n_features)
        ``w`` of each pair; only with ``kernel="linear"``.
    n_iter_ : ndarray of shape (n_pairs,)
        SMO iterations of each binary problem.
    history_ : History
        One record at the start, then every 10 to 100 SMO iterations (every fifth of the
        iterations so far), and at the end of each pair:
        ``pair``, ``iteration``, ``dual_objective`` (``e^T alpha - 1/2 alpha^T Q alpha``,
        increasing), ``kkt_violation`` (``m(alpha) - M(alpha)``), ``n_support`` and
        ``kernel_rows`` (kernel rows computed so far; the rest came from the cache).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mlatlas.supervised import SVC
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [2.0, 1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> clf = SVC(kernel="linear", C=float("inf")).fit(X, y)
    >>> clf.coef_.round(6).tolist(), clf.intercept_.round(6).tolist()
    ([[1.0, 0.0]], [-1.0])
    >>> clf.predict([[0.2, 3.0], [1.8, -2.0]]).tolist()
    [0, 1]
    """

    def __init__(self, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3,
                 cache_size=200, max_iter=-1, decision_function_shape="ovr"):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.cache_size = cache_size
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        # C = inf: the hard margin
        check_scalar_param(self.C, "C", low=0.0, low_inclusive=False, allow_inf=True)
        check_option(self.kernel, "kernel", ("rbf", "linear", "poly", "sigmoid"))
        check_scalar_param(self.degree, "degree", kind=numbers.Integral, low=0)
        if isinstance(self.gamma, str):
            check_option(self.gamma, "gamma", ("scale", "auto"))
        else:
            try:
                check_scalar_param(self.gamma, "gamma", low=0.0)
            except InvalidParameterError:
                raise InvalidParameterError(
                    f"gamma must be 'scale', 'auto' or a finite real number >= 0; got "
                    f"{type(self.gamma).__name__} {self.gamma!r}.") from None
        check_scalar_param(self.coef0, "coef0")
        check_scalar_param(self.tol, "tol", low=0.0, low_inclusive=False)
        check_scalar_param(self.cache_size, "cache_size", low=0.0, low_inclusive=False)
        check_scalar_param(self.max_iter, "max_iter", kind=numbers.Integral, low=-1)
        if self.max_iter == 0:
            raise ValueError("max_iter must be -1 (no limit) or a positive int; got 0.")
        check_option(self.decision_function_shape, "decision_function_shape", ("ovr", "ovo"))

    # ------------------------------------------------------------------ kernels
    def _kernel_data(self, *arrays: np.ndarray):
        """The arrays and gamma as the kernels read them (see ``kernel_functions.safe_kernel_data``)."""
        return safe_kernel_data(arrays, float(self.gamma_), self.kernel)

    def _kernel_matrix(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """K(a_r, b_c) for every row of A and B, shape (len(A), len(B))."""
        (A, B), gamma = self._kernel_data(A, B)
        return kernel_matrix(A, B, self.kernel, gamma, float(self.coef0), int(self.degree))

    def _kernel_diagonal(self, X: np.ndarray, gamma: float) -> np.ndarray:
        """K(x_t, x_t) for every row (X and gamma as :meth:`_kernel_data` gives them)."""
        return kernel_diagonal(X, self.kernel, gamma, float(self.coef0), int(self.degree))

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None):
        """Fit one SVM per pair of classes by SMO.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample weights: sample ``i`` gets the box ``0 <= alpha_i <= C w_i``.
            Samples with zero weight are left out.

        Returns
        -------
        self
        """
        self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64, order="C")
        check_classification_targets(y)
        weights = check_sample_weight(sample_weight, X.shape[0])
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"SVC needs samples of at least 2 classes; got {n_classes} class "
                f"({self.classes_.tolist()}).")

        n_features = X.shape[1]
        if self.gamma == "scale":
            # Var(X) = s^2 Var(X / s), s a power of two (1 unless squares of X overflow or underflow)
            scale = overflow_safe_scale(max_abs(X), n_features)
            variance = (X / scale).var() if scale != 1.0 else X.var()
            # gamma = 1 / (n_features * Var(X)) (1.0 for constant X)
            with np.errstate(over="ignore", under="ignore"):
                self.gamma_ = 1.0 / (n_features * variance) / scale / scale if variance != 0 else 1.0
            if not np.finfo(np.float64).tiny <= self.gamma_ < np.inf:
                raise ValueError(
                    f"X is too {'large' if scale > 1 else 'small'} for gamma='scale': "
                    f"gamma = 1 / (n_features Var(X)) is outside the float64 range (the "
                    f"largest |x| is {max_abs(X):.3g}); rescale X (e.g. divide it by its largest "
                    "absolute value).")
        elif self.gamma == "auto":
            self.gamma_ = 1.0 / n_features
        else:
            self.gamma_ = float(self.gamma)

        members = [np.flatnonzero((y_index == k) & (weights > 0)) for k in range(n_classes)]
        empty = [_label(self.classes_[k]) for k in range(n_classes) if len(members[k]) == 0]
        if empty:
            raise ValueError(
                f"every class needs samples with positive sample_weight; class(es) {empty} have none.")

        self.history_ = History()
        is_support = np.zeros(X.shape[0], dtype=bool)
        solutions = []
        n_iter = []
        for a, b in _pairs(n_classes):
            # class a is the +1 side, class b the -1 side (libsvm's order)
            idx = np.concatenate([members[a], members[b]])
            y_pair = np.concatenate([np.ones(len(members[a])), -np.ones(len(members[b]))])
            upper = self.C * weights[idx]
            alpha, rho, iterations = self._solve_pair(
                np.ascontiguousarray(X[idx]), y_pair, upper, (a, b))
            is_support[idx[alpha > 0]] = True
            solutions.append((a, b, idx, y_pair * alpha, rho))
            n_iter.append(iterations)

        # support vectors grouped by class, in sample order within a class
        support = [m[is_support[m]] for m in members]
        self.support_ = np.concatenate(support).astype(np.int32)
        self.n_support_ = np.array([len(s) for s in support], dtype=np.int32)
        self.support_vectors_ = X[self.support_]
        position = np.full(X.shape[0], -1)
        position[self.support_] = np.arange(len(self.support_))

        # libsvm layout: pair (a, b) puts a's coefficients in row b - 1, b's in row a
        dual_coef = np.zeros((n_classes - 1, len(self.support_)))
        intercept = np.empty(len(solutions))
        for p, (a, b, idx, coef, rho) in enumerate(solutions):
            nonzero = coef != 0
            in_a = np.arange(len(idx)) < len(members[a])
            dual_coef[b - 1, position[idx[nonzero & in_a]]] = coef[nonzero & in_a]
            dual_coef[a, position[idx[nonzero & ~in_a]]] = coef[nonzero & ~in_a]
            intercept[p] = -rho
        if n_classes == 2:
            # positive decision = classes_[1], as scikit-learn reports it
            dual_coef, intercept = -dual_coef, -intercept
        self.dual_coef_ = dual_coef
        self.intercept_ = intercept
        self.n_iter_ = np.array(n_iter, dtype=np.int64)
        return self

    def _solve_pair(self, X: np.ndarray, y: np.ndarray, upper: np.ndarray, pair: tuple):
        """SMO on one binary problem; returns (alpha, rho, iterations)."""
        n = len(y)
        kernel = _kernels.KERNEL_CODES[self.kernel]
        (X_kernel,), gamma = self._kernel_data(X)
        coef0, degree = float(self.coef0), int(self.degree)
        # the kernel-row cache: as many float32 rows of length n as cache_size MB holds
        n_slots = int(min(n, max(2, self.cache_size * 2**20 // (4 * n))))
        store = np.empty((n_slots, n), dtype=np.float32)
        slot_of = np.full(n, -1, dtype=np.int64)
        row_in = np.full(n_slots, -1, dtype=np.int64)
        stamp = np.zeros(n_slots, dtype=np.int64)
        counters = np.zeros(4, dtype=np.int64)  # clock, slots used, hits, misses
        diag = self._kernel_diagonal(X_kernel, gamma)
        check_kernel_range(diag, self.kernel)
        XT = np.ascontiguousarray(X_kernel.T)  # (n_features, n): kernel rows read it sample-contiguous
        acc = np.empty(n)  # work array of the kernel-row loop

        alpha = np.zeros(n)
        grad = -np.ones(n)  # G = Q alpha - e at alpha = 0
        limit = self.max_iter if self.max_iter > 0 else max(10_000_000, 100 * n)
        hard = np.isinf(self.C)
        check_after = max(1000, 10 * n)
        dual_bound = None  # an upper bound on the hard-margin dual, once we have one
        iterations = 0
        self._record(pair, iterations, alpha, grad, y, upper, 0)
        while True:
            block = min(max(_BLOCK_MIN, iterations // 5), _BLOCK_MAX, limit - iterations)
            steps, converged = _kernels.smo_iterations(
                XT, y, upper, kernel, gamma, coef0, degree, diag, alpha, grad,
                store, slot_of, row_in, stamp, counters, acc, float(self.tol), block)
            iterations += steps
            self._record(pair, iterations, alpha, grad, y, upper, int(counters[3]))
            if converged or iterations >= limit:
                break
            if hard:
                if not (np.all(np.isfinite(alpha)) and np.isfinite(self.history_[-1]["dual_objective"])):
                    self._raise_not_separable(
                        pair, "the multipliers diverged: the dual is unbounded, which happens when "
                        "the classes overlap or the kernel is not positive semi-definite")
                if dual_bound is None and iterations >= check_after:
                    dual_bound = self._hard_margin_bound(X, y, pair)
                if dual_bound is not None and self.history_[-1]["dual_objective"] > dual_bound:
                    raise ValueError(
                        f"C=inf: the hard-margin dual grew past 1/2 ||w||^2 = {dual_bound:.6g} of a "
                        "separating hyperplane, which a positive semi-definite kernel cannot do: "
                        f"kernel={self.kernel!r} is not one on these data, so there is no hard "
                        "margin; use a finite C.")
        if not converged:
            warnings.warn(
                f"SVC: SMO stopped by max_iter={self.max_iter if self.max_iter > 0 else limit} "
                f"on the pair of classes {_label(self.classes_[pair[0]])!r} / "
                f"{_label(self.classes_[pair[1]])!r} "
                f"with KKT violation {self.history_[-1]['kkt_violation']:.3g} > tol={self.tol}; "
                "the solution is approximate (increase max_iter or tol).",
                ConvergenceWarning, stacklevel=3)
        return alpha, _rho(alpha, grad, y, upper), iterations

    def _solve_pair_readable(self, X: np.ndarray, y: np.ndarray, upper: np.ndarray, pair: tuple):
        """:meth:`_solve_pair` by :func:`smo_readable` on the whole kernel matrix.

        For small data (it holds all n^2 kernel values) and for the tests, which check
        that it reaches the multipliers of the compiled SMO; the hard-margin checks are
        left out.  history_ gets the first and the last record only.
        """
        (X_kernel,), gamma = self._kernel_data(X)
        diag = self._kernel_diagonal(X_kernel, gamma)
        K = cached_kernel_matrix(X_kernel, self.kernel, gamma, float(self.coef0), int(self.degree))
        self._record(pair, 0, np.zeros(len(y)), -np.ones(len(y)), y, upper, 0)
        limit = self.max_iter if self.max_iter > 0 else max(10_000_000, 100 * len(y))
        alpha, grad, iterations, _ = smo_readable(K, y, upper, diag, float(self.tol), limit)
        self._record(pair, iterations, alpha, grad, y, upper, len(y))
        return alpha, _rho(alpha, grad, y, upper), iterations

    def _record(self, pair, iteration, alpha, grad, y, upper, kernel_rows) -> None:
        # dual objective e^T alpha - 1/2 alpha^T Q alpha and KKT violation m(alpha) - M(alpha)
        dual, violation, n_support = _kernels.progress(y, upper, alpha, grad)
        self.history_.record(pair=pair, iteration=iteration, dual_objective=dual,
                             kkt_violation=violation, n_support=n_support, kernel_rows=kernel_rows)

    def _hard_margin_bound(self, X: np.ndarray, y: np.ndarray, pair: tuple) -> float:
        """Decide separability by an LP; return an upper bound on the dual if separable.

        The LP maximises the margin ``t`` over ``-1 <= beta_j <= 1`` and ``b`` subject to
        ``y_i (sum_j K_ij beta_j + b) >= t`` (``w = sum_j beta_j phi(x_j)``).  ``t > 0`` means
        separable; then ``w / t`` satisfies every hard-margin constraint, and weak duality
        gives ``dual(alpha) <= 1/2 ||w / t||^2 = 1/2 beta^T K beta / t^2`` for every feasible
        ``alpha`` (if the kernel is positive semi-definite).
        """
        from scipy.optimize import linprog

        n = len(y)
        K = self._kernel_matrix(X, X)  # (n, n)
        cost = np.zeros(n + 2)
        cost[-1] = -1.0  # maximise t
        # t - y_i (K_i . beta + b) <= 0 over the variables (beta, b, t)
        A_ub = np.hstack([-y[:, None] * K, -y[:, None], np.ones((n, 1))])  # (n, n + 2)
        result = linprog(cost, A_ub=A_ub, b_ub=np.zeros(n), method="highs",
                         bounds=[(-1.0, 1.0)] * n + [(None, None), (None, None)])
        margin = -result.fun if result.status == 0 else 0.0
        # margins at the LP's feasibility tolerance are rounding, not separation
        if not margin > 1e-6 * np.abs(K).max():
            self._raise_not_separable(pair, "no w, b satisfy y_i (w.phi(x_i) + b) >= 1")
        beta = result.x[:n]
        return 0.5 * float(beta @ K @ beta) / margin**2 * (1.0 + 1e-6) + 1e-9

    def _raise_not_separable(self, pair, why: str):
        a, b = _label(self.classes_[pair[0]]), _label(self.classes_[pair[1]])
        raise ValueError(
            f"C=inf asks for a hard margin, but classes {a!r} and {b!r} are not separable in "
            f"the feature space of kernel={self.kernel!r} ({why}); use a finite C (soft margin) "
            "or another kernel.")

    # ------------------------------------------------------------------ prediction
    @property
    def coef_(self) -> np.ndarray:
        """Weights ``w`` of each pair's hyperplane (linear kernel only), (n_pairs, n_features)."""
        check_is_fitted(self)
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when using a linear kernel.")
        return self._pair_weights().T @ self.support_vectors_  # (n_pairs, n_features)

    def _pair_weights(self) -> np.ndarray:
        """The coefficient of every support vector in every pair's decision, (n_SV, n_pairs).

        With two classes this is the public ``dual_coef_`` (positive = classes_[1]); with
        more, libsvm's sign (positive = the pair's first class).
        """
        n_classes = len(self.classes_)
        if n_classes == 2:
            return self.dual_coef_.T.copy()
        starts = np.concatenate([[0], np.cumsum(self.n_support_)])
        weights = np.zeros((len(self.support_), n_classes * (n_classes - 1) // 2))
        for p, (a, b) in enumerate(_pairs(n_classes)):
            sa, sb = slice(starts[a], starts[a + 1]), slice(starts[b], starts[b + 1])
            weights[sa, p] = self.dual_coef_[b - 1, sa]
            weights[sb, p] = self.dual_coef_[a, sb]
        return weights

    def _pair_decisions(self, X) -> np.ndarray:
        """sum_i coef_i K(x_i, x) + intercept for every pair, (n_samples, n_pairs)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        weights = self._pair_weights()
        out = np.empty((X.shape[0], weights.shape[1]))
        # evaluate the kernel in row blocks of about 4M entries to bound memory
        step = max(1, 2**22 // max(1, len(self.support_)))
        for start in range(0, X.shape[0], step):
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                K = self._kernel_matrix(X[start:start + step], self.support_vectors_)  # (B, n_SV)
                out[start:start + step] = K @ weights + self.intercept_  # (B, n_pairs)
        if not np.all(np.isfinite(out)):
            raise ValueError(
                "the decision values overflow float64 for these X (their kernel values with "
                "the support vectors are too large); rescale X as the training data were.")
        return out

    def decision_function(self, X) -> np.ndarray:
        """Signed distances (up to ``||w||``) to the separating hyperplanes.

        Returns
        -------
        ndarray of shape (n_samples,) with two classes (positive means ``classes_[1]``),
        else (n_samples, n_classes) for ``"ovr"`` or (n_samples, n_pairs) for ``"ovo"``
        (pairs ``(0, 1), (0, 2), ..., (1, 2), ...``; positive means the first class).
        """
        dec = self._pair_decisions(X)
        n_classes = len(self.classes_)
        if n_classes == 2:
            return dec[:, 0]
        if self.decision_function_shape == "ovo":
            return dec
        # one column per class: its votes plus its summed pair confidences squashed
        # into (-1/3, 1/3), so the order of the votes is never changed
        votes, confidence = _one_vs_one_votes(dec, n_classes)
        return votes + confidence / (3.0 * (np.abs(confidence) + 1.0))

    def predict(self, X) -> np.ndarray:
        """One-vs-one vote: each pair votes for its first class if its decision is > 0."""
        dec = self._pair_decisions(X)
        n_classes = len(self.classes_)
        if n_classes == 2:
            # public sign: positive (or zero, as libsvm) is classes_[1]
            return self.classes_[(dec[:, 0] >= 0).astype(int)]
        votes, _ = _one_vs_one_votes(dec, n_classes)
        return self.classes_[np.argmax(votes, axis=1)]  # ties: the lowest class index


def _label(value):
    """A class label as a plain Python value (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _pairs(n_classes: int):
    """The one-vs-one pairs of classes ``(a, b)``, ``a < b``, in libsvm's order."""
    return itertools.combinations(range(n_classes), 2)


def _one_vs_one_votes(dec: np.ndarray, n_classes: int):
    """Votes and summed confidences of the pairs, both (n_samples, n_classes).

    Pair ``(a, b)`` (column ``p`` of ``dec``) votes for ``a`` when its decision value is
    ``> 0`` and for ``b`` otherwise; its decision value counts for ``a`` and against ``b``.
    """
    votes = np.zeros((dec.shape[0], n_classes))
    confidence = np.zeros((dec.shape[0], n_classes))
    for p, (a, b) in enumerate(_pairs(n_classes)):
        wins_a = dec[:, p] > 0
        votes[:, a] += wins_a
        votes[:, b] += ~wins_a
        confidence[:, a] += dec[:, p]
        confidence[:, b] -= dec[:, p]
    return votes, confidence


def _rho(alpha, grad, y, upper) -> float:
    """rho = -b: the mean of y_t G_t over free multipliers, else the middle of its KKT range."""
    yg = y * grad
    free = (alpha > 0) & (alpha < upper)
    if free.any():
        return float(yg[free].mean())
    at_upper, at_lower = alpha >= upper, alpha <= 0
    # KKT: rho <= y_t G_t for these, rho >= y_t G_t for the others
    above = (at_upper & (y < 0)) | (at_lower & (y > 0))
    below = (at_upper & (y > 0)) | (at_lower & (y < 0))
    high = yg[above].min() if above.any() else np.inf
    low = yg[below].max() if below.any() else -np.inf
    return float((high + low) / 2.0)


# ---------------------------------------------------------------------------
# SMO as the maths reads.  SVC trains with the compiled loop of _svm_kernels.py (kernel
# rows computed when needed into a least-recently-used cache, the iterations run in
# blocks); this plain version holds the whole kernel matrix and takes the same steps,
# and the tests check that both reach the same multipliers.
# ---------------------------------------------------------------------------


def smo_readable(K: np.ndarray, y: np.ndarray, upper: np.ndarray, diag: np.ndarray,
                 tol: float, max_iter: int):
    """SMO for one binary dual, written plainly on the whole kernel matrix.

    Solves ``min 1/2 alpha^T Q alpha - e^T alpha`` with ``Q_ij = y_i y_j K_ij``,
    ``0 <= alpha_t <= U_t`` and ``y^T alpha = 0``, by the iterations of the module
    docstring: second-order working-set selection, the two-variable step cut to the
    box, the gradient update.

    Parameters
    ----------
    K : ndarray of shape (n, n)
        Kernel matrix (for the compiled SMO's path: ``kernel_functions.cached_kernel_matrix``).
    y : ndarray of shape (n,)
        Labels in {+1, -1}.
    upper : ndarray of shape (n,)
        The box ``U_t`` (``C`` times the sample weight).
    diag : ndarray of shape (n,)
        ``K(x_t, x_t)`` in float64, as the compiled SMO reads it.
    tol : float
        Stop when ``m(alpha) - M(alpha) < tol``.
    max_iter : int

    Returns
    -------
    alpha : ndarray of shape (n,)
    G : ndarray of shape (n,)
        The gradient ``Q alpha - e``.
    iterations : int
    converged : bool
    """
    n = len(y)
    alpha = np.zeros(n)
    G = -np.ones(n)  # G = Q alpha - e at alpha = 0
    for iteration in range(max_iter):
        # I_up = {y = +1, alpha < U} u {y = -1, alpha > 0}, I_low = {y = +1, alpha > 0} u {y = -1, alpha < U}
        up = ((y > 0) & (alpha < upper)) | ((y < 0) & (alpha > 0))
        low = ((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < upper))
        if not up.any():
            return alpha, G, iteration, True
        # i = argmax_{t in I_up} -y_t G_t (the last one on ties, as libsvm), m = -y_i G_i
        score = np.where(up, -y * G, -np.inf)
        i = n - 1 - int(np.argmax(score[::-1]))
        m = score[i]
        # -M = max_{t in I_low} y_t G_t
        minus_M = np.max(np.where(low, y * G, -np.inf))
        # j = argmin over t in I_low with b_it = m + y_t G_t > 0 of -b_it^2 / a_it,
        # a_it = K_ii + K_tt - 2 K_it (TAU where not positive); the last one on ties
        b = m + y * G
        a = diag[i] + diag - 2.0 * K[i]
        a = np.where(a > 0.0, a, _kernels.TAU)
        decrease = np.where(low & (b > 0.0), -(b * b) / a, np.inf)
        j = n - 1 - int(np.argmin(decrease[::-1]))
        # stop when m(alpha) - M(alpha) < tol (or no t improves on i)
        if m + minus_M < tol or not np.isfinite(decrease[j]):
            return alpha, G, iteration, True

        # the pair moves along alpha_i += y_i s, alpha_j -= y_j s (y^T alpha stays 0):
        # f falls with slope b_ij and curvature a_ij, so s = b_ij / a_ij, cut at the box
        a_ij = diag[i] + diag[j] - 2.0 * K[i, j]
        a_ij = a_ij if a_ij > 0.0 else _kernels.TAU
        b_ij = -y[i] * G[i] + y[j] * G[j]
        room_i = upper[i] - alpha[i] if y[i] > 0 else alpha[i]  # how far alpha_i may move
        room_j = alpha[j] if y[j] > 0 else upper[j] - alpha[j]
        s = min(b_ij / a_ij, room_i, room_j)
        old_i, old_j = alpha[i], alpha[j]
        # a multiplier that reaches its bound is put exactly on it
        alpha[i] = (upper[i] if y[i] > 0 else 0.0) if s == room_i else old_i + y[i] * s
        alpha[j] = (0.0 if y[j] > 0 else upper[j]) if s == room_j else old_j - y[j] * s
        if s == room_i or s == room_j:
            # ... and the other is kept inside the box against rounding
            alpha[i] = min(max(alpha[i], 0.0), upper[i])
            alpha[j] = min(max(alpha[j], 0.0), upper[j])

        # G_k += Q_ki (delta alpha_i) + Q_kj (delta alpha_j),  Q_kt = y_k y_t K_kt
        c_i = y[i] * (alpha[i] - old_i)
        c_j = y[j] * (alpha[j] - old_j)
        G += y * (c_i * K[i] + c_j * K[j])
    return alpha, G, max_iter, False
