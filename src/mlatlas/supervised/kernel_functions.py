r"""Kernel functions of the support vector machine: K(x, z) for every pair of rows.

A kernel is an inner product in a feature space that is never built,
:math:`K(x, z) = \langle \varphi(x), \varphi(z) \rangle`, so a linear method written with
inner products only becomes non-linear in ``x`` (the kernel trick).  As in libsvm and
:class:`sklearn.svm.SVC`:

=========  ==========================================
linear     :math:`K(x, z) = x^\top z`
poly       :math:`K(x, z) = (\gamma\, x^\top z + c_0)^d`
rbf        :math:`K(x, z) = \exp(-\gamma \|x - z\|^2)`
sigmoid    :math:`K(x, z) = \tanh(\gamma\, x^\top z + c_0)`
=========  ==========================================

:func:`kernel_matrix` computes them with one matrix product; :func:`cached_kernel_matrix`
computes them the way the compiled SMO's cache holds them (float32, summed feature by
feature), for the plain SMO that the tests compare with the compiled one.
"""

from __future__ import annotations

import numpy as np

from ..base import max_abs, overflow_safe_scale

__all__ = ["kernel_matrix", "kernel_diagonal", "safe_kernel_data", "check_kernel_range",
           "cached_kernel_matrix"]


def safe_kernel_data(arrays: tuple, gamma: float, kernel: str):
    """The arrays and gamma as the kernels read them, safe from overflow in x.z.

    When squares of the entries could overflow (or underflow) float64, the data are
    divided by a power of two ``s`` and gamma multiplied by ``s^2``: every kernel but
    the linear one depends on the data only through ``gamma x.z`` or
    ``gamma ||x - z||^2``, which this leaves unchanged.  Ordinary data come back as
    they are.  The linear kernel ``x.z`` itself cannot be rescaled, so it is checked
    (:func:`check_kernel_range`).
    """
    largest = max(max_abs(a) for a in arrays)
    scale = overflow_safe_scale(largest, arrays[0].shape[1])
    if scale == 1.0 or kernel == "linear":
        return tuple(arrays), gamma
    scaled_gamma = gamma * scale * scale
    if not np.isfinite(scaled_gamma):
        raise ValueError(
            f"X is too large for gamma={gamma:.3g}: with |x| up to {largest:.3g}, "
            "gamma ||x - z||^2 overflows float64; rescale X or use gamma='scale'.")
    return tuple(a / scale for a in arrays), scaled_gamma


def kernel_matrix(A: np.ndarray, B: np.ndarray, kernel: str, gamma: float, coef0: float,
                  degree: int) -> np.ndarray:
    """K(a_r, b_c) for every row of A and B, shape (len(A), len(B))."""
    dots = A @ B.T  # (len(A), len(B))
    if kernel == "rbf":
        # ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b  (in place; clipped at 0 against rounding)
        dots *= -2.0
        dots += np.einsum("ij,ij->i", A, A)[:, None]
        dots += np.einsum("ij,ij->i", B, B)[None, :]
        np.maximum(dots, 0.0, out=dots)
        # K = exp(-gamma ||a - b||^2)
        dots *= -gamma
        return np.exp(dots, out=dots)
    if kernel == "linear":
        return dots
    if kernel == "poly":
        # K = (gamma a.b + c0)^d
        return (gamma * dots + coef0) ** degree
    # K = tanh(gamma a.b + c0)
    return np.tanh(gamma * dots + coef0)


def kernel_diagonal(X: np.ndarray, kernel: str, gamma: float, coef0: float, degree: int) -> np.ndarray:
    """K(x_t, x_t) for every row of X."""
    if kernel == "rbf":
        return np.ones(X.shape[0])  # exp(-gamma * 0)
    sq = np.einsum("ij,ij->i", X, X)  # x.x
    if kernel == "linear":
        return sq
    if kernel == "poly":
        return (gamma * sq + coef0) ** degree
    return np.tanh(gamma * sq + coef0)


def check_kernel_range(diag: np.ndarray, kernel: str) -> None:
    """Refuse kernel values the float32 row cache cannot hold.

    SMO stores kernel rows in float32, as libsvm does.  For a positive semi-definite
    kernel every entry is bounded by the diagonal, |K(x, z)| <= sqrt(K(x, x) K(z, z)), so the
    diagonal tells whether any entry would overflow (or all would vanish) in float32.
    """
    if kernel in ("rbf", "sigmoid") or diag.size == 0:
        return  # |K| <= 1
    largest = float(np.max(np.abs(diag)))
    limits = np.finfo(np.float32)
    if not largest <= float(limits.max):
        raise ValueError(
            f"X is too large for kernel={kernel!r}: K(x, x) reaches {largest:.3g}, beyond what "
            "the kernel cache (float32, as libsvm) holds; rescale X, e.g. divide it by its "
            "largest absolute value (kernel='rbf' with gamma='scale' needs no rescaling).")
    if largest < float(limits.tiny):
        raise ValueError(
            f"X is too small for kernel={kernel!r}: every K(x, x) is below {limits.tiny:.3g} "
            f"(largest {largest:.3g}), which the kernel cache (float32, as libsvm) cannot hold; "
            "rescale X, e.g. divide it by its largest absolute value.")


def cached_kernel_matrix(X: np.ndarray, kernel: str, gamma: float, coef0: float,
                         degree: int) -> np.ndarray:
    """K(x_r, x_t) for every pair of rows, as the compiled SMO's kernel cache holds it.

    The sums run over the features in order in float64 (as ``kernel_row`` adds them)
    and the values are rounded to float32, the precision of the cache (and of libsvm's).
    """
    acc = np.zeros((X.shape[0], X.shape[0]))
    for k in range(X.shape[1]):
        if kernel == "rbf":
            # ||x_r - x_t||^2, summed feature by feature
            acc += (X[:, None, k] - X[None, :, k]) ** 2
        else:
            # <x_r, x_t>
            acc += X[:, None, k] * X[None, :, k]
    if kernel == "rbf":
        K = np.exp(-gamma * acc)  # exp(-gamma ||x_r - x_t||^2)
    elif kernel == "linear":
        K = acc
    elif kernel == "poly":
        K = (gamma * acc + coef0) ** degree
    else:
        K = np.tanh(gamma * acc + coef0)
    return K.astype(np.float32).astype(np.float64)


