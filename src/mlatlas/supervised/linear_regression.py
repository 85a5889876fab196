r"""Linear regression: ordinary (optionally weighted) least squares.

The model is a weighted sum of the features plus an intercept,

    y_hat = b + w_1 x_1 + ... + w_p x_p = b + x . w,

fitted by (weighted) least squares,

    minimise  L(w, b) = 1 / (2 S) * sum_i s_i (y_i - b - x_i . w)^2,   S = sum_i s_i.

Centring makes the intercept separable: with the weighted means
x_bar = sum_i s_i x_i / S and y_bar = sum_i s_i y_i / S, the optimal slope solves the
least-squares problem on the centred data X_c = X - x_bar, y_c = y - y_bar, and then
b = y_bar - x_bar . w.  Weights enter by scaling every row by sqrt(s_i).

* ``solver="lstsq"`` solves min ||sqrt(s) (X_c w - y_c)|| with an SVD-based LAPACK
  least-squares routine (minimum-norm solution when X is rank deficient).
* ``solver="gd"`` runs gradient descent on L,

      grad_w L = -X_c^T (s * r) / S,   r = y_c - X_c w,
      w <- w - eta * grad_w L,

  with the step eta = 1 / lambda_max(X_c^T diag(s) X_c / S) unless ``learning_rate``
  is given.  That step is 1 / (Lipschitz constant of the gradient), which makes every
  epoch decrease L.

References
----------
* T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*, 2nd ed.,
  section 3.2 (least squares).
* scikit-learn's ``LinearRegression`` (the reference).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import (History, check_option, check_sample_weight, check_scalar_param, max_abs,
                    overflow_safe_scale, warn_not_converged)

__all__ = ["LinearRegression"]


# ---------------------------------------------------------------------------
# Checks and messages shared with logistic_regression.py (both have a "gd" solver)
# ---------------------------------------------------------------------------


def _check_iterative_params(est) -> None:
    check_option(est.fit_intercept, "fit_intercept", (True, False))
    check_scalar_param(est.max_iter, "max_iter", kind=numbers.Integral, low=1)
    check_scalar_param(est.tol, "tol", low=0.0)
    check_scalar_param(est.learning_rate, "learning_rate", low=0.0, low_inclusive=False,
                       allow_none=True)


def _raise_diverged(eta: float, epoch: int) -> None:
    raise ValueError(
        f"learning_rate={eta:.3g} is too large: gradient descent diverged (the loss became "
        f"infinite at iteration {epoch}); use learning_rate=None for the safe step 1/L."
    )


def _too_large_for(solver: str, what: str) -> ValueError:
    return ValueError(
        f"X is too large for {solver}: {what} overflows float64 (|x| near 1e154 or more); "
        "rescale X, e.g. divide it by its largest absolute value.")


def _largest_eigenvalue(gram: np.ndarray) -> float:
    """The largest eigenvalue of a symmetric positive semi-definite matrix (inf if it overflowed)."""
    if not np.all(np.isfinite(gram)):
        return np.inf
    return float(scipy.linalg.eigvalsh(gram, subset_by_index=[gram.shape[0] - 1] * 2)[0])



# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class LinearRegression(RegressorMixin, BaseEstimator):
    """Ordinary (optionally weighted) least squares, closed form or gradient descent.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Fit the intercept ``b``; when False the model goes through the origin.
    solver : {"lstsq", "gd"}, default="lstsq"
        ``"lstsq"`` solves the least-squares problem directly (SVD, LAPACK ``gelsd``);
        ``"gd"`` runs full-batch gradient descent and records ``history_``.
    learning_rate : float or None, default=None
        Step size of ``"gd"``.  None uses 1 / L, L the largest eigenvalue of the
        (weighted, centred) ``X^T X / S``, which guarantees a decrease every epoch.
    max_iter : int, default=1000
        Maximum number of gradient-descent epochs.
    tol : float, default=1e-6
        ``"gd"`` stops when ``max|grad|`` has shrunk below ``tol`` times its value at the
        start (a scale-free criterion).  ``"lstsq"`` treats singular values below ``tol``
        times the largest one as zero (as scikit-learn does), so that (nearly) collinear
        features get the minimum-norm solution.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    history_ : History
        ``"gd"``: one record per epoch with ``epoch``, ``loss`` (the weighted half mean
        squared error) and ``grad_max``.  Empty for ``"lstsq"``.
    n_iter_ : int
        Epochs run (1 for ``"lstsq"``: one direct solve).
    rank_, singular_values_ : int, ndarray
        Of the (centred, weighted) design matrix, from ``"lstsq"``.
    n_features_in_ : int

    Notes
    -----
    Minimises ``1/(2S) sum_i s_i (y_i - b - x_i . w)^2``; see the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 3.0]])
    >>> y = 1.0 + 2.0 * X[:, 0] - 1.0 * X[:, 1]
    >>> model = LinearRegression().fit(X, y)
    >>> np.round(model.coef_, 6).tolist(), round(float(model.intercept_), 6)
    ([2.0, -1.0], 1.0)
    """

    def __init__(self, fit_intercept=True, solver="lstsq", learning_rate=None, max_iter=1000,
                 tol=1e-6):
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the coefficients.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights ``s_i``; an integer weight acts like repeating the row.

        Returns
        -------
        self
        """
        check_option(self.solver, "solver", ("lstsq", "gd"))
        _check_iterative_params(self)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)
        sw = check_sample_weight(sample_weight, X.shape[0])
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y  # (n, k)
        # Where sums of X (or y) and their squares would overflow, "lstsq" solves for X / a
        # and y / c instead (a, c powers of two: exact; 1 on ordinary data), whose slope is
        # w' = (a / c) w and intercept b' = b / c.
        x_scale = y_scale = 1.0
        if self.solver == "lstsq":
            x_scale = overflow_safe_scale(max_abs(X), X.shape[0])
            y_scale = overflow_safe_scale(max_abs(y2), X.shape[0])
            X = X / x_scale if x_scale != 1.0 else X
            y2 = y2 / y_scale if y_scale != 1.0 else y2

        # Weighted means x_bar = sum s_i x_i / S, y_bar = sum s_i y_i / S.
        if self.fit_intercept:
            x_bar = sw @ X / sw.sum()  # (p,)
            y_bar = sw @ y2 / sw.sum()  # (k,)
            Xc, yc = X - x_bar, y2 - y_bar
        else:
            x_bar, y_bar = np.zeros(X.shape[1]), np.zeros(y2.shape[1])
            Xc, yc = X, y2

        self.history_ = History()
        if self.solver == "lstsq":
            W = self._fit_lstsq(Xc, yc, sw)  # (p, k)
            self.n_iter_ = 1  # one direct solve
        else:
            W, detail = self._fit_gd(Xc, yc, sw)
            if detail:
                warn_not_converged(self, self.max_iter, detail)

        # b = y_bar - x_bar . w
        intercept = y_bar - x_bar @ W  # (k,)
        if x_scale != 1.0 or y_scale != 1.0:
            W_scaled = W
            with np.errstate(over="ignore", under="ignore"):
                # w = (c / a) w', b = c b'
                W, intercept = W * (y_scale / x_scale), intercept * y_scale
                self.singular_values_ = self.singular_values_ * x_scale
            vanished = (W_scaled != 0) & (np.abs(W) < np.finfo(np.float64).tiny)
            if not (np.all(np.isfinite(W)) and np.all(np.isfinite(intercept))) or vanished.any():
                raise ValueError(
                    "the least-squares coefficients are beyond the float64 range: y is too "
                    f"{'large' if not np.all(np.isfinite(W)) else 'small'} relative to X; "
                    "rescale X or y.")
        if y.ndim == 1:
            self.coef_ = W[:, 0]
            self.intercept_ = float(intercept[0]) if self.fit_intercept else 0.0
        else:
            self.coef_ = W.T.copy()  # (k, p)
            self.intercept_ = intercept if self.fit_intercept else np.zeros(y2.shape[1])
        return self

    def _fit_lstsq(self, Xc, yc, sw):
        if not np.all(sw == 1.0):
            # Rows scaled by sqrt(s_i): sum_i s_i r_i^2 = ||sqrt(s) * r||^2.
            root = np.sqrt(sw)[:, None]
            Xc, yc = Xc * root, yc * root
        # Singular values below tol * the largest count as zero (scikit-learn's cond=tol):
        # near-collinear directions get the minimum-norm answer instead of noise.
        W, _, rank, singular_values = scipy.linalg.lstsq(Xc, yc, cond=self.tol,
                                                         check_finite=False)
        self.rank_ = int(rank)
        self.singular_values_ = singular_values
        return W

    def _fit_gd(self, Xc, yc, sw):
        S = sw.sum()
        Xs = Xc * (sw / S)[:, None]  # rows scaled by s_i / S, so that Xs^T r = X^T (s * r) / S
        if self.learning_rate is None:
            # L = lambda_max(X^T diag(s) X / S): the gradient's Lipschitz constant.
            with np.errstate(over="ignore", invalid="ignore"):
                L = _largest_eigenvalue(Xs.T @ Xc)  # (p, p)
            if not np.isfinite(L):
                raise _too_large_for("solver='gd'", "X^T X")
            eta = 1.0 / L if L > 0 else 1.0
        else:
            eta = float(self.learning_rate)
        W = np.zeros((Xc.shape[1], yc.shape[1]))  # (p, k)
        grad0 = None
        converged = False
        for epoch in range(self.max_iter + 1):
            # r = y - X w
            r = yc - Xc @ W  # (n, k)
            # L = 1/(2S) sum_i s_i r_i^2
            with np.errstate(over="ignore", invalid="ignore"):
                loss = 0.5 * float(np.sum(sw @ (r * r))) / S
            if not np.isfinite(loss):
                _raise_diverged(eta, epoch)
            # grad = -X^T (s * r) / S
            grad = -(Xs.T @ r)  # (p, k)
            grad_max = float(np.max(np.abs(grad))) if grad.size else 0.0
            self.history_.record(epoch=epoch, loss=loss, grad_max=grad_max)
            if grad0 is None:
                grad0 = max(grad_max, np.finfo(float).tiny)
            if grad_max <= self.tol * grad0:
                converged = True
                break
            if epoch == self.max_iter:
                break
            W = W - eta * grad
        self.n_iter_ = epoch
        detail = "" if converged else (
            f"max|grad| = {grad_max:.3g} > tol * initial = {self.tol * grad0:.3g}")
        return W, detail

    def predict(self, X):
        """Predicted values ``b + X w``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        # y_hat = X w + b
        return X @ self.coef_.T + self.intercept_  # (n,) or (n, k)

