"""The compiled inner loop of SMO for the SVC dual (private; used by ``svm.py``).

Only what cannot be vectorised lives here: one SMO iteration reads two kernel rows,
scans the gradient twice to choose the working pair and updates the gradient, and
the iterations are strictly sequential.  Everything else (problem set-up, the
intercept, history, support vectors) is NumPy in ``svm.py``, which also holds the
same iterations written plainly on the whole kernel matrix (``smo_readable``); the
tests check that both reach the same multipliers.

Problem solved (one binary problem, labels ``y`` in {+1, -1}):

    minimise   f(alpha) = 1/2 alpha^T Q alpha - e^T alpha,   Q_ij = y_i y_j K(x_i, x_j)
    subject to 0 <= alpha_t <= U_t,   y^T alpha = 0

``grad`` always holds G = Q alpha - e (float64).  Kernel rows are kept in an LRU
cache: a fixed block of ``n_slots`` rows (``store``), ``slot_of[row]`` (or -1) and
``row_in[slot]`` link rows and slots, ``stamp[slot]`` is the last time a slot was
read, so the least recently used slot is the one evicted.  Rows are computed in
float64 and stored in float32, as libsvm stores them: twice the rows in the same
memory, and the same rounding as the reference, so that both take the same path.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LINEAR, POLY, RBF, SIGMOID = 0, 1, 2, 3
KERNEL_CODES = {"linear": LINEAR, "poly": POLY, "rbf": RBF, "sigmoid": SIGMOID}

# Curvature used when K_ii + K_jj - 2 K_ij <= 0 (a non positive-definite kernel or two
# identical points), as in Fan, Chen & Lin (2005), section 4.
TAU = 1e-12


@njit(cache=True)
def kernel_row(XT, r, kernel, gamma, coef0, degree, out, acc):
    """out[t] = K(x_r, x_t) for every sample t.

    ``XT`` is X transposed, shape (n_features, n_samples), so that the inner loop runs
    over samples through contiguous memory and compiles to SIMD instructions; ``acc``
    is a float64 work array of length n_samples.
    """
    d, n = XT.shape
    for t in range(n):
        acc[t] = 0.0
    if kernel == RBF:
        for k in range(d):
            x_rk = XT[k, r]
            for t in range(n):
                # ||x_r - x_t||^2 summed directly (no cancellation for close points)
                diff = x_rk - XT[k, t]
                acc[t] += diff * diff
        for t in range(n):
            # K = exp(-gamma ||x_r - x_t||^2)
            out[t] = math.exp(-gamma * acc[t])
        return
    for k in range(d):
        x_rk = XT[k, r]
        for t in range(n):
            acc[t] += x_rk * XT[k, t]  # <x_r, x_t>
    for t in range(n):
        if kernel == LINEAR:
            out[t] = acc[t]
        elif kernel == POLY:
            # K = (gamma <x_r, x_t> + coef0)^degree
            out[t] = (gamma * acc[t] + coef0) ** degree
        else:
            # K = tanh(gamma <x_r, x_t> + coef0)
            out[t] = math.tanh(gamma * acc[t] + coef0)


@njit(cache=True)
def cached_row(r, XT, kernel, gamma, coef0, degree, store, slot_of, row_in, stamp, counters, acc):
    """Index of the cache slot holding kernel row ``r``, computing it on a miss.

    counters = [clock, slots in use, hits, misses].
    """
    counters[0] += 1
    s = slot_of[r]
    if s >= 0:
        counters[2] += 1
    else:
        counters[3] += 1
        if counters[1] < store.shape[0]:
            s = counters[1]  # a slot never used yet
            counters[1] += 1
        else:
            s = 0  # evict the least recently used slot
            for q in range(1, store.shape[0]):
                if stamp[q] < stamp[s]:
                    s = q
            slot_of[row_in[s]] = -1
        row_in[s] = r
        slot_of[r] = s
        kernel_row(XT, r, kernel, gamma, coef0, degree, store[s], acc)
    stamp[s] = counters[0]
    return s


@njit(cache=True)
def in_up(y_t, alpha_t, upper_t):
    """Is t in I_up = {y=+1, alpha<U} u {y=-1, alpha>0}?

    Scalars, not arrays: a compiled call with array arguments pays reference counting,
    which in the per-sample loops below costs several times the loop body.
    """
    return (y_t > 0 and alpha_t < upper_t) or (y_t < 0 and alpha_t > 0.0)


@njit(cache=True)
def in_low(y_t, alpha_t, upper_t):
    """Is t in I_low = {y=+1, alpha>0} u {y=-1, alpha<U}?"""
    return (y_t > 0 and alpha_t > 0.0) or (y_t < 0 and alpha_t < upper_t)


@njit(cache=True)
def smo_iterations(XT, y, upper, kernel, gamma, coef0, degree, diag, alpha, grad,
                   store, slot_of, row_in, stamp, counters, acc, tol, max_steps):
    """Run at most ``max_steps`` SMO iterations in place on ``alpha`` and ``grad``.

    Returns ``(steps, converged)``; ``converged`` is True when the maximal violating
    pair violates the KKT conditions by less than ``tol`` (m(alpha) - M(alpha) < tol).
    """
    n = y.shape[0]
    steps = 0
    while steps < max_steps:
        # --- choose i: the most violating index in I_up, i = argmax_{t in I_up} -y_t G_t,
        # m(alpha) = -y_i G_i; ties go to the last index (as libsvm)
        m_alpha = -np.inf
        i = -1
        for t in range(n):
            if in_up(y[t], alpha[t], upper[t]) and -y[t] * grad[t] >= m_alpha:
                m_alpha = -y[t] * grad[t]
                i = t
        if i < 0:
            return steps, True
        row_i = store[cached_row(i, XT, kernel, gamma, coef0, degree, store, slot_of, row_in,
                                 stamp, counters, acc)]

        # --- choose j with second-order information (Fan, Chen & Lin 2005, WSS 3):
        # among t in I_low with -y_t G_t < m(alpha), minimise -b_it^2 / a_it with
        # b_it = m(alpha) + y_t G_t > 0 and a_it = K_ii + K_tt - 2 K_it
        # (the decrease of f when the pair (i, t) is optimised alone).
        minus_M_alpha = -np.inf  # max_{t in I_low} y_t G_t = -M(alpha)
        best = np.inf
        j = -1
        for t in range(n):
            if in_low(y[t], alpha[t], upper[t]):
                v = y[t] * grad[t]
                if v >= minus_M_alpha:
                    minus_M_alpha = v
                b = m_alpha + v
                if b > 0.0:
                    a = diag[i] + diag[t] - 2.0 * row_i[t]
                    if a <= 0.0:
                        a = TAU
                    decrease = -(b * b) / a
                    if decrease <= best:
                        best = decrease
                        j = t
        # stopping rule: m(alpha) - M(alpha) < tol
        if m_alpha + minus_M_alpha < tol or j < 0:
            return steps, True
        row_j = store[cached_row(j, XT, kernel, gamma, coef0, degree, store, slot_of, row_in,
                                 stamp, counters, acc)]

        # --- solve the two-variable problem along alpha_i += y_i s, alpha_j -= y_j s
        # (this keeps y^T alpha fixed).  f along s has slope -b and curvature a, so the
        # unconstrained step is s = b / a, then s is cut at the box [0, U].
        a = diag[i] + diag[j] - 2.0 * row_i[j]
        if a <= 0.0:
            a = TAU
        b = -y[i] * grad[i] + y[j] * grad[j]
        s = b / a
        room_i = upper[i] - alpha[i] if y[i] > 0 else alpha[i]
        room_j = alpha[j] if y[j] > 0 else upper[j] - alpha[j]
        old_i = alpha[i]
        old_j = alpha[j]
        if s >= room_i and room_i <= room_j:
            # alpha_i reaches its bound first: put it there exactly
            s = room_i
            alpha[i] = upper[i] if y[i] > 0 else 0.0
            if room_j == room_i:
                alpha[j] = 0.0 if y[j] > 0 else upper[j]
            else:
                alpha[j] = min(max(old_j - y[j] * s, 0.0), upper[j])
        elif s >= room_j:
            s = room_j
            alpha[j] = 0.0 if y[j] > 0 else upper[j]
            alpha[i] = min(max(old_i + y[i] * s, 0.0), upper[i])
        else:
            alpha[i] = old_i + y[i] * s
            alpha[j] = old_j - y[j] * s

        # --- G_k += Q_ki (delta alpha_i) + Q_kj (delta alpha_j),  Q_kt = y_k y_t K_kt
        c_i = y[i] * (alpha[i] - old_i)
        c_j = y[j] * (alpha[j] - old_j)
        for k in range(n):
            grad[k] += y[k] * (c_i * row_i[k] + c_j * row_j[k])
        steps += 1
    return steps, False


@njit(cache=True)
def progress(y, upper, alpha, grad):
    """What history_ records: (dual objective, KKT violation, number of alpha > 0).

    dual = e^T alpha - 1/2 alpha^T Q alpha = -1/2 alpha^T (G - e), since Q alpha = G + e;
    violation = m(alpha) - M(alpha) (0 when I_up or I_low is empty).
    """
    dual = 0.0
    m_alpha = -np.inf
    M_alpha = np.inf
    n_support = 0
    for t in range(y.shape[0]):
        dual -= 0.5 * alpha[t] * (grad[t] - 1.0)
        if alpha[t] > 0.0:
            n_support += 1
        if in_up(y[t], alpha[t], upper[t]):
            m_alpha = max(m_alpha, -y[t] * grad[t])
        if in_low(y[t], alpha[t], upper[t]):
            M_alpha = min(M_alpha, -y[t] * grad[t])
    violation = m_alpha - M_alpha if m_alpha > -np.inf and M_alpha < np.inf else 0.0
    return dual, violation, n_support
