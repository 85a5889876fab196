"""Maximum likelihood for any log-density: numerical optimisation and a numerical Hessian.

Where :func:`mlatlas.probability.mle` solves the likelihood equations of a named
family in closed form (or by a one-dimensional Newton iteration), :func:`mle_numeric`
maximises the log-likelihood of any ``logpdf(x, *params)`` with
``scipy.optimize.minimize``, and takes standard errors from the observed information
(the negative Hessian of the log-likelihood at the estimate, by central differences).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .mle import MLEResult

__all__ = ["mle_numeric", "numerical_hessian"]


def numerical_hessian(f: Callable[[np.ndarray], float], theta: np.ndarray,
                      rel_step: float = 1e-4) -> np.ndarray:
    r"""Central-difference Hessian of a scalar function.

    .. math::

        H_{ij} \approx \frac{f(\theta + h_i e_i + h_j e_j) - f(\theta + h_i e_i - h_j e_j)
        - f(\theta - h_i e_i + h_j e_j) + f(\theta - h_i e_i - h_j e_j)}{4 h_i h_j},

    with :math:`h_i` = ``rel_step`` * max(|theta_i|, 1) (error O(h^2)).
    """
    theta = np.asarray(theta, dtype=float)
    k = theta.shape[0]
    h = rel_step * np.maximum(np.abs(theta), 1.0)
    H = np.empty((k, k))
    f0 = f(theta)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        # diagonal: (f(t + h) - 2 f(t) + f(t - h)) / h^2
        H[i, i] = (f(theta + ei) - 2 * f0 + f(theta - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                                 + f(theta - ei - ej)) / (4 * h[i] * h[j])
    return H


def mle_numeric(logpdf: Callable[..., Any], x: Any, init: dict | Sequence[float], *,
                bounds: Sequence[tuple] | None = None, method: str | None = None,
                tol: float = 1e-12, max_iter: int = 10_000) -> MLEResult:
    """Maximum likelihood for a user's log-density, with standard errors.

    Parameters
    ----------
    logpdf : callable
        ``logpdf(x, *params)`` returning the log-density of each observation (an array
        like ``x``), e.g. ``scipy.stats.gamma.logpdf`` or a lambda.
    x : array-like
        The sample, passed to ``logpdf`` as it is (after ``np.asarray``).
    init : dict or sequence of float
        Starting values; a dict also names the parameters (in its order).
    bounds : sequence of (low, high), optional
        Box constraints (None for unbounded); switches the optimiser to L-BFGS-B.
    method : str, optional
        Any ``scipy.optimize.minimize`` method (default BFGS, or L-BFGS-B with bounds).
    tol : float
        Gradient tolerance on the average negative log-likelihood.
    max_iter : int

    Returns
    -------
    MLEResult
        ``distribution="custom"``; standard errors from the central-difference Hessian
        of the total log-likelihood at the optimum.

    Examples
    --------
    >>> from scipy import stats
    >>> x = stats.norm.rvs(3.0, 2.0, size=400, random_state=0)
    >>> fit = mle_numeric(lambda x, mu, s: stats.norm.logpdf(x, mu, s), x, {"mu": 0.0, "sigma": 1.0},
    ...                   bounds=[(None, None), (1e-6, None)])
    >>> bool(abs(fit.estimates["mu"] - x.mean()) < 1e-6)
    True
    """
    if not callable(logpdf):
        raise TypeError(f"logpdf must be callable as logpdf(x, *params); got {type(logpdf).__name__}.")
    if isinstance(init, dict):
        names = tuple(str(k) for k in init)
        theta0 = np.asarray(list(init.values()), dtype=float)
    else:
        theta0 = np.atleast_1d(np.asarray(init, dtype=float))
        names = tuple(f"theta{i}" for i in range(theta0.shape[0]))
    if theta0.ndim != 1 or theta0.shape[0] == 0 or not np.all(np.isfinite(theta0)):
        raise ValueError(f"init must be one finite starting value per parameter; got {init!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive int; got {max_iter!r}.")
    data = np.asarray(x)
    n = int(data.shape[0]) if data.ndim else 1
    if n == 0:
        raise ValueError("x must hold at least one observation; got an empty array.")

    def total(theta: np.ndarray) -> float:
        value = float(np.sum(logpdf(data, *theta)))
        return value if np.isfinite(value) else -np.inf

    def objective(theta: np.ndarray) -> float:
        # the average negative log-likelihood keeps the gradient scale independent of n
        value = -total(theta) / n
        return value if np.isfinite(value) else 1e300

    if not np.isfinite(total(theta0)):
        raise ValueError(f"the log-likelihood at init={init!r} is not finite; start inside the support.")
    method = method or ("L-BFGS-B" if bounds is not None else "BFGS")
    options = {"maxiter": int(max_iter)}
    if method in ("BFGS", "CG"):
        options["gtol"] = tol
    elif method == "L-BFGS-B":
        options.update(gtol=tol, ftol=1e-15)
    from scipy import optimize

    result = optimize.minimize(objective, theta0, method=method, bounds=bounds, jac="3-point"
                               if method in ("BFGS", "L-BFGS-B", "CG", "TNC", "SLSQP") else None,
                               options=options)
    theta = np.asarray(result.x, dtype=float)
    # BFGS often stops with "precision loss" at a tight tolerance although it sits on the
    # optimum; judge convergence by the (central-difference) gradient as well
    step = 1e-6 * np.maximum(np.abs(theta), 1.0)
    gradient = np.array([(objective(theta + e) - objective(theta - e)) / (2 * h)
                         for e, h in zip(np.diag(step), step)])
    converged = bool(result.success) or bool(np.max(np.abs(gradient)) < 1e-6)
    if not converged:
        warnings.warn(f"mle_numeric: the optimiser did not converge ({result.message}).",
                      RuntimeWarning, stacklevel=2)
    H = numerical_hessian(total, theta)
    info = -H
    try:
        eigenvalues = np.linalg.eigvalsh(info)
        definite = bool(np.all(eigenvalues > 0))
    except np.linalg.LinAlgError:
        definite = False
    if definite:
        covariance = np.linalg.inv(info)
    else:
        warnings.warn("the observed information is not positive definite at the optimum (not a "
                      "strict maximum, or at a bound); standard errors are NaN.", RuntimeWarning,
                      stacklevel=2)
        covariance = np.full_like(info, np.nan)
    se = np.sqrt(np.diag(covariance))
    estimates = {name: float(v) for name, v in zip(names, theta)}
    return MLEResult("custom", estimates, total(theta), {name: float(s) for name, s in zip(names, se)},
                     covariance, info, names, n, converged, int(result.nit),
                     extra={"optimizer_message": str(result.message)})
