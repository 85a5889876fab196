r"""Linear models: least-squares regression and (multinomial) logistic regression.

Linear regression
-----------------
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

Logistic regression
-------------------
Binary: P(y = 1 | x) = sigma(z) with z = b + x . w and sigma(z) = 1 / (1 + e^{-z}).
For K > 2 classes the softmax generalises it: P(y = k | x) = e^{z_k} / sum_j e^{z_j}
with one score z_k = b_k + x . w_k per class.

The objective is scikit-learn's L2-penalised log-likelihood (the intercepts are not
penalised),

    J(W, b) = 1/2 ||W||^2 + C * sum_i s_i * logloss_i,

where logloss_i = log(1 + e^{z_i}) - y_i z_i (binary, y_i in {0, 1}) or
logsumexp(z_i) - z_{i, y_i} (multinomial).  The solvers minimise the equivalent
J / (C S), i.e. the weighted mean log-loss plus ||W||^2 / (2 C S), whose gradient and
Hessian are

    grad_W = (P - Y)^T diag(s) X / S + W / (C S),    grad_b = (P - Y)^T s / S,
    H      = X~^T diag(s) [diag(p) - p p^T] X~ / S + diag(1 / (C S) on W, 0 on b),

with X~ = [X, 1], P the predicted probabilities and Y the one-hot labels (for the binary
model P - Y is the column sigma(z) - y and the middle factor is p (1 - p)).

* ``solver="lbfgs"``: our loss and gradient, driven by scipy's L-BFGS-B (the same
  optimiser and stopping rules as scikit-learn's default solver).
* ``solver="newton"``: Newton's method, w <- w - t H^{-1} grad, with a backtracking
  (Armijo) line search on t.  For the multinomial model with intercepts the Hessian is
  singular along "add the same constant to every intercept" (that leaves all
  probabilities unchanged); since the gradient is orthogonal to that direction we add
  u u^T along it, which makes the system solvable without changing the Newton step.
* ``solver="gd"``: plain gradient descent with step 1 / L, where L bounds the curvature:
  lambda_max(X~^T diag(s) X~) / S times 1/4 (binary) or 1/2 (softmax), plus 1 / (C S).

All three stop when the largest absolute entry of the gradient of J / (C S) is at most
``tol`` (scikit-learn's ``gtol`` for L-BFGS).

References
----------
* T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*, 2nd ed.,
  sections 3.2 (least squares) and 4.4 (logistic regression).
* J. Nocedal, S. Wright, *Numerical Optimization*, 2nd ed., chapters 3 (line search),
  6 (Newton) and 7 (L-BFGS).
* scikit-learn's ``LinearRegression`` and ``LogisticRegression`` (the reference).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.special import expit, log_expit, logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import (History, check_option, check_sample_weight, check_scalar_param, max_abs,
                    overflow_safe_scale, warn_not_converged)

__all__ = ["LinearRegression", "LogisticRegression"]


# ---------------------------------------------------------------------------
# Shared helpers
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
# Linear regression
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


# ---------------------------------------------------------------------------
# Logistic regression: the objective
# ---------------------------------------------------------------------------


class _LogisticObjective:
    """J / (C S): weighted mean log-loss + ||W||^2 / (2 C S), with gradient and Hessian.

    The parameter vector ``theta`` is the flattened ``(n_outputs, n_features + fit_intercept)``
    matrix ``[W | b]`` (one row for the binary model, one per class otherwise).
    """

    def __init__(self, X, y_index, n_classes, sw, C, fit_intercept):
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.binary = n_classes == 2
        self.n_outputs = 1 if self.binary else n_classes
        self.fit_intercept = fit_intercept
        self.width = self.n_features + int(fit_intercept)
        S = sw.sum()
        self.w_mean = sw / S  # s_i / S: the weights of the mean log-loss
        # Penalty strength in the scaled objective: ||W||^2 / (2 C S).
        self.alpha = 1.0 / (C * S)
        if self.binary:
            self.y = (y_index == 1).astype(np.float64)  # (n,) in {0, 1}
        else:
            self.Y = np.zeros((self.n_samples, n_classes))  # one-hot (n, K)
            self.Y[np.arange(self.n_samples), y_index] = 1.0
            self.y_index = y_index

    @property
    def size(self) -> int:
        return self.n_outputs * self.width

    def unpack(self, theta):
        """``theta`` -> (W of shape (n_outputs, p), b of shape (n_outputs,))."""
        M = theta.reshape(self.n_outputs, self.width)
        if self.fit_intercept:
            return M[:, : self.n_features], M[:, self.n_features]
        return M, np.zeros(self.n_outputs)

    def initial(self) -> np.ndarray:
        """Zero weights; intercepts at the class log-odds (the optimum when W = 0)."""
        theta = np.zeros(self.size)
        if self.fit_intercept:
            M = theta.reshape(self.n_outputs, self.width)
            if self.binary:
                p = float(np.clip(self.w_mean @ self.y, 1e-12, 1 - 1e-12))
                # b = log(p / (1 - p))
                M[0, -1] = np.log(p / (1.0 - p))
            else:
                prior = np.clip(self.w_mean @ self.Y, 1e-12, None)  # (K,)
                # b_k = log(prior_k), centred: softmax is unchanged by a common shift
                M[:, -1] = np.log(prior) - np.log(prior).mean()
        return theta

    def scores(self, theta):
        """Scores z = W x + b: (n,) for the binary model, (K, n) (class-major) otherwise."""
        W, b = self.unpack(theta)
        if self.binary:
            return self.X @ W[0] + b[0]  # (n, p) @ (p,) -> (n,)
        # X @ W^T with W^T contiguous: (n, p) @ (p, K) -> (n, K).  (The same product written
        # W @ X^T was up to 50x slower with multi-threaded OpenBLAS on a busy machine.)
        scores = self.X @ np.ascontiguousarray(W.T)
        # class-major copy (K, n): reductions over classes then run along contiguous rows
        z = np.empty((self.n_outputs, self.n_samples))
        np.add(scores.T, b[:, None], out=z)
        return z

    def loss_gradient(self, theta):
        """(J / (C S), its gradient) in one pass over the data."""
        W, _ = self.unpack(theta)
        z = self.scores(theta)
        if self.binary:
            losses, r = _binary_loss_residual(z, self.y)
            r *= self.w_mean  # (s_i / S) (sigma(z_i) - y_i)
            grad_W = (r @ self.X)[None, :]  # (n,) @ (n, p) -> (1, p)
            grad_b = np.array([r.sum()])
        else:
            lse, P = _log_softmax_parts(z)  # (n,), (K, n)
            # logloss_i = logsumexp(z_i) - z_{i, y_i}
            losses = lse - z[self.y_index, np.arange(self.n_samples)]
            # d logloss / dz = softmax(z) - onehot(y), weighted by s_i / S
            P[self.y_index, np.arange(self.n_samples)] -= 1.0
            R = P
            R *= self.w_mean  # (K, n)
            grad_W = R @ self.X  # (K, n) @ (n, p) -> (K, p)
            grad_b = R.sum(axis=1)  # (K,)
        loss = float(self.w_mean @ losses) + 0.5 * self.alpha * float(np.vdot(W, W))
        # grad_W += W / (C S)
        grad_W += self.alpha * W
        if self.fit_intercept:
            grad = np.concatenate([grad_W, grad_b[:, None]], axis=1)  # (n_outputs, p + 1)
        else:
            grad = grad_W
        return loss, grad.ravel()

    def hessian(self, theta) -> np.ndarray:
        """The Hessian of J / (C S), shape (size, size)."""
        z = self.scores(theta)
        X = self.X
        q, p = self.width, self.n_features
        if self.binary:
            prob = expit(z)  # (n,)
            # H = X~^T diag(s p (1 - p) / S) X~ + alpha on the weights
            d = self.w_mean * prob * (1.0 - prob)  # (n,)
            H = _weighted_gram(X, d, self.fit_intercept)  # (q, q)
            H[np.arange(p), np.arange(p)] += self.alpha
            return H
        K = self.n_outputs
        P = _log_softmax_parts(z)[1].T  # (n, K)
        Xt = np.hstack([X, np.ones((self.n_samples, 1))]) if self.fit_intercept else X  # (n, q)
        # block (k, j) = X~^T diag(s (p_k [k == j] - p_k p_j) / S) X~, assembled as
        # blockdiag_k(X~^T diag(s p_k / S) X~) - A^T diag(s / S) A with A = [p_1 X~, ..., p_K X~]
        root = np.sqrt(self.w_mean)
        # rows of A scaled by sqrt(s_i / S); B^T B lets BLAS use its symmetric product
        B = ((root[:, None] * P)[:, :, None] * Xt[:, None, :]).reshape(self.n_samples, K * q)
        H = -(B.T @ B)  # (K q, n) @ (n, K q) -> (K q, K q)
        for k in range(K):
            H[k * q:(k + 1) * q, k * q:(k + 1) * q] += _weighted_gram(
                X, self.w_mean * P[:, k], self.fit_intercept)
        weights = np.tile(np.r_[np.ones(p), np.zeros(q - p)], K).astype(bool)
        H[weights, weights] += self.alpha
        return H

    def curvature_bound(self) -> float:
        """An upper bound L on the Hessian's largest eigenvalue (for the gd step 1/L)."""
        gram = _weighted_gram(self.X, self.w_mean, self.fit_intercept)
        # sigma' <= 1/4; the softmax Jacobian diag(p) - p p^T has eigenvalues <= 1/2
        factor = 0.25 if self.binary else 0.5
        return factor * _largest_eigenvalue(gram) + self.alpha


def _binary_loss_residual(z, y):
    """Per-sample log-losses log(1 + e^z) - y z and residuals sigma(z) - y.

    Both come from one e = exp(-|z|) (never overflows):
    log(1 + e^z) = max(z, 0) + log1p(e), sigma(z) = 1 / (1 + e) if z >= 0 else e / (1 + e).
    """
    e = np.exp(-np.abs(z))
    losses = np.maximum(z, 0.0) + np.log1p(e) - y * z
    r = np.where(z >= 0, 1.0, e)
    r /= 1.0 + e
    r -= y
    return losses, r


def _log_softmax_parts(z):
    """For class-major scores z of shape (K, n): logsumexp over classes (n,) and softmax (K, n).

    lse = m + log(sum_k e^{z_k - m}), m = max_k z_k (so no exponent overflows).
    """
    m = z.max(axis=0)  # (n,)
    E = np.exp(z - m)  # (K, n)
    total = E.sum(axis=0)  # (n,)
    E /= total
    return m + np.log(total), E


def _weighted_gram(X, d, fit_intercept) -> np.ndarray:
    """X~^T diag(d) X~ with X~ = [X, 1] when ``fit_intercept``."""
    Xd = X * d[:, None]  # (n, p)
    xx = Xd.T @ X  # (p, n) @ (n, p) -> (p, p)
    if not fit_intercept:
        return xx
    p = X.shape[1]
    G = np.empty((p + 1, p + 1))
    G[:p, :p] = xx
    G[:p, p] = G[p, :p] = Xd.sum(axis=0)
    G[p, p] = d.sum()
    return G


# ---------------------------------------------------------------------------
# Logistic regression: the solvers (each returns theta, n_iter, converged, detail)
# ---------------------------------------------------------------------------


def _solve_lbfgs(obj, theta0, max_iter, tol, history):
    last = {}

    def fun(theta):
        loss, grad = obj.loss_gradient(theta)
        last.update(theta=theta.copy(), loss=loss, grad=grad)
        if not history:
            history.record(iteration=0, objective=loss, grad_max=float(np.max(np.abs(grad))))
        return loss, grad

    def callback(intermediate_result):
        theta = intermediate_result.x
        if np.array_equal(theta, last.get("theta")):
            loss, grad = last["loss"], last["grad"]
        else:  # not expected with L-BFGS-B, but stay correct
            loss, grad = obj.loss_gradient(theta)
        history.record(iteration=len(history), objective=loss,
                       grad_max=float(np.max(np.abs(grad))))

    result = scipy.optimize.minimize(
        fun, theta0, method="L-BFGS-B", jac=True, callback=callback,
        options={"maxiter": max_iter, "maxls": 50, "gtol": tol,
                 "ftol": 64 * np.finfo(float).eps},
    )
    return result.x, int(result.nit), result.status == 0, str(result.message)


def _solve_newton(obj, theta0, max_iter, tol, history):
    theta = theta0
    singular = None
    if not obj.binary and obj.fit_intercept:
        # u: "add the same constant to every intercept", the Hessian's null direction
        singular = np.zeros(obj.size)
        singular.reshape(obj.n_outputs, obj.width)[:, -1] = 1.0 / np.sqrt(obj.n_outputs)
    loss, grad = obj.loss_gradient(theta)
    for iteration in range(max_iter + 1):
        grad_max = float(np.max(np.abs(grad)))
        history.record(iteration=iteration, objective=loss, grad_max=grad_max)
        if grad_max <= tol:
            return theta, iteration, True, ""
        if iteration == max_iter:
            break
        with np.errstate(over="ignore", invalid="ignore"):
            H = obj.hessian(theta)
        if not np.all(np.isfinite(H)):
            raise _too_large_for("solver='newton'", "the Hessian X^T diag(p (1 - p)) X")
        if singular is not None:
            # H + c u u^T: solvable, and the same step since grad is orthogonal to u
            H += np.mean(np.diag(H)) * np.outer(singular, singular)
        # Newton direction: H d = -grad
        try:
            direction = scipy.linalg.cho_solve(scipy.linalg.cho_factor(H), -grad)
        except (np.linalg.LinAlgError, ValueError):
            direction = np.linalg.lstsq(H, -grad, rcond=None)[0]
        slope = float(grad @ direction)
        if slope >= 0:  # not a descent direction (numerical trouble): use the gradient
            direction, slope = -grad, -float(grad @ grad)
        # Backtracking line search: halve t until J(theta + t d) <= J(theta) + 1e-4 t slope
        step = 1.0
        while True:
            candidate = theta + step * direction
            new_loss, new_grad = obj.loss_gradient(candidate)
            if new_loss <= loss + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        if step < 1e-10 and new_loss > loss:
            return theta, iteration, False, "the line search found no decrease"
        theta, loss, grad = candidate, new_loss, new_grad
    return theta, max_iter, False, f"max|grad| = {grad_max:.3g} > tol = {tol:.3g}"


def _solve_gd(obj, theta0, max_iter, tol, history, learning_rate):
    if learning_rate is None:
        with np.errstate(over="ignore", invalid="ignore"):
            bound = obj.curvature_bound()
        if not np.isfinite(bound):
            raise _too_large_for("solver='gd'", "the curvature bound of X^T X")
        eta = 1.0 / bound
    else:
        eta = float(learning_rate)
    theta = theta0
    for iteration in range(max_iter + 1):
        loss, grad = obj.loss_gradient(theta)
        grad_max = float(np.max(np.abs(grad)))
        history.record(iteration=iteration, objective=loss, grad_max=grad_max)
        if not np.isfinite(loss):
            _raise_diverged(eta, iteration)
        if grad_max <= tol:
            return theta, iteration, True, ""
        if iteration == max_iter:
            break
        # theta <- theta - eta * grad
        theta = theta - eta * grad
    return theta, max_iter, False, f"max|grad| = {grad_max:.3g} > tol = {tol:.3g}"


# ---------------------------------------------------------------------------
# Logistic regression: the estimator
# ---------------------------------------------------------------------------


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-penalised logistic regression: sigmoid for two classes, softmax for more.

    Minimises scikit-learn's objective ``1/2 ||W||^2 + C * sum_i s_i logloss_i`` (the
    intercepts are not penalised), so the coefficients match
    ``sklearn.linear_model.LogisticRegression`` once both have converged.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength (> 0); larger C means a weaker penalty, and
        ``C=inf`` none at all.
    solver : {"lbfgs", "newton", "gd"}, default="lbfgs"
        ``"lbfgs"``: our loss and gradient under scipy's L-BFGS-B; ``"newton"``: Newton's
        method with our Hessian and a backtracking line search; ``"gd"``: gradient descent.
    fit_intercept : bool, default=True
    max_iter : int, default=100
        Maximum number of iterations of the solver.
    tol : float, default=1e-4
        Stop when ``max|grad|`` of the scaled objective ``J / (C S)`` is at most ``tol``.
    learning_rate : float or None, default=None
        Step of ``"gd"``; None uses the safe step 1 / L (L bounds the curvature).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    history_ : History
        One record per iteration: ``iteration``, ``objective`` (the weighted mean log-loss
        plus ``||W||^2 / (2 C S)``) and ``grad_max``.
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [-0.5], [0.5], [1.0], [2.0]])
    >>> y = np.array([0, 0, 1, 0, 1, 1])
    >>> model = LogisticRegression(C=10.0).fit(X, y)
    >>> model.predict([[-3.0], [3.0]]).tolist()
    [0, 1]
    >>> bool(np.allclose(model.predict_proba(X).sum(axis=1), 1.0))
    True
    """

    def __init__(self, C=1.0, solver="lbfgs", fit_intercept=True, max_iter=100, tol=1e-4,
                 learning_rate=None):
        self.C = C
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two distinct ones).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights ``s_i`` of the log-losses.

        Returns
        -------
        self
        """
        # C = inf: no penalty at all (plain maximum likelihood)
        check_scalar_param(self.C, "C", low=0.0, low_inclusive=False, allow_inf=True)
        check_option(self.solver, "solver", ("lbfgs", "newton", "gd"))
        _check_iterative_params(self)
        X, y = validate_data(self, X, y, dtype=np.float64, order="C")
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "LogisticRegression needs samples of at least 2 classes in y; "
                f"got one class: {self.classes_[0]!r}."
            )
        sw = check_sample_weight(sample_weight, X.shape[0])

        obj = _LogisticObjective(X, y_index, len(self.classes_), sw, float(self.C),
                                 self.fit_intercept)
        self.history_ = History()
        theta0 = obj.initial()
        if self.solver == "lbfgs":
            theta, n_iter, converged, detail = _solve_lbfgs(obj, theta0, self.max_iter,
                                                            self.tol, self.history_)
        elif self.solver == "newton":
            theta, n_iter, converged, detail = _solve_newton(obj, theta0, self.max_iter,
                                                             self.tol, self.history_)
        else:
            theta, n_iter, converged, detail = _solve_gd(obj, theta0, self.max_iter, self.tol,
                                                         self.history_, self.learning_rate)
        if not converged:
            warn_not_converged(self, self.max_iter, detail)
        self.n_iter_ = n_iter

        W, b = obj.unpack(theta)
        self.coef_ = W.copy()  # (1, p) or (K, p)
        b = b.copy()
        if not obj.binary and self.fit_intercept:
            # softmax is unchanged by a common shift; report the centred intercepts
            b -= b.mean()
        self.intercept_ = b
        return self

    def decision_function(self, X):
        """Scores ``z = X W^T + b``: shape (n_samples,) for two classes, else (n_samples, K)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        z = X @ self.coef_.T + self.intercept_  # (n, p) @ (p, K) -> (n, K)
        return z[:, 0] if len(self.classes_) == 2 else z

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns ordered as ``classes_``."""
        z = self.decision_function(X)
        if z.ndim == 1:
            # P(y = 1 | x) = sigma(z)
            p1 = expit(z)
            return np.column_stack([1.0 - p1, p1])
        # softmax(z)_k = e^{z_k - logsumexp(z)}
        return np.exp(z - logsumexp(z, axis=1, keepdims=True))

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably."""
        z = self.decision_function(X)
        if z.ndim == 1:
            return np.column_stack([log_expit(-z), log_expit(z)])
        return z - logsumexp(z, axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each row."""
        z = self.decision_function(X)
        index = (z > 0).astype(int) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[index]
