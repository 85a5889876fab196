r"""Autoregressive models AR(p): least squares or Yule-Walker, forecasts, order selection.

An AR(p) process explains each value by the ``p`` values before it,

.. math::

    y_t = d_t^\top \delta + \sum_{i=1}^{p} \phi_i \, y_{t-i} + u_t,
    \qquad u_t \sim N(0, \sigma^2) \text{ i.i.d.},

where the deterministic part :math:`d_t^\top\delta` is nothing (``trend="n"``), a constant
:math:`\mu` (``"c"``, the textbook AR(p)), a time trend :math:`\beta t` (``"t"``) or both
(``"ct"``).  Time is counted from :math:`t = 1` at the first observation.

Estimation (``method="ols"``)
    Stack the rows :math:`x_t = (d_t, y_{t-1}, \dots, y_{t-p})` for :math:`t = p+1..n`
    into :math:`X` and solve the least-squares problem
    :math:`\hat\theta = \arg\min \|y - X\theta\|^2` through a QR factorisation
    :math:`X = QR`, :math:`\hat\theta = R^{-1} Q^\top y`.  This is the *conditional*
    maximum-likelihood estimate (the first ``p`` values are taken as given).  With
    :math:`N = n - p` residuals, :math:`\hat\sigma^2 = \mathrm{SSR}/N` and

    .. math::

        \ell = -\tfrac{N}{2}\left(\log 2\pi + \log\hat\sigma^2 + 1\right), \quad
        \mathrm{AIC} = -2\ell + 2(k+1), \quad \mathrm{BIC} = -2\ell + (k+1)\log N,

    with :math:`k` the number of coefficients (statsmodels' ``AutoReg`` conventions);
    standard errors are :math:`\sqrt{\operatorname{diag}(\hat\sigma^2 (X^\top X)^{-1})}`.

Estimation (``method="yule-walker"``)
    Match the model's autocovariances to the sample ones,
    :math:`\gamma_k = \sum_i \phi_i \gamma_{k-i}` for :math:`k = 1..p`, solved by the
    Durbin-Levinson recursion on the biased sample autocovariances (which always gives
    a stationary model); :math:`\sigma^2 = \gamma_0 - \sum_i \phi_i \gamma_i`.

Stationarity
    The model is stationary when every root of the lag polynomial
    :math:`\phi(z) = 1 - \phi_1 z - \dots - \phi_p z^p` lies outside the unit circle.

Forecasts
    Iterate the recursion with future shocks set to zero.  The h-step error is
    :math:`\sum_{j<h} \psi_j u_{T+h-j}` with the MA(:math:`\infty`) weights
    :math:`\psi_0 = 1`, :math:`\psi_j = \sum_{i=1}^{\min(j,p)} \phi_i \psi_{j-i}`, so its
    variance is :math:`\sigma^2 \sum_{j<h} \psi_j^2` and the interval is the forecast
    :math:`\pm z_{1-\alpha/2}` times its square root.

Partial autocorrelations
    The lag-k partial autocorrelation is the last coefficient :math:`\phi_{kk}` of the
    best AR(k) fit: from Durbin-Levinson on the autocovariances, or from the regression
    of :math:`y_t` on a constant and :math:`y_{t-1..t-k}`.

References
----------
Box, Jenkins, Reinsel and Ljung, *Time Series Analysis: Forecasting and Control*, 5th ed.,
Wiley 2015, chapters 3 and 5.  Brockwell and Davis, *Introduction to Time Series and
Forecasting*, 3rd ed., Springer 2016, sections 2.5 (Durbin-Levinson) and 5.1 (Yule-Walker).
statsmodels' ``AutoReg`` and ``ar_select_order`` are the reference implementations.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..base import check_1d_array, check_option, check_random_state, check_scalar_param, max_abs
from ._lags import _deterministic, _design, _least_squares, _qr_solve
from .autocorrelation import _durbin_levinson, acovf, pacf

__all__ = ["AutoRegressive", "ARForecast", "OrderSelection", "select_order", "pacf", "acovf"]

TRENDS = ("n", "c", "t", "ct")
METHODS = ("ols", "yule-walker")
CRITERIA = ("aic", "bic", "hqic")


# ---------------------------------------------------------------------------
# Pure numeric pieces (the lagged regression is in _lags.py, the autocorrelations
# in autocorrelation.py)
# ---------------------------------------------------------------------------


def _psi_weights(phi: np.ndarray, steps: int) -> np.ndarray:
    """MA(infinity) weights psi_0..psi_{steps-1} of the AR polynomial."""
    p = phi.shape[0]
    psi = np.zeros(steps)
    psi[0] = 1.0
    for j in range(1, steps):
        # psi_j = sum_{i=1}^{min(j, p)} phi_i psi_{j-i}
        m = min(j, p)
        psi[j] = phi[:m] @ psi[j - 1::-1][:m]
    return psi


def _information_criteria(llf: float, nobs: int, n_params: int) -> tuple[float, float, float]:
    """AIC, BIC and HQIC with n_params counted parameters (statsmodels' eval_measures)."""
    aic = -2.0 * llf + 2.0 * n_params
    bic = -2.0 * llf + np.log(nobs) * n_params
    hqic = -2.0 * llf + 2.0 * np.log(np.log(nobs)) * n_params
    return float(aic), float(bic), float(hqic)


def _gaussian_llf(resid: np.ndarray, sigma2: float) -> float:
    """Conditional Gaussian log-likelihood of the residuals at variance sigma2."""
    nobs = resid.shape[0]
    # l = -N/2 log(2 pi sigma^2) - SSR / (2 sigma^2)
    return float(-0.5 * nobs * np.log(2 * np.pi * sigma2) - (resid @ resid) / (2 * sigma2))


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class ARForecast(NamedTuple):
    """Point forecasts with their (1 - alpha) intervals and standard errors, each (steps,)."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    se: np.ndarray


class AutoRegressive(BaseEstimator):
    r"""Autoregressive model AR(p) fitted by least squares or Yule-Walker.

    Parameters
    ----------
    lags : int, default=1
        The order p (number of lagged values), >= 0.
    trend : {"c", "n", "t", "ct"}, default="c"
        Deterministic terms: constant, none, time trend (t = 1, 2, ...) or both.
    method : {"ols", "yule-walker"}, default="ols"
        Conditional least squares (statsmodels ``AutoReg``) or Yule-Walker
        (``"n"`` and ``"c"`` trends only: it matches autocovariances around zero or
        around the sample mean).

    Attributes
    ----------
    params_ : ndarray of shape (k_trend + lags,)
        Trend terms first (constant, then time trend), then phi_1..phi_p.
    param_names_ : list of str
    sigma2_ : float
        Innovation variance: SSR / nobs for OLS (statsmodels' ``sigma2``), the
        Yule-Walker variance otherwise.
    resid_ : ndarray of shape (n - lags,)
        One-step residuals for t = p..n-1 (0-based).
    llf_, aic_, bic_, hqic_ : float
        Conditional log-likelihood and information criteria (statsmodels' definitions).
    bse_ : ndarray of shape (k_trend + lags,)
        Standard errors sqrt(diag(sigma2 (X'X)^-1)).
    roots_ : ndarray of complex
        Roots of 1 - phi_1 z - ... - phi_p z^p; stationary when all have modulus > 1.
    nobs_ : int
        Number of residuals, n - lags.
    endog_ : ndarray of shape (n,)
        The training series (forecasts continue from its end).

    Examples
    --------
    >>> from mlatlas.datasets import simulate_ar
    >>> y = simulate_ar([0.6, -0.3], 500, const=1.0, random_state=0)
    >>> model = AutoRegressive(lags=2).fit(y)
    >>> model.params_.round(1).tolist()
    [1.0, 0.6, -0.3]
    >>> bool(model.is_stationary_)
    True
    >>> model.forecast(3).mean.shape
    (3,)
    """

    def __init__(self, lags: int = 1, trend: str = "c", method: str = "ols"):
        self.lags = lags
        self.trend = trend
        self.method = method

    # -- validation ---------------------------------------------------------

    def _validate_params(self) -> None:
        check_scalar_param(self.lags, "lags", kind=numbers.Integral, low=0)
        check_option(self.trend, "trend", TRENDS)
        check_option(self.method, "method", METHODS)
        if self.method == "yule-walker" and self.trend not in ("n", "c"):
            raise ValueError(
                f"method='yule-walker' supports trend 'n' or 'c'; got trend={self.trend!r} "
                "(use method='ols' for a time trend)."
            )

    @property
    def _k_trend(self) -> int:
        return sum(ch in self.trend for ch in "ct")

    # -- fitting ------------------------------------------------------------

    def fit(self, y: Any, X: Any = None) -> "AutoRegressive":
        """Estimate the coefficients from the series ``y`` (shape (n,) or (n, 1)).

        ``X`` is accepted for scikit-learn symmetry and must be None (no exogenous
        regressors).
        """
        self._validate_params()
        if X is not None:
            raise ValueError("X must be None: AutoRegressive models the series y alone (no exogenous regressors).")
        y = check_1d_array(y, "y")
        p, k_trend = int(self.lags), self._k_trend
        n_coef = k_trend + p
        if y.shape[0] - p < max(n_coef, 1):
            raise ValueError(
                f"y has {y.shape[0]} observations; lags={p} with trend={self.trend!r} needs at least "
                f"{p + max(n_coef, 1)} (the {p} first values only serve as lags)."
            )
        # The fit is equivariant under y -> c y.  A series far from 1 in magnitude is fitted
        # as y / c, c the power of two just above max |y| (exact): the constant column and
        # the lags then share one scale and no cross product y_t y_s overflows, so the fit is
        # the same at any magnitude (on y itself a series of size 1e8 already loses the
        # constant's standard error in the pseudo-inverse).  Between 2^-20 and 2^20 the
        # series is used as it is, so that a rank-deficient design gets the same
        # minimum-norm solution as statsmodels (that solution depends on the units).
        top = max_abs(y)
        c = 1.0 if (top == 0 or 2.0**-20 <= top <= 2.0**20) else math.ldexp(1.0, min(math.frexp(top)[1], 1023))
        if c != 1.0:
            return self._fit_rescaled(y, c)
        A = _design(y, p, self.trend)  # (N, k + 1): regressors, then the target
        X_design, target = A[:, :-1], A[:, -1]
        if self.method == "ols":
            theta, xtx_inv = _least_squares(A)
            resid = target - X_design @ theta
            # sigma^2 = SSR / N  (the conditional MLE)
            sigma2 = float(resid @ resid) / resid.shape[0]
        else:
            center = y.mean() if self.trend == "c" else 0.0
            phi, _, sigma2 = _durbin_levinson(acovf(y, p, demean=self.trend == "c"), p)
            # mu (1 - sum phi) is the constant that makes E[y] = mean(y)
            theta = np.concatenate([[center * (1.0 - phi.sum())] if self.trend == "c" else [], phi])
            resid = target - X_design @ theta
            xtx_inv = np.linalg.pinv(X_design.T @ X_design)
            sigma2 = float(sigma2)
        self.params_ = theta
        self.param_names_ = (["const"] if "c" in self.trend else []) + (
            ["trend"] if "t" in self.trend else []) + [f"y.L{i}" for i in range(1, p + 1)]
        self.sigma2_ = sigma2
        self.resid_ = resid
        self.nobs_ = int(resid.shape[0])
        self.endog_ = y
        # bse = sqrt(diag(sigma^2 (X^T X)^{-1}))
        self.bse_ = np.sqrt(np.maximum(np.diag(xtx_inv), 0.0) * sigma2)
        self.llf_ = _gaussian_llf(resid, sigma2) if sigma2 > 0 else float("inf")
        self.aic_, self.bic_, self.hqic_ = _information_criteria(self.llf_, self.nobs_, n_coef + 1)
        self.roots_ = self._lag_roots(theta[k_trend:])
        self.n_features_in_ = 1
        return self

    def _fit_rescaled(self, y: np.ndarray, c: float) -> "AutoRegressive":
        """Fit ``y / c`` (``c`` a power of two: exact) and carry the fit back to ``y``.

        The model is equivariant under y -> c y: the trend coefficients and residuals
        scale by c, the lag coefficients phi are unchanged, sigma^2 scales by c^2 and
        the log-likelihood moves by -N log c.  Fitting the scaled series keeps the
        normal equations' cross products y_t y_s away from overflow and underflow.
        """
        self.fit(y / c)
        k = self._k_trend
        # sigma^2 of y = c^2 sigma^2 of y / c
        sigma2 = self.sigma2_ * c * c
        if not np.isfinite(sigma2) or (sigma2 == 0.0 and self.sigma2_ > 0.0):
            raise ValueError(
                f"y has magnitude {np.max(np.abs(y)):.3g}: its innovation variance (about "
                f"{self.sigma2_:.3g} * {c:.3g}^2) is beyond float64; rescale the series by a constant first."
            )
        scale = np.concatenate([np.full(k, c), np.ones(self.params_.shape[0] - k)])
        self.params_ = self.params_ * scale
        self.bse_ = self.bse_ * scale  # standard errors scale as their coefficients
        self.sigma2_ = sigma2
        self.resid_ = self.resid_ * c
        self.endog_ = y
        self.llf_ = self.llf_ - self.nobs_ * np.log(c)
        self.aic_, self.bic_, self.hqic_ = _information_criteria(
            self.llf_, self.nobs_, self.params_.shape[0] + 1)
        return self

    @staticmethod
    def _lag_roots(phi: np.ndarray) -> np.ndarray:
        """Roots of 1 - phi_1 z - ... - phi_p z^p (inverse eigenvalues of the companion matrix)."""
        p = phi.shape[0]
        if p == 0:
            return np.empty(0, dtype=complex)
        # companion matrix: first row phi, sub-diagonal identity; its eigenvalues are 1/roots
        companion = np.zeros((p, p))
        companion[0] = phi
        companion[np.arange(1, p), np.arange(p - 1)] = 1.0
        inverse_roots = np.linalg.eigvals(companion).astype(complex)
        with np.errstate(divide="ignore"):
            return 1.0 / inverse_roots

    @property
    def is_stationary_(self) -> bool:
        """True when every root of the lag polynomial lies outside the unit circle."""
        check_is_fitted(self, "params_")
        return bool(np.all(np.abs(self.roots_) > 1.0))

    @property
    def ar_coef_(self) -> np.ndarray:
        """phi_1..phi_p."""
        check_is_fitted(self, "params_")
        return self.params_[self._k_trend:]

    # -- prediction ---------------------------------------------------------

    def _trend_value(self, times: np.ndarray) -> np.ndarray:
        """d_t^T delta for the given 1-based times."""
        return _deterministic(self.trend, times) @ self.params_[: self._k_trend]

    def _recursive(self, history: np.ndarray, start_time: int, steps: int,
                   shocks: np.ndarray | None = None) -> np.ndarray:
        """Run the recursion for ``steps`` values after ``history`` (its last p values matter).

        ``start_time`` is the 1-based time of the first new value; shocks default to zero
        (forecasting).
        """
        p = int(self.lags)
        phi = self.params_[self._k_trend:]
        det = self._trend_value(np.arange(start_time, start_time + steps))  # (steps,)
        buffer = np.concatenate([np.asarray(history, dtype=float)[-p:] if p else np.empty(0), np.zeros(steps)])
        for h in range(steps):
            # y_{T+h} = d^T delta + sum_i phi_i y_{T+h-i} (+ u_{T+h})
            value = det[h] + (phi @ buffer[h:h + p][::-1] if p else 0.0)
            if shocks is not None:
                value += shocks[h]
            buffer[p + h] = value
        return buffer[p:]

    def predict(self, start: int | None = None, end: int | None = None) -> np.ndarray:
        """One-step in-sample predictions, continuing as forecasts past the sample.

        Parameters
        ----------
        start, end : int, optional
            0-based positions, both inclusive (statsmodels' convention).  Defaults:
            ``start = lags`` (the first value with a full set of lags), ``end = n - 1``.
            Positions before ``lags`` give NaN; positions from ``n`` on are the
            multi-step forecasts of :meth:`forecast`.

        Returns
        -------
        ndarray of shape (end - start + 1,)
        """
        check_is_fitted(self, "params_")
        n, p = self.endog_.shape[0], int(self.lags)
        start = p if start is None else start
        end = n - 1 if end is None else end
        check_scalar_param(start, "start", kind=numbers.Integral, low=0)
        check_scalar_param(end, "end", kind=numbers.Integral, low=start)
        fitted = np.full(n, np.nan)
        fitted[p:] = self.endog_[p:] - self.resid_
        out = fitted[start: min(end, n - 1) + 1]
        if end >= n:
            future = self._recursive(self.endog_, n + 1, end - n + 1)
            out = np.concatenate([out, future[max(start - n, 0):]])
        return out

    def forecast(self, steps: int = 1, alpha: float = 0.05) -> ARForecast:
        """Forecast ``steps`` values past the end of the series with (1 - alpha) intervals.

        Returns
        -------
        ARForecast
            ``mean``, ``lower``, ``upper`` and ``se``, each of shape (steps,);
            se_h = sqrt(sigma2 * sum_{j<h} psi_j^2).

        Examples
        --------
        >>> from mlatlas.datasets import simulate_ar
        >>> model = AutoRegressive(lags=1).fit(simulate_ar([0.5], 300, random_state=1))
        >>> fc = model.forecast(5, alpha=0.1)
        >>> bool(np.all(fc.lower < fc.mean) and np.all(fc.se[1:] > fc.se[:-1]))
        True
        """
        check_is_fitted(self, "params_")
        check_scalar_param(steps, "steps", kind=numbers.Integral, low=1)
        check_scalar_param(alpha, "alpha", kind=numbers.Real, low=0, high=1, low_inclusive=False,
                           high_inclusive=False)
        n = self.endog_.shape[0]
        mean = self._recursive(self.endog_, n + 1, steps)
        psi = _psi_weights(self.params_[self._k_trend:], steps)
        # Var(e_h) = sigma^2 sum_{j<h} psi_j^2
        se = np.sqrt(self.sigma2_ * np.cumsum(psi**2))
        z = stats.norm.ppf(1.0 - alpha / 2.0)
        return ARForecast(mean, mean - z * se, mean + z * se, se)

    def simulate(self, n: int, random_state: Any = None, burn: int = 100) -> np.ndarray:
        """Draw a path of length ``n`` from the fitted model with Gaussian shocks.

        The recursion starts at the stationary mean (or zero when the model is not
        stationary) and runs ``burn`` values before the ones returned, which carry
        times t = 1..n for the trend terms.

        Examples
        --------
        >>> from mlatlas.datasets import simulate_ar
        >>> model = AutoRegressive(lags=2).fit(simulate_ar([0.6, -0.3], 400, random_state=0))
        >>> a, b = model.simulate(50, random_state=3), model.simulate(50, random_state=3)
        >>> bool(np.array_equal(a, b))
        True
        """
        check_is_fitted(self, "params_")
        check_scalar_param(n, "n", kind=numbers.Integral, low=1)
        check_scalar_param(burn, "burn", kind=numbers.Integral, low=0)
        rng = check_random_state(random_state)
        p, phi = int(self.lags), self.params_[self._k_trend:]
        start_level = 0.0
        if "c" in self.trend and self.is_stationary_:
            # stationary mean mu / (1 - sum phi)
            start_level = self.params_[0] / (1.0 - phi.sum())
        shocks = rng.normal(scale=np.sqrt(self.sigma2_), size=n + burn)
        path = self._recursive(np.full(p, start_level), 1 - burn, n + burn, shocks=shocks)
        return path[burn:]


# ---------------------------------------------------------------------------
# Order selection
# ---------------------------------------------------------------------------


@dataclass
class OrderSelection:
    """What :func:`select_order` found.

    Attributes
    ----------
    lags : int
        The selected order.
    ic : str
        The criterion used.
    values : dict
        ``{p: criterion}`` for p = 0..max_lag, all on the common sample.
    aic, bic, hqic : dict
        Every criterion for every order.
    """

    lags: int
    ic: str
    values: dict
    aic: dict = field(default_factory=dict)
    bic: dict = field(default_factory=dict)
    hqic: dict = field(default_factory=dict)

    def model(self, trend: str = "c") -> AutoRegressive:
        """An unfitted AutoRegressive with the selected order."""
        return AutoRegressive(lags=self.lags, trend=trend)


def select_order(y: Any, max_lag: int, ic: str = "aic", trend: str = "c") -> OrderSelection:
    """Choose p in 0..max_lag by an information criterion.

    Every candidate is fitted by least squares on the same observations
    (t = max_lag..n-1) so that the criteria are comparable, as statsmodels'
    ``ar_select_order`` does; the parameter count is that of statsmodels' OLS
    (regressors, minus one for a constant, plus one for the variance).

    Parameters
    ----------
    y : array-like of shape (n,)
    max_lag : int
    ic : {"aic", "bic", "hqic"}
    trend : {"c", "n", "t", "ct"}

    Examples
    --------
    >>> from mlatlas.datasets import simulate_ar
    >>> select_order(simulate_ar([0.6, -0.3], 1000, random_state=0), 6, ic="bic").lags
    2
    """
    y = check_1d_array(y, "y")
    max_lag = check_scalar_param(max_lag, "max_lag", kind=numbers.Integral, low=0)
    check_option(ic, "ic", CRITERIA)
    check_option(trend, "trend", TRENDS)
    k_trend = sum(ch in trend for ch in "ct")
    if y.shape[0] - max_lag < k_trend + max_lag:
        raise ValueError(
            f"y has {y.shape[0]} observations, too few for max_lag={max_lag} with trend={trend!r}."
        )
    # one QR of [trend, y_{t-1}, ..., y_{t-max_lag} | y_t] on the common sample
    # t = max_lag..n-1 serves every order: the fit on the first j columns uses the
    # leading blocks of R, and its SSR is the squared tail of R's last column.
    A = _design(y, max_lag, trend)  # (N, k_trend + max_lag + 1)
    nobs = A.shape[0]
    R_aug = np.linalg.qr(A, mode="r")
    has_const = "c" in trend
    table: dict[str, dict[int, float]] = {"aic": {}, "bic": {}, "hqic": {}}
    for p in range(max_lag + 1):
        k = k_trend + p
        if _qr_solve(R_aug, k) is not None:
            # SSR_k = ||y||^2 - ||Q_k^T y||^2 = sum_{i >= k} R_aug[i, -1]^2
            ssr = float(R_aug[k:, -1] @ R_aug[k:, -1])
        else:
            theta, _ = _least_squares(A, k)
            resid = A[:, -1] - A[:, :k] @ theta
            ssr = float(resid @ resid)
        sigma2 = ssr / nobs
        llf = -0.5 * nobs * (np.log(2 * np.pi * sigma2) + 1.0)
        # statsmodels counts OLS's df_model (regressors minus the constant) plus one
        n_params = k - int(has_const) + 1
        for name, value in zip(CRITERIA, _information_criteria(llf, nobs, n_params)):
            table[name][p] = value
    values = table[ic]
    best = min(values, key=values.get)
    return OrderSelection(lags=int(best), ic=ic, values=values, **table)
