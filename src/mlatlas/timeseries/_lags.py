"""The regression behind AR(p): the lagged design matrix and least squares through QR.

Shared by :class:`~mlatlas.timeseries.ar.AutoRegressive` (``method="ols"``),
:func:`~mlatlas.timeseries.ar.select_order` and the regression form of
:func:`~mlatlas.timeseries.autocorrelation.pacf`.
"""

from __future__ import annotations

import warnings

import numpy as np


def _deterministic(trend: str, times: np.ndarray) -> np.ndarray:
    """Deterministic regressors for the given (1-based) times: (m, k_trend)."""
    columns = []
    if "c" in trend:
        columns.append(np.ones(times.shape[0]))
    if "t" in trend:
        columns.append(times.astype(float))
    if not columns:
        return np.empty((times.shape[0], 0))
    return np.column_stack(columns)


def _lag_matrix(y: np.ndarray, p: int, hold_back: int) -> np.ndarray:
    """Rows t = hold_back..n-1 of the lags (y_{t-1}, ..., y_{t-p}): (n - hold_back, p)."""
    n = y.shape[0]
    if p == 0:
        return np.empty((n - hold_back, 0))
    # windows[j] = (y_j, ..., y_{j+p-1}); row t needs window j = t - p, reversed.
    windows = np.lib.stride_tricks.sliding_window_view(y[:-1], p)  # (n - p, p)
    return windows[hold_back - p:, ::-1]


def _design(y: np.ndarray, p: int, trend: str, hold_back: int | None = None) -> np.ndarray:
    """The augmented regression matrix ``[X | target]`` for t = hold_back..n-1.

    Returns an (N, k + 1) Fortran-ordered array (LAPACK's layout, so the QR needs no
    copy): the deterministic columns, the lags y_{t-1}..y_{t-p}, then y_t itself.
    """
    hold_back = p if hold_back is None else hold_back
    n = y.shape[0]
    N = n - hold_back
    times = np.arange(hold_back + 1, n + 1)  # 1-based time of each target row
    det = _deterministic(trend, times)  # (N, k_trend)
    k_trend = det.shape[1]
    A = np.empty((N, k_trend + p + 1), order="F")  # (N, k + 1)
    A[:, :k_trend] = det
    A[:, k_trend:k_trend + p] = _lag_matrix(y, p, hold_back)
    A[:, -1] = y[hold_back:]
    return A


def _qr_solve(R_aug: np.ndarray, k: int):
    """OLS on the first k regressors from the R factor of ``[X | target]``.

    With ``[X | y] = Q R_aug``, the leading k x k block is X's own R factor for the
    first k columns and ``R_aug[:k, -1]`` is Q_k^T y, so theta = R^{-1} Q_k^T y and
    (X^T X)^{-1} = R^{-1} R^{-T}.  Returns None when those k columns are (nearly)
    collinear.
    """
    if k == 0:
        return np.empty(0), np.empty((0, 0))
    R = R_aug[:k, :k]
    diag = np.abs(np.diag(R))
    if not diag.min() > diag.max() * 1e3 * np.finfo(float).eps:
        return None
    # R^{-1} (k, k): R is tiny, so an explicit inverse is cheap
    R_inv = np.linalg.inv(R)
    # theta = R^{-1} Q^T y
    theta = R_inv @ R_aug[:k, -1]
    # (X^T X)^{-1} = R^{-1} R^{-T}
    return theta, R_inv @ R_inv.T


def _least_squares(A: np.ndarray, k: int | None = None):
    """OLS of the last column of ``A`` on its first k columns (all others by default).

    Solved through the R factor of a QR factorisation (Q is never formed); falls back
    to the minimum-norm (pseudo-inverse) solution when the regressors are rank
    deficient, as statsmodels does.
    """
    k = A.shape[1] - 1 if k is None else k
    if k == 0:
        return np.empty(0), np.empty((0, 0))
    R_aug = np.linalg.qr(A[:, list(range(k)) + [-1]] if k < A.shape[1] - 1 else A, mode="r")
    solved = _qr_solve(R_aug, k)
    if solved is not None:
        return solved
    warnings.warn(
        "the AR regressors are (nearly) collinear, e.g. a constant or periodic series; "
        "the coefficients are not unique and the minimum-norm solution is returned.",
        RuntimeWarning, stacklevel=3)
    pinv = np.linalg.pinv(A[:, :k])  # (k, N)
    return pinv @ A[:, -1], pinv @ pinv.T
