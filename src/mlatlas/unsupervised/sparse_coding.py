r"""Sparse coding and dictionary learning: lasso codes by ISTA/FISTA, atoms by block coordinate descent.

Each sample :math:`x_i \in \mathbb{R}^p` is written as a sparse combination of
:math:`k` atoms, the rows of a dictionary :math:`D \in \mathbb{R}^{k \times p}`:
:math:`x_i \approx c_i D` with most entries of the code :math:`c_i` zero.  For data
:math:`X` (n x p) and codes :math:`C` (n x k) the objective is scikit-learn's

.. math::

    F(C, D) = \tfrac12 \|X - C D\|_F^2 + \alpha \|C\|_1,
    \qquad \|d_j\|_2 \le 1 \text{ for every atom } d_j,

(the norm bound stops the penalty from being dodged by shrinking codes and growing
atoms; every atom in use ends on the unit sphere).

Sparse coding (D fixed): a lasso per sample
    The smooth part :math:`g(C) = \tfrac12\|X - CD\|^2` has gradient
    :math:`\nabla g = (CD - X) D^\top = C G - X D^\top` with :math:`G = D D^\top`,
    Lipschitz in C with constant :math:`L = \lambda_{\max}(G)`.  A proximal-gradient
    (ISTA) step is a gradient step followed by the soft-threshold operator, the
    proximal map of :math:`t\|\cdot\|_1`:

    .. math::

        S_t(z) = \operatorname{sign}(z)\max(|z| - t, 0), \qquad
        C \leftarrow S_{\alpha/L}\!\left(C - \tfrac1L (C G - X D^\top)\right).

    FISTA evaluates the same step at an extrapolated point
    :math:`Y = C_k + \frac{t_{k-1} - 1}{t_k}(C_k - C_{k-1})`,
    :math:`t_k = \frac{1 + \sqrt{1 + 4 t_{k-1}^2}}{2}`, which improves the rate from
    O(1/k) to O(1/k^2); the momentum restarts whenever it points uphill
    (adaptive restart).  Each sample is solved independently and stops on its own
    once :math:`\|c^{new} - c\| \le \text{tol}\,\|c^{new}\|`.

Dictionary update (C fixed): block coordinate descent over atoms
    With :math:`A = C^\top C` and :math:`B = X^\top C`, the exact minimiser over atom j
    with the others fixed is :math:`d_j + (B_{:j} - A_{j:} D) / A_{jj}`, then projected
    on the unit ball :math:`d_j / \max(\|d_j\|, 1)`.  An atom no sample uses
    (:math:`A_{jj} \approx 0`) is replaced by a random sample plus a little noise.

Learning alternates the two steps from the SVD initialisation :math:`X = U S V^\top`
(codes :math:`U`, atoms :math:`S V^\top`), as scikit-learn does, until the
objective's relative decrease falls below ``tol``.

References
----------
Olshausen and Field, "Emergence of simple-cell receptive field properties by learning
a sparse code for natural images", Nature 1996.  Beck and Teboulle, "A fast iterative
shrinkage-thresholding algorithm for linear inverse problems", SIAM J. Imaging Sci. 2009.
O'Donoghue and Candès, "Adaptive restart for accelerated gradient schemes", 2015.
Mairal, Bach, Ponce and Sapiro, "Online learning for matrix factorization and sparse
coding", JMLR 2010 (the block coordinate dictionary update).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _parallel
from ..base import (History, check_option, check_random_state, check_scalar_param, max_abs,
                    overflow_safe_scale, warn_not_converged)

__all__ = ["DictionaryLearning", "SparseCoder", "soft_threshold", "sparse_encode", "objective"]

ALGORITHMS = ("ista", "fista")

# Up to this many atoms the solver's matrix products are small (n x k times k x k)
# and multi-threaded BLAS only adds synchronisation (badly so on a busy machine),
# so they run on one BLAS thread, as scikit-learn's KMeans does for the same reason.
SINGLE_THREAD_MAX_COMPONENTS = 256


# ---------------------------------------------------------------------------
# Pure numeric core
# ---------------------------------------------------------------------------


def _codes(estimator, X, dictionary, max_iter, tol) -> np.ndarray:
    """An estimator's ``transform``: the lasso codes of X, warning about unconverged rows."""
    code, _, unconverged = sparse_encode(X, dictionary, float(estimator.alpha),
                                         algorithm=estimator.transform_algorithm, max_iter=max_iter, tol=tol)
    if unconverged:
        warn_not_converged(estimator, max_iter, f"{unconverged} of {X.shape[0]} samples")
    return code


def soft_threshold(z: np.ndarray, t: float) -> np.ndarray:
    """The proximal map of t * ||.||_1: sign(z) * max(|z| - t, 0), elementwise.

    Examples
    --------
    >>> soft_threshold(np.array([-2.0, -0.5, 0.3, 1.5]), 1.0).tolist()
    [-1.0, 0.0, 0.0, 0.5]
    """
    # S_t(z) = max(z - t, 0) + min(z + t, 0)   (the same as sign(z) max(|z| - t, 0))
    return np.maximum(z - t, 0.0) + np.minimum(z + t, 0.0)


def objective(X: np.ndarray, code: np.ndarray, dictionary: np.ndarray, alpha: float) -> float:
    """F(C, D) = 1/2 ||X - C D||_F^2 + alpha ||C||_1 (scikit-learn's DictionaryLearning cost)."""
    residual = X - code @ dictionary  # (n, p)
    return float(0.5 * np.sum(residual**2) + alpha * np.sum(np.abs(code)))


def sparse_encode(X: np.ndarray, dictionary: np.ndarray, alpha: float, *, algorithm: str = "fista",
                  max_iter: int = 1000, tol: float = 1e-6, init: np.ndarray | None = None):
    """Lasso codes of every row of X for a fixed dictionary, by ISTA or FISTA.

    Solves min_C 1/2 ||X - C D||_F^2 + alpha ||C||_1, one independent problem per row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    dictionary : ndarray of shape (n_components, n_features)
    alpha : float
    algorithm : {"ista", "fista"}
    max_iter : int
        Iterations per sample at most.
    tol : float
        A row stops once ||c_new - c|| <= tol * ||c_new||.
    init : ndarray of shape (n_samples, n_components), optional
        Warm start.

    Returns
    -------
    code : ndarray of shape (n_samples, n_components)
    n_iter : int
        Iterations of the slowest row.
    n_unconverged : int
        Rows that hit max_iter.
    """
    # The lasso is equivariant under X -> s X, alpha -> s alpha: C(s X, s alpha) = s C(X, alpha).
    # Data whose squares would overflow (or underflow) float64 is coded as X / s with
    # alpha / s, s a power of two (exact), and the codes are multiplied back.
    s = overflow_safe_scale(max_abs(X), X.shape[1])
    if s != 1.0:
        code, n_iter, n_unconverged = sparse_encode(
            X / s, dictionary, alpha / s, algorithm=algorithm, max_iter=max_iter, tol=tol,
            init=None if init is None else init / s)
        return code * s, n_iter, n_unconverged
    with _parallel.limit_blas(1, when=dictionary.shape[0] <= SINGLE_THREAD_MAX_COMPONENTS):
        return _proximal_gradient(X, dictionary, alpha, algorithm, max_iter, tol, init)


def _proximal_gradient(X, dictionary, alpha, algorithm, max_iter, tol, init):
    """The ISTA/FISTA loop behind :func:`sparse_encode`."""
    n, k = X.shape[0], dictionary.shape[0]
    code = np.zeros((n, k)) if init is None else np.array(init, dtype=float, copy=True)
    if n == 0 or k == 0:
        return code, 0, 0
    G = dictionary @ dictionary.T  # (k, k)
    L = float(np.linalg.eigvalsh(G)[-1])
    if L <= 0.0:
        return np.zeros((n, k)), 0, 0
    XDt = X @ dictionary.T  # (n, k)
    step, threshold = 1.0 / L, alpha / L
    tiny = np.finfo(float).tiny
    # Working arrays hold only the rows still iterating; a row that converges is
    # written to ``code`` and dropped, so the others carry on unchanged.
    rows = np.arange(n)  # original index of each working row
    C = code.copy()  # C_k     (m, k)
    C_prev = C.copy()  # C_{k-1} (m, k)
    B = XDt  # X D^T of the working rows (m, k)
    t = np.ones(n)  # FISTA momentum scalars, one per row
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if algorithm == "fista":
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t**2))
            # Y = C_k + (t_{k-1} - 1) / t_k (C_k - C_{k-1})
            Y = C + ((t - 1.0) / t_next)[:, None] * (C - C_prev)
        else:
            Y = C
        # gradient of 1/2 ||X - C D||^2 at Y: Y G - X D^T      (m, k)
        gradient = Y @ G - B
        # proximal step: C_{k+1} = S_{alpha/L}(Y - gradient / L)
        C_new = soft_threshold(Y - step * gradient, threshold)
        diff = C_new - C
        if algorithm == "fista":
            # adaptive restart: drop the momentum where it points uphill
            uphill = np.einsum("ij,ij->i", Y - C_new, diff) > 0
            t_next[uphill] = 1.0
            t = t_next
        C_prev, C = C, C_new
        # a row is done once ||c_new - c|| <= tol ||c_new|| (a zero code that stays zero too)
        done = np.einsum("ij,ij->i", diff, diff) <= tol**2 * np.maximum(np.einsum("ij,ij->i", C, C), tiny)
        if done.any():
            code[rows[done]] = C[done]
            keep = ~done
            rows, C, C_prev, B, t = rows[keep], C[keep], C_prev[keep], B[keep], t[keep]
            if rows.size == 0:
                break
    code[rows] = C
    return code, n_iter, int(rows.size)


def _update_dictionary(dictionary: np.ndarray, X: np.ndarray, code: np.ndarray,
                       rng: np.random.Generator) -> int:
    """One sweep of block coordinate descent over the atoms, in place; returns atoms resampled."""
    n, k = code.shape
    A = code.T @ code  # (k, k)
    B = X.T @ code  # (p, k)
    resampled = 0
    for j in range(k):
        if A[j, j] > 1e-6:
            # exact minimiser over d_j: d_j + (B_j - A_j D) / A_jj
            dictionary[j] += (B[:, j] - A[j] @ dictionary) / A[j, j]
        else:
            # an atom (almost) no sample uses: restart it from a random sample plus noise
            atom = X[rng.integers(n)]
            noise_level = 0.01 * (atom.std() or 1.0)
            dictionary[j] = atom + rng.normal(0.0, noise_level, size=atom.shape[0])
            code[:, j] = 0.0
            resampled += 1
        # projection on the unit ball: d_j / max(||d_j||, 1)
        dictionary[j] /= max(np.linalg.norm(dictionary[j]), 1.0)
    return resampled


def _svd_init(X: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes U and atoms S V^T from the SVD of X (signs fixed), padded with zeros."""
    U, S, Vt = np.linalg.svd(X, full_matrices=False)  # (n, r), (r,), (r, p)
    # deterministic signs: the largest |entry| of each column of U is positive
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    signs[signs == 0] = 1.0
    U, Vt = U * signs, Vt * signs[:, None]
    dictionary = S[:, None] * Vt  # (r, p)
    r = dictionary.shape[0]
    if n_components <= r:
        return U[:, :n_components].copy(), dictionary[:n_components].copy()
    code = np.hstack([U, np.zeros((U.shape[0], n_components - r))])
    dictionary = np.vstack([dictionary, np.zeros((n_components - r, X.shape[1]))])
    return code, dictionary


def _check_common(alpha: Any, algorithm: Any, max_iter: Any, tol: Any, *, alpha_name: str = "alpha",
                  algorithm_name: str = "transform_algorithm", iter_name: str = "max_iter",
                  tol_name: str = "tol") -> None:
    check_scalar_param(alpha, alpha_name, kind=numbers.Real, low=0)
    check_option(algorithm, algorithm_name, ALGORITHMS)
    check_scalar_param(max_iter, iter_name, kind=numbers.Integral, low=1)
    check_scalar_param(tol, tol_name, kind=numbers.Real, low=0)


# ---------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------


class SparseCoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Lasso codes of data for a fixed dictionary, by ISTA or FISTA.

    ``transform(X)`` solves min_C 1/2 ||X - C D||_F^2 + alpha ||C||_1, the problem
    scikit-learn's ``SparseCoder(transform_algorithm="lasso_cd")`` solves.

    Parameters
    ----------
    dictionary : array-like of shape (n_components, n_features)
        The atoms, one per row (not normalised here).
    alpha : float, default=1.0
        The l1 penalty.
    transform_algorithm : {"fista", "ista"}, default="fista"
    max_iter : int, default=1000
        Proximal-gradient iterations per sample at most.
    tol : float, default=1e-6
        A sample stops once its code moves by less than tol times its norm.

    Attributes
    ----------
    n_components_ : int
    n_features_in_ : int

    Examples
    --------
    >>> D = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> SparseCoder(D, alpha=0.5).fit_transform(np.array([[2.0, 0.2]])).round(6).tolist()
    [[1.5, 0.0]]
    """

    def __init__(self, dictionary: Any = None, alpha: float = 1.0, transform_algorithm: str = "fista",
                 max_iter: int = 1000, tol: float = 1e-6):
        self.dictionary = dictionary
        self.alpha = alpha
        self.transform_algorithm = transform_algorithm
        self.max_iter = max_iter
        self.tol = tol

    def _dictionary(self) -> np.ndarray:
        if self.dictionary is None:
            raise ValueError("dictionary must be an array of shape (n_components, n_features); got None.")
        D = np.asarray(self.dictionary, dtype=float)
        if D.ndim != 2 or D.shape[0] == 0 or not np.all(np.isfinite(D)):
            raise ValueError(
                f"dictionary must be a finite 2-D array (n_components, n_features); got shape {D.shape}."
            )
        return D

    def fit(self, X: Any, y: Any = None) -> "SparseCoder":
        """Check the parameters and that X has the dictionary's number of features."""
        _check_common(self.alpha, self.transform_algorithm, self.max_iter, self.tol)
        D = self._dictionary()
        X = validate_data(self, X)
        if X.shape[1] != D.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features but the dictionary has {D.shape[1]} "
                f"(dictionary shape {D.shape})."
            )
        self.n_components_ = int(D.shape[0])
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Codes of shape (n_samples, n_components)."""
        check_is_fitted(self, "n_components_")
        X = validate_data(self, X, reset=False)
        return _codes(self, X, self._dictionary(), self.max_iter, self.tol)

    def inverse_transform(self, code: Any) -> np.ndarray:
        """Reconstructions C D of shape (n_samples, n_features)."""
        check_is_fitted(self, "n_components_")
        # X_hat = C D
        return np.asarray(code, dtype=float) @ self._dictionary()

    @property
    def _n_features_out(self) -> int:
        return self.n_components_


class DictionaryLearning(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Learn a dictionary of atoms on which the data have sparse codes.

    Minimises scikit-learn's objective 1/2 ||X - C D||_F^2 + alpha ||C||_1 with every
    atom's norm at most 1, alternating lasso codes (ISTA/FISTA, warm-started) and a
    block-coordinate sweep over the atoms, from the SVD initialisation.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of atoms (None: as many as features).
    alpha : float, default=1.0
        The l1 penalty on the codes.
    max_iter : int, default=1000
        Alternations at most.
    tol : float, default=1e-8
        Stop when the objective's decrease is below tol times the objective.
    transform_algorithm : {"fista", "ista"}, default="fista"
        The lasso solver, for learning and for ``transform``.
    transform_max_iter : int, default=1000
        Solver iterations per sample at most, per coding step.
    transform_tol : float, default=1e-6
        The solver's relative tolerance on each code.
    random_state : None, int or numpy Generator
        Only used to restart unused atoms.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The atoms.
    error_ : ndarray of shape (n_iter_,)
        The objective after each alternation.
    history_ : History
        Per alternation: ``objective``, ``reconstruction`` (1/2 ||X - CD||^2),
        ``l1`` (alpha ||C||_1), ``sparsity`` (share of zero codes),
        ``code_iterations``, ``resampled_atoms``.
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 8))
    >>> model = DictionaryLearning(n_components=5, alpha=0.5, max_iter=30, random_state=0).fit(X)
    >>> model.components_.shape, model.transform(X).shape
    ((5, 8), (60, 5))
    >>> bool(np.all(np.diff(model.error_) <= 1e-8 * model.error_[:-1]))
    True
    """

    def __init__(self, n_components: int | None = None, alpha: float = 1.0, max_iter: int = 1000,
                 tol: float = 1e-8, transform_algorithm: str = "fista", transform_max_iter: int = 1000,
                 transform_tol: float = 1e-6, random_state: Any = None):
        self.n_components = n_components
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.transform_algorithm = transform_algorithm
        self.transform_max_iter = transform_max_iter
        self.transform_tol = transform_tol
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> "DictionaryLearning":
        """Learn the dictionary from X of shape (n_samples, n_features)."""
        check_scalar_param(self.n_components, "n_components", kind=numbers.Integral, low=1, allow_none=True)
        _check_common(self.alpha, self.transform_algorithm, self.max_iter, self.tol)
        check_scalar_param(self.transform_max_iter, "transform_max_iter", kind=numbers.Integral, low=1)
        check_scalar_param(self.transform_tol, "transform_tol", kind=numbers.Real, low=0)
        X = validate_data(self, X, dtype=np.float64)
        rng = check_random_state(self.random_state)
        n_components = X.shape[1] if self.n_components is None else int(self.n_components)
        alpha = float(self.alpha)

        # F(C, D; s X, s alpha) = s^2 F(C / s, D; X, alpha): data of extreme magnitude is
        # learned as X / s with alpha / s (s a power of two, exact), giving the same atoms;
        # the recorded objectives are then multiplied back by s^2.
        s = overflow_safe_scale(max_abs(X), X.shape[1])
        with _parallel.limit_blas(1, when=n_components <= SINGLE_THREAD_MAX_COMPONENTS):
            converged = self._learn(X / s if s != 1.0 else X, n_components, alpha / s, rng)
        if s != 1.0:
            with np.errstate(over="ignore", under="ignore"):
                self.error_ = self.error_ * (s * s)
                for row in self.history_:
                    for key in ("objective", "reconstruction", "l1"):
                        row[key] *= s * s
        if not converged and self.max_iter > 1:
            warn_not_converged(self, self.max_iter, f"objective {self.error_[-1]:.6g}")
        return self

    def _learn(self, X: np.ndarray, n_components: int, alpha: float, rng: np.random.Generator) -> bool:
        """Alternate sparse coding and dictionary updates from the SVD initialisation."""
        code, dictionary = _svd_init(X, n_components)  # (n, k), (k, p)
        history = History()
        errors: list[float] = []
        converged = False
        for iteration in range(self.max_iter):
            # 1. codes for the current atoms (warm start from the previous codes)
            code, code_iter, _ = sparse_encode(
                X, dictionary, alpha, algorithm=self.transform_algorithm,
                max_iter=self.transform_max_iter, tol=self.transform_tol, init=code)
            # 2. atoms for the current codes
            resampled = _update_dictionary(dictionary, X, code, rng)
            # F(C, D) = 1/2 ||X - C D||^2 + alpha ||C||_1
            reconstruction = 0.5 * float(np.sum((X - code @ dictionary) ** 2))
            l1 = alpha * float(np.sum(np.abs(code)))
            errors.append(reconstruction + l1)
            history.record(objective=errors[-1], reconstruction=reconstruction, l1=l1,
                           sparsity=float(np.mean(code == 0)), code_iterations=code_iter,
                           resampled_atoms=resampled)
            if iteration > 0 and errors[-2] - errors[-1] < self.tol * errors[-1]:
                converged = True
                break
        self.components_ = dictionary
        self.error_ = np.asarray(errors)
        self.history_ = history
        self.n_iter_ = len(errors)
        return converged

    def transform(self, X: Any) -> np.ndarray:
        """Sparse codes of X on the learned atoms: (n_samples, n_components)."""
        check_is_fitted(self, "components_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return _codes(self, X, self.components_, self.transform_max_iter, self.transform_tol)

    def inverse_transform(self, code: Any) -> np.ndarray:
        """Reconstructions C D of shape (n_samples, n_features)."""
        check_is_fitted(self, "components_")
        # X_hat = C D
        return np.asarray(code, dtype=float) @ self.components_

    def score(self, X: Any, y: Any = None) -> float:
        """Minus the objective F(C, D) per sample, with C = transform(X) (higher is better)."""
        code = self.transform(X)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return -objective(X, code, self.components_, float(self.alpha)) / X.shape[0]

    @property
    def _n_features_out(self) -> int:
        return self.components_.shape[0]
