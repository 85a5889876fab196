r"""Logistic regression: L2-penalised, sigmoid for two classes and softmax for more.

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

Speed: the loss and its gradient are sums over the samples; they are computed on blocks
of 8192 rows (scores, losses, residuals, then the block's share of the gradient), the
blocks on all cores through :func:`mlatlas._parallel.parallel_map`, and added up in block
order, so the result does not depend on the number of threads.  BLAS stays on one thread
meanwhile: its matrix-vector products are already shared out by the blocks.

References
----------
* T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*, 2nd ed.,
  section 4.4 (logistic regression).
* J. Nocedal, S. Wright, *Numerical Optimization*, 2nd ed., chapters 3 (line search),
  6 (Newton) and 7 (L-BFGS).
* scikit-learn's ``LogisticRegression`` (the reference).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.special import expit, log_expit, logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._parallel import limit_blas, parallel_map, split_rows
from ..base import History, check_option, check_sample_weight, check_scalar_param, warn_not_converged
from .linear_regression import (_check_iterative_params, _largest_eigenvalue, _raise_diverged,
                                _too_large_for)

__all__ = ["LogisticRegression"]

# Rows per block of the loss and gradient.  The blocks are shared out between threads;
# each block's scores, losses and residuals stay in the CPU caches between the passes
# over them.
_BLOCK_ROWS = 8192


# ---------------------------------------------------------------------------
# The objective
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
        # row blocks of the loss and gradient (see loss_gradient)
        self.blocks = split_rows(self.n_samples, max(1, self.n_samples // _BLOCK_ROWS))

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

    def scores(self, theta, start=0, stop=None):
        """Scores z = W x + b of the rows ``start:stop``.

        Shape (m,) for the binary model, (K, m) (class-major) otherwise.
        """
        W, b = self.unpack(theta)
        X = self.X[start:stop]  # (m, p)
        if self.binary:
            return X @ W[0] + b[0]  # (m, p) @ (p,) -> (m,)
        # X @ W^T with W^T contiguous: (m, p) @ (p, K) -> (m, K).  (The same product written
        # W @ X^T was up to 50x slower with multi-threaded OpenBLAS on a busy machine.)
        scores = X @ np.ascontiguousarray(W.T)
        # class-major copy (K, m): reductions over classes then run along contiguous rows
        z = np.empty((self.n_outputs, X.shape[0]))
        np.add(scores.T, b[:, None], out=z)
        return z

    def loss_gradient(self, theta):
        """(J / (C S), its gradient) in one pass over the data.

        The sums over samples are taken block by block (:attr:`blocks`, fixed by the
        number of rows alone), the blocks on several threads, and added up in block
        order, so the result does not depend on the number of threads.
        """
        W, _ = self.unpack(theta)
        parts = parallel_map(lambda rows: self._block_terms(theta, *rows), self.blocks)
        loss, grad_W, grad_b = parts[0]
        for part in parts[1:]:
            loss += part[0]
            grad_W += part[1]
            grad_b += part[2]
        # J / (C S) = sum_i (s_i / S) logloss_i + ||W||^2 / (2 C S)
        loss += 0.5 * self.alpha * float(np.vdot(W, W))
        # grad_W += W / (C S)
        grad_W += self.alpha * W
        if self.fit_intercept:
            grad = np.concatenate([grad_W, grad_b[:, None]], axis=1)  # (n_outputs, p + 1)
        else:
            grad = grad_W
        return loss, grad.ravel()

    def _block_terms(self, theta, start, stop):
        """For the rows start:stop: sum_i (s_i / S) logloss_i and its gradients in W and b."""
        X = self.X[start:stop]  # (m, p)
        w = self.w_mean[start:stop]  # (m,): s_i / S
        z = self.scores(theta, start, stop)
        if self.binary:
            losses, r = _binary_loss_residual(z, self.y[start:stop])
            r *= w  # (s_i / S) (sigma(z_i) - y_i)
            return float(w @ losses), (r @ X)[None, :], np.array([r.sum()])  # (1, p), (1,)
        lse, P = _log_softmax_parts(z)  # (m,), (K, m)
        y_index, rows = self.y_index[start:stop], np.arange(stop - start)
        # logloss_i = logsumexp(z_i) - z_{i, y_i}
        losses = lse - z[y_index, rows]
        # d logloss / dz = softmax(z) - onehot(y), weighted by s_i / S
        P[y_index, rows] -= 1.0
        P *= w  # (K, m)
        return float(w @ losses), P @ X, P.sum(axis=1)  # (K, m) @ (m, p) -> (K, p); (K,)

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
# The solvers (each returns theta, n_iter, converged, detail)
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
# The estimator
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
        # The loss and gradient need only matrix-vector products, on row blocks that our
        # own threads share out: BLAS threads would add nothing but waiting (and, on a
        # busy machine, spinning).  Newton's Hessian is a real matrix product: it keeps them.
        with limit_blas(1, when=self.solver != "newton"):
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

