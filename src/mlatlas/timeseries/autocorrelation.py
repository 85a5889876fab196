r"""Sample autocovariances and partial autocorrelations (Durbin-Levinson).

The lag-k partial autocorrelation is the last coefficient :math:`\phi_{kk}` of the best
AR(k) fit: from the Durbin-Levinson recursion on the autocovariances, or from the
regression of :math:`y_t` on a constant and :math:`y_{t-1..t-k}`.  The recursion also
solves the Yule-Walker equations that :class:`~mlatlas.timeseries.ar.AutoRegressive`
uses with ``method="yule-walker"``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..base import check_1d_array, check_option, check_scalar_param
from ._lags import _design, _least_squares

__all__ = ["acovf", "pacf"]


def acovf(y: Any, nlags: int, demean: bool = True) -> np.ndarray:
    r"""Biased sample autocovariances :math:`\hat\gamma_k = \frac1n\sum_t x_t x_{t+k}`, k = 0..nlags.

    Examples
    --------
    >>> acovf([1.0, 2.0, 3.0], 1).round(4).tolist()
    [0.6667, 0.0]
    """
    x = check_1d_array(y, "y")
    nlags = check_scalar_param(nlags, "nlags", kind=numbers.Integral, low=0, high=x.shape[0] - 1)
    if demean:
        x = x - x.mean()
    n = x.shape[0]
    # gamma_k = (1/n) sum_{t} x_t x_{t+k}
    return np.array([x[k:] @ x[: n - k] for k in range(nlags + 1)]) / n


def _durbin_levinson(gamma: np.ndarray, order: int):
    r"""Solve the Yule-Walker equations of orders 1..order recursively.

    Returns the AR(order) coefficients, the partial autocorrelations
    :math:`\phi_{kk}` (k = 0..order, with :math:`\phi_{00} = 1`) and the innovation
    variance :math:`v_{order}`.
    """
    phi = np.zeros(0)
    partial = np.ones(order + 1)
    v = gamma[0]
    for k in range(1, order + 1):
        # phi_kk = (gamma_k - sum_{j<k} phi_{k-1,j} gamma_{k-j}) / v_{k-1}
        reflection = (gamma[k] - phi @ gamma[k - 1:0:-1]) / v if v > 0 else 0.0
        # phi_{k,j} = phi_{k-1,j} - phi_kk phi_{k-1,k-j}
        phi = np.concatenate([phi - reflection * phi[::-1], [reflection]])
        # v_k = v_{k-1} (1 - phi_kk^2)
        v = v * (1.0 - reflection**2)
        partial[k] = reflection
    return phi, partial, v


def pacf(y: Any, nlags: int, method: str = "yule-walker") -> np.ndarray:
    """Partial autocorrelations at lags 0..nlags (lag 0 is 1).

    Parameters
    ----------
    y : array-like of shape (n,)
    nlags : int
        The largest lag, at most ``n // 2``.
    method : {"yule-walker", "ols"}
        ``"yule-walker"``: Durbin-Levinson on the biased autocovariances of the
        demeaned series (statsmodels' ``pacf(method="ldb")``, equal to ``"ywm"``).
        ``"ols"``: the last coefficient of the regression of y_t on a constant and
        y_{t-1..t-k}, using every observation that has k lags (``method="ols"``).

    Examples
    --------
    >>> from mlatlas.datasets import simulate_ar
    >>> y = simulate_ar([0.7], 2000, random_state=0)
    >>> bool(abs(pacf(y, 3)[1] - 0.7) < 0.05)
    True
    """
    x = check_1d_array(y, "y")
    check_option(method, "method", ("yule-walker", "ols"))
    n = x.shape[0]
    nlags = check_scalar_param(nlags, "nlags", kind=numbers.Integral, low=1, high=max(n // 2, 1))
    if method == "yule-walker":
        return _durbin_levinson(acovf(x, nlags), nlags)[1]
    out = np.ones(nlags + 1)
    for k in range(1, nlags + 1):
        # regress y_t on (1, y_{t-1}, ..., y_{t-k}) for t = k..n-1; keep phi_kk
        out[k] = _least_squares(_design(x, k, "c"))[0][-1]
    return out
