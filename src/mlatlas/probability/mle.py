r"""Maximum-likelihood estimation for common distributions, and for any log-density.

Given i.i.d. observations :math:`x_1..x_n` from a family :math:`p_\theta`, the
maximum-likelihood estimate maximises the log-likelihood

.. math::

    \ell(\theta) = \sum_{i=1}^{n} \log p_\theta(x_i), \qquad
    \hat\theta = \arg\max_\theta \ell(\theta).

Its uncertainty comes from the curvature of :math:`\ell` at the top: the *observed
Fisher information* :math:`J = -\nabla^2 \ell(\hat\theta)`; asymptotically
:math:`\hat\theta \approx N(\theta, J^{-1})`, so the standard errors are
:math:`\sqrt{\operatorname{diag}(J^{-1})}`.

Closed forms (``mle``); J is the observed information at the estimate, n the sample size:

normal (mu, sigma; scipy loc, scale)
    mu = mean(x), sigma^2 = mean((x - mu)^2); J = diag(n / sigma^2, 2 n / sigma^2).
bernoulli (p)
    p = mean(x); J = n / (p (1 - p)).
categorical (p_1..p_K)
    p_k = n_k / n; over the free p_1..p_{K-1}, J = diag(n_k / p_k^2) + (n_K / p_K^2) 1 1^T,
    and the covariance of all K estimates is (diag(p) - p p^T) / n.
poisson (lam; scipy mu)
    lam = mean(x); J = n / lam.
exponential (rate; scipy scale = 1 / rate)
    rate = 1 / mean(x); J = n / rate^2.
gamma (shape a, scale; scipy a, scale with loc = 0)
    a solves log a - digamma(a) = log mean(x) - mean(log x), scale = mean(x) / a;
    J = n [[trigamma(a), 1 / scale], [1 / scale, a / scale^2]].
beta (a, b; scipy loc = 0, scale = 1)
    digamma(a) - digamma(a + b) = mean(log x) and digamma(b) - digamma(a + b) = mean(log(1 - x));
    J = n [[tg(a) - tg(a + b), -tg(a + b)], [-tg(a + b), tg(b) - tg(a + b)]], tg = trigamma.

Gamma's shape is found by Minka's generalised Newton iteration, beta's pair by Newton's
method on the (concave) log-likelihood; both run to machine precision.

``mle_numeric`` handles any log-density: it maximises :math:`\ell` with
``scipy.optimize.minimize`` and takes :math:`J` from a central-difference Hessian.

References
----------
Casella and Berger, *Statistical Inference*, 2nd ed., chapters 7 and 10.
T. Minka, "Estimating a Gamma distribution", 2002.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from scipy import special

from ..base import check_1d_array, check_option, max_abs, overflow_safe_scale

__all__ = ["MLEResult", "mle", "mle_numeric", "log_likelihood", "DISTRIBUTIONS"]

DISTRIBUTIONS = ("normal", "bernoulli", "categorical", "poisson", "exponential", "gamma", "beta")

PARAM_NAMES = {
    "normal": ("mu", "sigma"),
    "bernoulli": ("p",),
    "categorical": ("p",),
    "poisson": ("lam",),
    "exponential": ("rate",),
    "gamma": ("shape", "scale"),
    "beta": ("a", "b"),
}


@dataclass
class MLEResult:
    """A maximum-likelihood fit.

    Attributes
    ----------
    distribution : str
        The family ("normal", ..., or "custom" for :func:`mle_numeric`).
    estimates : dict
        Parameter name -> estimate (an array for the categorical ``p``).
    loglik : float
        The maximised log-likelihood l(theta_hat).
    standard_errors : dict
        Parameter name -> sqrt(diag(J^-1)), same shapes as ``estimates``.
    covariance : ndarray
        J^-1 over ``param_names`` (for the categorical: over all K probabilities,
        (diag(p) - p p^T) / n, the covariance the simplex constraint implies).
    observed_information : ndarray
        J = minus the Hessian of the log-likelihood at the estimate (for the
        categorical: over the K-1 free probabilities).
    param_names : tuple of str
    n : int
        Number of observations.
    converged : bool
    n_iter : int
        Iterations of the solver (0 for closed forms).
    extra : dict
        Anything else (the categorical's ``categories``).
    """

    distribution: str
    estimates: dict
    loglik: float
    standard_errors: dict
    covariance: np.ndarray
    observed_information: np.ndarray
    param_names: tuple
    n: int
    converged: bool = True
    n_iter: int = 0
    extra: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.estimates[name]

    @property
    def n_params(self) -> int:
        """Number of free parameters (K - 1 for a categorical with K categories)."""
        return int(self.observed_information.shape[0])

    @property
    def aic(self) -> float:
        """-2 l + 2 k."""
        return float(-2.0 * self.loglik + 2.0 * self.n_params)

    @property
    def bic(self) -> float:
        """-2 l + k log n."""
        return float(-2.0 * self.loglik + self.n_params * np.log(self.n))

    def summary(self) -> str:
        """A small table: each parameter with its estimate and standard error."""
        lines = [f"MLE {self.distribution} (n={self.n}): log-likelihood {self.loglik:.6g}"]
        for name in self.param_names:
            est = np.atleast_1d(self.estimates[name])
            se = np.atleast_1d(self.standard_errors[name])
            for j, (e, s) in enumerate(zip(est, se)):
                label = name if est.size == 1 else f"{name}[{j}]"
                lines.append(f"  {label:>10s} = {e:.6g}  (se {s:.3g})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _support_error(distribution: str, expected: str, x: np.ndarray, bad: np.ndarray) -> ValueError:
    example = x[bad][0]
    return ValueError(
        f"x must hold {expected} for the {distribution} distribution; got {np.sum(bad)} value(s) "
        f"outside it, e.g. {example!r}."
    )


# ---------------------------------------------------------------------------
# Log-likelihoods (written from sufficient statistics; they broadcast over
# arrays of parameters, which the figures use to draw surfaces)
# ---------------------------------------------------------------------------


def log_likelihood(distribution: str, x: Any, **params: Any) -> Any:
    """The log-likelihood of the sample ``x`` under ``distribution`` with ``params``.

    Parameters broadcast: pass arrays to evaluate a whole grid at once.  For the
    categorical, ``x`` holds integer codes 0..K-1 that index ``p`` (its last axis).

    Examples
    --------
    >>> round(float(log_likelihood("poisson", [1, 2, 3], lam=2.0)), 6)
    -4.326024
    """
    check_option(distribution, "distribution", DISTRIBUTIONS)
    expected = set(PARAM_NAMES[distribution])
    if set(params) != expected:
        raise ValueError(
            f"the {distribution} distribution takes parameters {sorted(expected)}; got {sorted(params)}."
        )
    if distribution == "categorical":
        p = np.asarray(params["p"], dtype=float)
        codes = check_1d_array(x, "x")
        bad = (codes < 0) | (codes >= p.shape[-1]) | (codes != np.round(codes))
        if bad.any():
            raise _support_error(distribution, f"integer codes 0..{p.shape[-1] - 1} indexing p", codes, bad)
        counts = np.bincount(codes.astype(int), minlength=p.shape[-1])
        # l = sum_k n_k log p_k  (0 log 0 = 0)
        return np.sum(special.xlogy(counts, p), axis=-1)
    x = check_1d_array(x, "x")
    n = x.shape[0]
    if distribution == "normal":
        mu, sigma = np.asarray(params["mu"], float), np.asarray(params["sigma"], float)
        # l = -n/2 log(2 pi) - n log sigma - sum (x - mu)^2 / (2 sigma^2), with
        # sum (x - mu)^2 = sum (x - m)^2 + n (m - mu)^2 for the sample mean m
        m = x.mean()
        ss = np.sum((x - m) ** 2) + n * (m - mu) ** 2
        return -0.5 * n * np.log(2 * np.pi) - n * np.log(sigma) - ss / (2 * sigma**2)
    if distribution == "bernoulli":
        p = np.asarray(params["p"], float)
        k = x.sum()
        # l = k log p + (n - k) log(1 - p)
        return special.xlogy(k, p) + special.xlog1py(n - k, -p)
    if distribution == "poisson":
        lam = np.asarray(params["lam"], float)
        # l = sum x log lam - n lam - sum log x!
        return special.xlogy(x.sum(), lam) - n * lam - np.sum(special.gammaln(x + 1))
    if distribution == "exponential":
        rate = np.asarray(params["rate"], float)
        # l = n log rate - rate sum x
        return n * np.log(rate) - rate * x.sum()
    if distribution == "gamma":
        a, scale = np.asarray(params["shape"], float), np.asarray(params["scale"], float)
        # l = (a - 1) sum log x - sum x / scale - n a log scale - n log Gamma(a)
        return ((a - 1) * np.sum(np.log(x)) - x.sum() / scale - n * a * np.log(scale)
                - n * special.gammaln(a))
    a, b = np.asarray(params["a"], float), np.asarray(params["b"], float)
    # l = (a - 1) sum log x + (b - 1) sum log(1 - x) - n log B(a, b)
    return (a - 1) * np.sum(np.log(x)) + (b - 1) * np.sum(np.log1p(-x)) - n * special.betaln(a, b)


# ---------------------------------------------------------------------------
# Closed forms and one-dimensional / two-dimensional Newton solvers
# ---------------------------------------------------------------------------


def _gamma_shape(s: float, tol: float = 1e-15, max_iter: int = 100) -> tuple[float, int]:
    """Solve log a - digamma(a) = s (> 0) for the gamma shape a (Minka 2002)."""
    # starting point from the approximation log a - digamma(a) ~ 1/(2a) + 1/(12a^2 + 2)
    a = (3.0 - s + np.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
    for iteration in range(1, max_iter + 1):
        # generalised Newton: 1/a_new = 1/a + (s - log a + digamma(a)) / (a^2 (1/a - trigamma(a)))
        g = np.log(a) - special.digamma(a) - s
        slope = 1.0 / a - special.polygamma(1, a)
        a_new = 1.0 / (1.0 / a + g / (a**2 * slope))
        if not np.isfinite(a_new) or a_new <= 0:
            # fall back to a plain Newton step on log a (always positive)
            a_new = a * np.exp(-g / (a * slope))
        if abs(a_new - a) <= tol * a:
            return float(a_new), iteration
        a = a_new
    return float(a), max_iter


def _beta_pair(mean_log_x: float, mean_log_1mx: float, x: np.ndarray, tol: float = 1e-14,
               max_iter: int = 200) -> tuple[float, float, int, bool]:
    """Newton's method for the beta MLE (the average log-likelihood is concave in (a, b))."""
    m, v = x.mean(), x.var()
    # method-of-moments start: a + b = m (1 - m) / v - 1
    common = m * (1 - m) / v - 1 if v > 0 else 1.0
    theta = np.array([m, 1 - m]) * max(common, 1e-3)

    def avg_ll(t):
        # l / n = (a - 1) mean log x + (b - 1) mean log(1 - x) - log B(a, b)
        return (t[0] - 1) * mean_log_x + (t[1] - 1) * mean_log_1mx - special.betaln(t[0], t[1])

    for iteration in range(1, max_iter + 1):
        a, b = theta
        dg_ab = special.digamma(a + b)
        # gradient of l / n
        grad = np.array([mean_log_x - special.digamma(a) + dg_ab,
                         mean_log_1mx - special.digamma(b) + dg_ab])
        tg_ab = special.polygamma(1, a + b)
        # J / n, the negative Hessian of l / n (positive definite)
        info = np.array([[special.polygamma(1, a) - tg_ab, -tg_ab],
                         [-tg_ab, special.polygamma(1, b) - tg_ab]])
        step = np.linalg.solve(info, grad)
        t = 1.0
        current = avg_ll(theta)
        # halve the step until it stays positive and does not lower the likelihood
        while t > 1e-12:
            candidate = theta + t * step
            if np.all(candidate > 0) and avg_ll(candidate) >= current - 1e-15 * abs(current):
                break
            t *= 0.5
        new = theta + t * step
        if np.all(np.abs(new - theta) <= tol * np.abs(theta)):
            return float(new[0]), float(new[1]), iteration, True
        theta = new
    return float(theta[0]), float(theta[1]), max_iter, False


def _finish(distribution: str, estimates: dict, info: np.ndarray, x: Any, n: int, *,
            n_iter: int = 0, converged: bool = True, extra: dict | None = None,
            covariance: np.ndarray | None = None) -> MLEResult:
    """Standard errors from J^{-1} and the log-likelihood at the estimate."""
    names = PARAM_NAMES[distribution]
    if covariance is None:
        covariance = _inverse_information(info)
    se_flat = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    standard_errors = {name: float(se_flat[i]) for i, name in enumerate(names)}
    loglik = float(log_likelihood(distribution, x, **estimates))
    return MLEResult(distribution, estimates, loglik, standard_errors, covariance, info, names, n,
                     converged, n_iter, extra or {})


def _inverse_information(info: np.ndarray) -> np.ndarray:
    """J^{-1}; zeros where J is infinite (a boundary estimate such as p = 0 or 1)."""
    if np.all(np.isfinite(info)):
        return np.linalg.inv(info)
    out = np.zeros_like(info)
    finite = np.all(np.isfinite(info), axis=1) & np.all(np.isfinite(info), axis=0)
    if finite.any():
        out[np.ix_(finite, finite)] = np.linalg.inv(info[np.ix_(finite, finite)])
    return out


# Families closed under x -> c x: each parameter theta of c x is c**power theta of x
# (normal: mu, sigma scale with c; exponential: rate with 1/c; gamma: the scale with c).
# Samples of extreme magnitude are fitted as x / c (c a power of two, exact) and carried
# back, so the information matrix's squares and cubes never overflow.
_SCALE_POWERS = {
    "normal": {"mu": 1, "sigma": 1},
    "exponential": {"rate": -1},
    "gamma": {"shape": 0, "scale": 1},
}


def _rescaled(fit: MLEResult, c: float, x: np.ndarray) -> MLEResult:
    """The fit on ``x / c`` turned into the fit on ``x`` (``c`` a power of two)."""
    powers = _SCALE_POWERS[fit.distribution]
    # theta_x = d theta_z with d = c**power, so Cov_x = d d^T Cov_z and J_x = J_z / (d d^T)
    d = np.array([c ** powers[name] for name in fit.param_names])
    with np.errstate(all="ignore"):  # J_x may be beyond float64 where Cov_x is not
        covariance = fit.covariance * np.outer(d, d)
        information = fit.observed_information / np.outer(d, d)
    estimates = {name: float(fit.estimates[name] * c ** powers[name]) for name in fit.param_names}
    errors = {name: float(fit.standard_errors[name] * c ** powers[name]) for name in fit.param_names}
    # p_x(x) = p_z(x / c) / c for each of the n observations: l_x = l_z - n log c
    loglik = float(fit.loglik - fit.n * np.log(c))
    return MLEResult(fit.distribution, estimates, loglik, errors, covariance, information,
                     fit.param_names, fit.n, fit.converged, fit.n_iter, fit.extra)


def mle(distribution: str, x: Any) -> MLEResult:
    """Maximum-likelihood estimates, log-likelihood and standard errors for a named family.

    Parameters
    ----------
    distribution : {"normal", "bernoulli", "categorical", "poisson", "exponential", "gamma", "beta"}
        Parameters (scipy.stats equivalents): normal ``mu``, ``sigma`` (loc, scale);
        bernoulli ``p``; categorical ``p`` (one probability per sorted distinct label,
        the labels in ``extra["categories"]``); poisson ``lam`` (mu); exponential
        ``rate`` (scale = 1 / rate); gamma ``shape``, ``scale`` (a, scale, loc = 0);
        beta ``a``, ``b`` (loc = 0, scale = 1).
    x : array-like of shape (n,)
        The sample.  Its values must lie in the family's support (0/1 for bernoulli,
        non-negative integers for poisson, x > 0 for gamma, 0 < x < 1 for beta...).

    Returns
    -------
    MLEResult

    Notes
    -----
    At the edge of the parameter space (bernoulli p = 0 or 1, poisson lam = 0, a
    category never seen) the information is infinite and the Wald standard error
    degenerates to 0.

    Examples
    --------
    >>> fit = mle("normal", [1.0, 2.0, 3.0, 4.0])
    >>> fit.estimates["mu"], round(fit.estimates["sigma"] ** 2, 6)
    (2.5, 1.25)
    >>> round(fit.standard_errors["mu"], 6)   # sigma / sqrt(n)
    0.559017
    """
    check_option(distribution, "distribution", DISTRIBUTIONS)
    if distribution == "categorical":
        return _categorical(x)
    x = check_1d_array(x, "x")
    n = x.shape[0]
    if distribution in _SCALE_POWERS:
        # the information holds up to fourth powers of the data (sigma^4 for the normal)
        c = overflow_safe_scale(max_abs(x), n, power=4)
        if c != 1.0:
            return _rescaled(mle(distribution, x / c), c, x)

    if distribution == "normal":
        mu = float(x.mean())
        sigma = float(np.sqrt(np.mean((x - mu) ** 2)))
        if sigma == 0.0:
            raise ValueError("all observations in x are equal: the normal likelihood is unbounded as sigma -> 0.")
        # -d2l/dmu2 = n / s^2; -d2l/dmu ds = 2 sum(x - mu) / s^3; -d2l/ds2 = 3 sum (x - mu)^2 / s^4 - n / s^2
        r = x - mu
        info = np.array([[n / sigma**2, 2 * r.sum() / sigma**3],
                         [2 * r.sum() / sigma**3, 3 * (r @ r) / sigma**4 - n / sigma**2]])
        return _finish(distribution, {"mu": mu, "sigma": sigma}, info, x, n)

    if distribution == "bernoulli":
        bad = (x != 0) & (x != 1)
        if bad.any():
            raise _support_error(distribution, "only 0 and 1", x, bad)
        p = float(x.mean())
        k = x.sum()
        # J = k / p^2 + (n - k) / (1 - p)^2
        with np.errstate(divide="ignore", invalid="ignore"):
            info_value = k / p**2 + (n - k) / (1 - p) ** 2 if 0 < p < 1 else np.inf
        return _finish(distribution, {"p": p}, np.array([[info_value]]), x, n)

    if distribution == "poisson":
        bad = (x < 0) | (x != np.round(x))
        if bad.any():
            raise _support_error(distribution, "non-negative integers", x, bad)
        lam = float(x.mean())
        # J = sum x / lam^2 = n / lam at the estimate (sum x = n lam; no lam^2 to overflow)
        info_value = n / lam if lam > 0 else np.inf
        return _finish(distribution, {"lam": lam}, np.array([[info_value]]), x, n)

    if distribution == "exponential":
        bad = x < 0
        if bad.any():
            raise _support_error(distribution, "non-negative values", x, bad)
        if x.sum() == 0:
            raise ValueError("x is all zeros: the exponential rate estimate 1/mean(x) is infinite.")
        rate = float(1.0 / x.mean())
        # J = n / rate^2
        return _finish(distribution, {"rate": rate}, np.array([[n / rate**2]]), x, n)

    if distribution == "gamma":
        bad = x <= 0
        if bad.any():
            raise _support_error(distribution, "strictly positive values", x, bad)
        # s = log mean(x) - mean(log x) >= 0 (Jensen), 0 only when all x are equal
        s = float(np.log(x.mean()) - np.mean(np.log(x)))
        if not s > 0:
            raise ValueError("all observations in x are equal: the gamma shape estimate is infinite.")
        shape, n_iter = _gamma_shape(s)
        scale = float(x.mean() / shape)
        # J = [[n trigamma(a), n / scale], [n / scale, 2 sum x / scale^3 - n a / scale^2]]
        info = np.array([[n * special.polygamma(1, shape), n / scale],
                         [n / scale, 2 * x.sum() / scale**3 - n * shape / scale**2]])
        return _finish(distribution, {"shape": shape, "scale": scale}, info, x, n, n_iter=n_iter)

    # beta
    bad = (x <= 0) | (x >= 1)
    if bad.any():
        raise _support_error(distribution, "values strictly between 0 and 1", x, bad)
    if np.all(x == x[0]):
        raise ValueError("all observations in x are equal: the beta likelihood is unbounded.")
    a, b, n_iter, converged = _beta_pair(float(np.mean(np.log(x))), float(np.mean(np.log1p(-x))), x)
    if not converged:
        warnings.warn("the beta MLE Newton iteration did not converge.", RuntimeWarning, stacklevel=2)
    tg_ab = special.polygamma(1, a + b)
    # J = n [[tg(a) - tg(a+b), -tg(a+b)], [-tg(a+b), tg(b) - tg(a+b)]]
    info = n * np.array([[special.polygamma(1, a) - tg_ab, -tg_ab],
                         [-tg_ab, special.polygamma(1, b) - tg_ab]])
    return _finish(distribution, {"a": a, "b": b}, info, x, n, n_iter=n_iter, converged=converged)


def _categorical(x: Any) -> MLEResult:
    labels = np.asarray(x)
    if labels.ndim == 2 and 1 in labels.shape:
        labels = labels.ravel()
    if labels.ndim != 1 or labels.shape[0] == 0:
        raise ValueError(f"x must be a non-empty 1-D array of labels; got shape {labels.shape}.")
    categories, counts = np.unique(labels, return_counts=True)
    n = int(labels.shape[0])
    p = counts / n
    # the free parameters are p_1..p_{K-1}; p_K = 1 - sum of the others:
    # J = diag(n_k / p_k^2) + (n_K / p_K^2) 1 1^T
    info = np.diag(counts[:-1] / p[:-1] ** 2) + counts[-1] / p[-1] ** 2
    # Cov(p_hat) over all K = (diag(p) - p p^T) / n   (J^{-1} extended by the constraint)
    covariance = (np.diag(p) - np.outer(p, p)) / n
    se = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    loglik = float(np.sum(special.xlogy(counts, p)))
    return MLEResult("categorical", {"p": p}, loglik, {"p": se}, covariance, info, ("p",), n,
                     extra={"categories": categories, "counts": counts})


# A user's own log-density, maximised numerically: numeric_mle.py (names of this module too).
from .numeric_mle import mle_numeric, numerical_hessian  # noqa: E402,F401
