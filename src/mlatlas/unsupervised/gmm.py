"""Gaussian mixture models fitted by expectation-maximisation (EM).

A Gaussian mixture says each sample comes from one of ``K`` Gaussians, chosen with
probabilities ``pi_k`` (the weights); which one is a latent variable ``z``::

    p(x) = sum_k p(z = k) p(x | z = k) = sum_k pi_k N(x | mu_k, Sigma_k)

The log-likelihood ``sum_i log p(x_i)`` has a sum inside the log, so it has no
closed-form maximiser.  EM climbs it by alternating two steps:

E-step (responsibilities: the posterior of ``z`` under the current parameters)::

    r_ik = p(z = k | x_i) = pi_k N(x_i | mu_k, Sigma_k) / sum_j pi_j N(x_i | mu_j, Sigma_j)

M-step (maximise the expected complete-data log-likelihood given ``r``)::

    N_k     = sum_i r_ik
    pi_k    = N_k / n
    mu_k    = sum_i r_ik x_i / N_k
    Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k  +  reg_covar * I

EM learns all three -- the weights, the means and the covariances -- and each round
never lowers the log-likelihood (up to the tiny ``reg_covar`` ridge): the E-step makes
the lower bound (ELBO) touch the log-likelihood, the M-step raises the bound.  Here the
posterior ``p(z | x)`` is exact, so no variational approximation is needed.

Covariance shapes (``covariance_type``): ``"full"`` one matrix per component, ``"tied"``
one matrix shared by all, ``"diag"`` one diagonal per component, ``"spherical"`` one
variance per component.

Numerics.  Densities are handled in logs.  With ``Sigma = L L^T`` (Cholesky) and
``U = L^{-T}`` (upper triangular, ``Sigma^{-1} = U U^T``)::

    log N(x | mu, Sigma) = -d/2 log(2 pi) + sum_f log U_ff - 1/2 ||(x - mu)^T U||^2

and the normaliser of the responsibilities uses log-sum-exp,
``log sum_k e^{a_k} = m + log sum_k e^{a_k - m}`` with ``m = max_k a_k``.  ``U`` is
stored as ``precisions_cholesky_`` (scikit-learn's convention).

Data so large (or small) that their squares would overflow (or underflow) float64 are
fitted as ``X / s``, ``s`` a power of two (exact): a Gaussian of ``X / s`` with mean
``mu / s`` and covariance ``Sigma / s^2`` is the same model, ``reg_covar`` becomes
``reg_covar / s^2``, and ``log N(x | mu, Sigma) = log N(x / s | mu / s, Sigma / s^2) - d log s``.
When the covariances themselves are beyond the float64 range, the fit raises a
``ValueError`` instead of returning NaN.

References
----------
A. Dempster, N. Laird and D. Rubin, "Maximum likelihood from incomplete data via the
EM algorithm", JRSS B 39(1), 1977.  C. Bishop, *Pattern Recognition and Machine
Learning*, section 9.2, 2006.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .. import _parallel
from ..base import (ConvergenceWarning, History, InvalidParameterError, check_option, check_random_state, check_scalar_param,
                    max_abs, overflow_safe_scale)
from .kmeans import KMeans

__all__ = ["GaussianMixture"]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_LOG_2PI = np.log(2.0 * np.pi)


def _ill_defined(detail: str = "") -> ValueError:
    return ValueError(
        "Fitting the Gaussian mixture failed: a covariance matrix is not positive definite"
        + (f" ({detail})" if detail else "")
        + ". Some components collapsed onto too few (or identical) samples; use fewer "
        "components, a larger reg_covar, or rescale the data."
    )


# ---------------------------------------------------------------------------
# M-step: weights, means, covariances from responsibilities
#
# Internally responsibilities and log densities are laid out component-major, (K, n):
# the sums over components then run along the first axis, which NumPy does with
# whole-row operations, instead of many length-K reductions.
# ---------------------------------------------------------------------------


def _m_step(X, resp, reg_covar, covariance_type):
    """Maximum-likelihood parameters given responsibilities ``resp`` (K, n).

    Returns ``nk`` (K,) soft counts, ``means`` (K, d) and the covariances in the shape of
    ``covariance_type``.
    """
    n_samples, n_features = X.shape
    # N_k = sum_i r_ik  (a tiny floor keeps empty components finite)
    nk = resp.sum(axis=1) + 10 * np.finfo(resp.dtype).eps
    # mu_k = sum_i r_ik x_i / N_k: (K, n) @ (n, d) -> (K, d)
    means = (resp @ X) / nk[:, None]

    if covariance_type == "full":
        covariances = np.empty((len(nk), n_features, n_features))
        X_t = np.ascontiguousarray(X.T)  # (d, n): the loop below works on whole rows
        sqrt_resp = np.sqrt(resp)
        for k in range(len(nk)):
            # a = sqrt(r_ki) (x_i - mu_k) as columns, (d, n)
            a = X_t - means[k][:, None]
            a *= sqrt_resp[k]
            # Sigma_k = sum_i r_ki (x_i - mu_k)(x_i - mu_k)^T / N_k = a a^T / N_k: (d, n) @ (n, d)
            covariances[k] = (a @ a.T) / nk[k]
            covariances[k].flat[:: n_features + 1] += reg_covar
        return nk, means, covariances
    # The moment formulas below subtract two large numbers when the data sit far from
    # the origin; measuring from the data mean (any fixed point works) avoids that.
    x_bar = X.mean(axis=0)
    Xc, means_c = X - x_bar, means - x_bar
    if covariance_type == "tied":
        # Sigma = (sum_i x_i x_i^T - sum_k N_k mu_k mu_k^T) / n: one matrix for all components
        second_moment = Xc.T @ Xc  # (d, n) @ (n, d) -> (d, d)
        between = (nk * means_c.T) @ means_c  # (d, K) @ (K, d) -> (d, d)
        covariance = (second_moment - between) / nk.sum()
        covariance.flat[:: n_features + 1] += reg_covar
        return nk, means, covariance
    # diagonal variances: sigma_kf^2 = sum_i r_ik x_if^2 / N_k - mu_kf^2, (K, d)
    avg_x2 = (resp @ (Xc * Xc)) / nk[:, None]  # (K, n) @ (n, d) -> (K, d)
    variances = avg_x2 - means_c**2
    np.maximum(variances, 0.0, out=variances)  # rounding can leave tiny negatives
    variances += reg_covar
    if covariance_type == "diag":
        return nk, means, variances
    # spherical: one variance per component, the mean of its diagonal
    return nk, means, variances.mean(axis=1)


def _precisions_cholesky(covariances, covariance_type):
    """``U`` with ``Sigma^{-1} = U U^T`` for each covariance (raises if not positive definite)."""
    if covariance_type in ("full", "tied"):
        matrices = covariances[None] if covariance_type == "tied" else covariances
        n_features = matrices.shape[-1]
        out = np.empty_like(matrices)
        eye = np.eye(n_features)
        for k, cov in enumerate(matrices):
            try:
                chol = linalg.cholesky(cov, lower=True, check_finite=False)  # Sigma = L L^T
            except linalg.LinAlgError:
                raise _ill_defined(f"component {k}") from None
            # U = L^{-T}: solve L V = I, then transpose
            out[k] = linalg.solve_triangular(chol, eye, lower=True, check_finite=False).T
        return out[0] if covariance_type == "tied" else out
    if np.any(covariances <= 0.0) or not np.all(np.isfinite(covariances)):
        raise _ill_defined("a variance is zero or negative")
    return 1.0 / np.sqrt(covariances)


def _precisions_from_cholesky(prec_chol, covariance_type):
    if covariance_type == "full":
        return prec_chol @ np.swapaxes(prec_chol, 1, 2)  # U_k U_k^T, (K, d, d)
    if covariance_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol**2


# ---------------------------------------------------------------------------
# E-step: log densities and responsibilities
# ---------------------------------------------------------------------------


def _log_gaussian(X, means, prec_chol, covariance_type):
    """``log N(x_i | mu_k, Sigma_k)`` for every component and sample, (K, n)."""
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    # Densities do not change when data and means move together; measuring from the
    # means' centroid keeps the expanded squares below free of cancellation.
    reference = means.mean(axis=0)
    X, means = X - reference, means - reference
    if covariance_type in ("full", "tied"):
        if covariance_type == "full":
            # log|Sigma_k|^{-1/2} = sum_f log U_k,ff
            log_det = np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)  # (K,)
            # U_k^T x_i for all components in one product: (K*d, d) @ (d, n) -> (K, d, n)
            u_t = np.swapaxes(prec_chol, 1, 2).reshape(n_components * n_features, n_features)
            y = (u_t @ X.T).reshape(n_components, n_features, n_samples)
            # U_k^T mu_k, (K, d)
            shift = np.einsum("kf,kfg->kg", means, prec_chol)
            # U_k^T (x_i - mu_k) = U_k^T x_i - U_k^T mu_k
            y -= shift[:, :, None]
        else:
            log_det = np.full(n_components, np.log(np.diag(prec_chol)).sum())
            projected = prec_chol.T @ X.T  # U^T x_i: (d, d) @ (d, n) -> (d, n)
            shift = means @ prec_chol  # U^T mu_k as rows, (K, d)
            y = projected[None, :, :] - shift[:, :, None]  # (K, d, n)
        np.square(y, out=y)
        # ||U_k^T (x_i - mu_k)||^2 = (x_i - mu_k)^T Sigma_k^{-1} (x_i - mu_k), (K, n)
        mahalanobis = y.sum(axis=1)
    elif covariance_type == "diag":
        # sum_f ((x_f - mu_kf) / sigma_kf)^2 expanded: x^2 p^2 - 2 x mu p^2 + mu^2 p^2, p = 1/sigma
        precisions = prec_chol**2  # (K, d)
        log_det = np.log(prec_chol).sum(axis=1)
        mahalanobis = ((means**2 * precisions).sum(axis=1)[:, None]
                       - 2.0 * ((means * precisions) @ X.T)  # (K, d) @ (d, n) -> (K, n)
                       + precisions @ (X**2).T)
    else:  # spherical
        precisions = prec_chol**2  # (K,)
        log_det = n_features * np.log(prec_chol)
        # ||x - mu_k||^2 = ||x||^2 - 2 x.mu_k + ||mu_k||^2: (K, d) @ (d, n) -> (K, n)
        sq_dist = (means**2).sum(axis=1)[:, None] - 2.0 * (means @ X.T) + np.einsum("ij,ij->i", X, X)
        mahalanobis = precisions[:, None] * sq_dist
    # log N = -d/2 log(2 pi) + log|Sigma|^{-1/2} - 1/2 (x - mu)^T Sigma^{-1} (x - mu)
    return -0.5 * (n_features * _LOG_2PI + mahalanobis) + log_det[:, None]


def _logsumexp(a):
    """``log sum_k exp(a_ki)`` over the first axis, stable: ``m + log sum_k exp(a_ki - m)``."""
    m = a.max(axis=0)
    m[~np.isfinite(m)] = 0.0
    return m + np.log(np.exp(a - m).sum(axis=0))


def _e_step(X, weights, means, prec_chol, covariance_type):
    """Mean log-likelihood and log responsibilities ``log r_ki``, (K, n)."""
    # log pi_k + log N(x_i | mu_k, Sigma_k), (K, n)
    weighted = _log_gaussian(X, means, prec_chol, covariance_type) + np.log(weights)[:, None]
    # log p(x_i) = log sum_k pi_k N(x_i | mu_k, Sigma_k), (n,)
    log_px = _logsumexp(weighted)
    # log r_ki = log pi_k + log N(x_i | mu_k, Sigma_k) - log p(x_i)
    weighted -= log_px
    return float(log_px.mean()), weighted


def _check_init_array(value, name, **options):
    """One of the ``*_init`` parameters as a finite float64 array; errors name it."""
    try:
        return check_array(value, dtype=np.float64, input_name=name, **options)
    except (TypeError, ValueError) as error:
        raise InvalidParameterError(f"{name} must be a finite array of numbers: {error}") from None


# ---------------------------------------------------------------------------
# Estimator
# ---------------------------------------------------------------------------


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture model fitted by expectation-maximisation.

    Parameters
    ----------
    n_components : int, default=1
        Number of Gaussians ``K``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        EM stops when the mean log-likelihood gains less than ``tol`` in one step.
    reg_covar : float, default=1e-6
        Added to every covariance diagonal to keep it positive definite.
    max_iter : int, default=100
        EM steps per initialisation.
    n_init : int, default=1
        Initialisations; the one with the highest final log-likelihood is kept.
    init_params : {"kmeans", "random"}, default="kmeans"
        Starting responsibilities: one-hot k-means labels, or random (normalised) ones.
    weights_init : array of shape (n_components,), optional
    means_init : array of shape (n_components, n_features), optional
    precisions_init : array, optional
        Inverse covariances, shaped like ``covariances_`` for ``covariance_type``.
        Any of the three given replaces the value the initial responsibilities give.
    random_state : None, int or numpy.random.Generator

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        (K, d, d) "full", (d, d) "tied", (K, d) "diag", (K,) "spherical".
    precisions_ : ndarray
        Inverse covariances, same shape.
    precisions_cholesky_ : ndarray
        ``U`` with ``precision = U U^T`` (the diagonal/spherical case: ``1/sigma``).
    converged_ : bool
    n_iter_ : int
        EM steps of the kept initialisation.
    lower_bound_ : float
        Mean log-likelihood per sample at the last E-step of the kept initialisation.
    history_ : History
        One row per EM step of the kept initialisation: ``log_likelihood`` (mean per
        sample, never decreasing) and ``change``.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-3, 1, (200, 1)), rng.normal(3, 1, (200, 1))]
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.round(np.sort(gm.means_.ravel())).tolist()
    [-3.0, 3.0]
    >>> gm.converged_
    True
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, random_state=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state

    # -- validation --------------------------------------------------------
    def _check_params(self, X):
        check_scalar_param(self.n_components, "n_components", kind=numbers.Integral, low=1)
        check_option(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_scalar_param(self.tol, "tol", kind=numbers.Real, low=0.0)
        check_scalar_param(self.reg_covar, "reg_covar", kind=numbers.Real, low=0.0)
        check_scalar_param(self.max_iter, "max_iter", kind=numbers.Integral, low=1)
        check_scalar_param(self.n_init, "n_init", kind=numbers.Integral, low=1)
        check_option(self.init_params, "init_params", ("kmeans", "random"))
        n_samples, n_features = X.shape
        k = self.n_components
        if n_samples < k:
            raise ValueError(f"n_samples={n_samples} should be >= n_components={k}.")

        weights = means = precisions = None
        if self.weights_init is not None:
            weights = _check_init_array(self.weights_init, "weights_init", ensure_2d=False)
            if weights.shape != (k,):
                raise ValueError(f"weights_init must have shape (n_components,) = {(k,)}; got {weights.shape}.")
            if np.any(weights < 0) or np.any(weights > 1):
                raise ValueError(f"weights_init must lie in [0, 1]; got min {weights.min():.5g}, "
                                 f"max {weights.max():.5g}.")
            if not abs(weights.sum() - 1.0) <= 1e-8:
                raise ValueError(f"weights_init must sum to 1; got {weights.sum():.10g}.")
        if self.means_init is not None:
            means = _check_init_array(self.means_init, "means_init")
            if means.shape != (k, n_features):
                raise ValueError(f"means_init must have shape (n_components, n_features) = "
                                 f"{(k, n_features)}; got {means.shape}.")
        if self.precisions_init is not None:
            precisions = self._check_precisions(n_features)
        return weights, means, precisions

    def _check_precisions(self, n_features):
        k, kind = self.n_components, self.covariance_type
        expected = {"full": (k, n_features, n_features), "tied": (n_features, n_features),
                    "diag": (k, n_features), "spherical": (k,)}[kind]
        precisions = _check_init_array(self.precisions_init, "precisions_init", ensure_2d=False,
                                       allow_nd=True)
        if precisions.shape != expected:
            raise ValueError(f"precisions_init for covariance_type={kind!r} must have shape "
                             f"{expected}; got {precisions.shape}.")
        if kind in ("full", "tied"):
            for matrix in (precisions[None] if kind == "tied" else precisions):
                if not (np.allclose(matrix, matrix.T) and np.all(linalg.eigvalsh(matrix) > 0)):
                    raise ValueError(f"precisions_init ({kind}) must hold symmetric positive-definite "
                                     "matrices.")
        elif np.any(precisions <= 0):
            raise ValueError(f"precisions_init ({kind}) must be positive.")
        return precisions

    # -- fitting -----------------------------------------------------------
    def _initial_resp(self, X, rng):
        n_samples, k = X.shape[0], self.n_components
        if self.init_params == "kmeans":
            labels = KMeans(n_clusters=k, n_init=1, random_state=rng).fit(X).labels_
            resp = np.zeros((k, n_samples))  # one-hot, component-major (K, n)
            resp[labels, np.arange(n_samples)] = 1.0
            return resp
        resp = rng.uniform(size=(n_samples, k)).T  # (K, n), same draws as row-major
        return resp / resp.sum(axis=0)

    def _initialise(self, X, rng, weights_init, means_init, precisions_init, reg_covar):
        """Parameters from the initial responsibilities, overridden by any ``*_init``."""
        nk, means, covariances = _m_step(X, self._initial_resp(X, rng), reg_covar,
                                         self.covariance_type)
        weights = nk / X.shape[0] if weights_init is None else weights_init.copy()
        if means_init is not None:
            means = means_init.copy()
        if precisions_init is None:
            prec_chol = _precisions_cholesky(covariances, self.covariance_type)
        elif self.covariance_type in ("full", "tied"):
            mats = precisions_init[None] if self.covariance_type == "tied" else precisions_init
            # any factor with precision = P P^T works in the E-step; the lower Cholesky one here
            prec_chol = np.stack([linalg.cholesky(p, lower=True) for p in mats])
            prec_chol = prec_chol[0] if self.covariance_type == "tied" else prec_chol
        else:
            prec_chol = np.sqrt(precisions_init)
        return weights, means, prec_chol

    def fit(self, X, y=None):
        """Estimate the mixture's weights, means and covariances with EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        self.fit_predict(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit, then return the most probable component of each training sample."""
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        weights_init, means_init, precisions_init = self._check_params(X)
        rng = check_random_state(self.random_state)
        # The products here are small and the rest is memory-bound element-wise work:
        # BLAS threads gain little and, on a busy machine, cost a great deal.
        with _parallel.limit_blas(1):
            return self._fit(X, rng, weights_init, means_init, precisions_init)

    def _fit(self, X, rng, weights_init, means_init, precisions_init):
        kind = self.covariance_type
        # EM runs on X / s (s a power of two, 1 on ordinary data) so that squares of X
        # cannot overflow; the model is the same once scaled back (module docstring).  Tiny
        # data are left as they are: there reg_covar dominates the covariances anyway.
        scale = max(overflow_safe_scale(max_abs(X), X.shape[1]), 1.0)
        X_original, reg_covar = X, self.reg_covar
        if scale != 1.0:
            X, reg_covar = X / scale, self.reg_covar / scale / scale
            means_init = None if means_init is None else means_init / scale
            precisions_init = None if precisions_init is None else precisions_init * scale * scale

        best = None
        for _ in range(self.n_init):
            weights, means, prec_chol = self._initialise(X, rng, weights_init, means_init,
                                                         precisions_init, reg_covar)
            covariances = None
            history = History()
            lower_bound = -np.inf
            converged = False
            for iteration in range(1, self.max_iter + 1):
                previous = lower_bound
                lower_bound, log_resp = _e_step(X, weights, means, prec_chol, kind)
                nk, means, covariances = _m_step(X, np.exp(log_resp), reg_covar, kind)
                weights = nk / nk.sum()
                prec_chol = _precisions_cholesky(covariances, kind)
                change = lower_bound - previous
                history.record(iteration=iteration, log_likelihood=lower_bound, change=change)
                if abs(change) < self.tol:
                    converged = True
                    break
            if best is None or lower_bound > best[0]:
                best = (lower_bound, weights, means, covariances, prec_chol, iteration, converged,
                        history)

        (lower_bound, weights, means, covariances, prec_chol, n_iter, converged, history) = best
        if not converged:
            warnings.warn(
                f"GaussianMixture did not converge within max_iter={self.max_iter} EM steps "
                f"(best of n_init={self.n_init}; last change in mean log-likelihood "
                f"{history[-1]['change']:.3g} >= tol={self.tol}); increase max_iter or tol, "
                "or check the initialisation.", ConvergenceWarning, stacklevel=4)

        if scale != 1.0:
            with np.errstate(over="ignore"):
                means, covariances = means * scale, covariances * scale * scale
            prec_chol = prec_chol / scale
            if not (np.all(np.isfinite(covariances)) and np.all(np.isfinite(means))):
                raise ValueError(
                    f"X is too large: its largest absolute value {max_abs(X_original):.3g} gives "
                    "covariances beyond the float64 range, so the mixture cannot be represented; "
                    "rescale X, e.g. divide it by its largest absolute value.")
            # log N(x | mu, Sigma) = log N(x / s | mu / s, Sigma / s^2) - d log s
            shift = X.shape[1] * np.log(scale)
            lower_bound -= shift
            for row in history:
                row["log_likelihood"] -= shift
        self.weights_ = weights
        self.means_ = means
        self.covariances_ = covariances
        self.precisions_cholesky_ = prec_chol
        self.precisions_ = _precisions_from_cholesky(prec_chol, kind)
        self.converged_ = bool(converged)
        self.n_iter_ = int(n_iter)
        self.lower_bound_ = float(lower_bound)
        self.history_ = history
        # labels from the final parameters, so that fit_predict(X) == fit(X).predict(X)
        return self._log_resp(X_original).argmax(axis=0)

    # -- using the fitted model ----------------------------------------------
    def _log_weighted(self, X):
        # log pi_k + log N(x_i | mu_k, Sigma_k), (K, n)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            weighted = (_log_gaussian(X, self.means_, self.precisions_cholesky_, self.covariance_type)
                        + np.log(self.weights_)[:, None])
        if not np.all(np.isfinite(weighted.max(axis=0))):
            raise ValueError(
                "X has samples so far from every component that their log densities are beyond "
                "the float64 range (or NaN); rescale X as the training data were.")
        return weighted

    def _log_resp(self, X):
        # log r_ki, (K, n)
        weighted = self._log_weighted(X)
        return weighted - _logsumexp(weighted)

    def score_samples(self, X):
        """``log p(x_i)`` for each row of ``X``, (n_samples,)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return _logsumexp(self._log_weighted(X))

    def score(self, X, y=None):
        """Mean log-likelihood per sample of ``X``."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X):
        """Responsibilities ``p(z = k | x_i)``, (n_samples, n_components)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return np.exp(self._log_resp(X)).T  # (n, K)

    def predict(self, X):
        """Most probable component of each row of ``X``, (n_samples,)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._log_weighted(X).argmax(axis=0)

    def sample(self, n_samples=1):
        """Draw ``n_samples`` points from the fitted mixture.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The component each point was drawn from (grouped by component).
        """
        check_is_fitted(self)
        check_scalar_param(n_samples, "n_samples", kind=numbers.Integral, low=1)
        rng = check_random_state(self.random_state)
        n_features = self.means_.shape[1]
        # how many points each component gets: multinomial(n, pi)
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        parts = []
        for k, (mean, count) in enumerate(zip(self.means_, counts)):
            z = rng.standard_normal((count, n_features))
            kind = self.covariance_type
            if kind in ("full", "tied"):
                cov = self.covariances_[k] if kind == "full" else self.covariances_
                # x = mu + L z with Sigma = L L^T
                parts.append(mean + z @ linalg.cholesky(cov, lower=True).T)
            elif kind == "diag":
                parts.append(mean + z * np.sqrt(self.covariances_[k]))
            else:
                parts.append(mean + z * np.sqrt(self.covariances_[k]))
        labels = np.repeat(np.arange(self.n_components), counts)
        return np.vstack(parts), labels

    def _n_parameters(self):
        """Free parameters: covariances + means + (K - 1) weights."""
        k, d = self.means_.shape
        cov = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d,
               "spherical": k}[self.covariance_type]
        return int(cov + k * d + k - 1)

    def bic(self, X):
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better)."""
        n = np.asarray(X).shape[0]
        return -2.0 * self.score(X) * n + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        n = np.asarray(X).shape[0]
        return -2.0 * self.score(X) * n + 2 * self._n_parameters()
