r"""The partition function of a Bernoulli RBM: exactly on small models, by annealed importance sampling.

An RBM with weights W (n_hidden, n_visible), visible biases b and hidden biases c
gives the visible vector v the unnormalised probability (the hidden layer summed out)

.. math::

    p^*(v) = e^{-F(v)}, \qquad
    F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + W_j v),

and :math:`Z = \sum_v p^*(v)`.  Summing the visible layer out instead,

.. math::

    Z = \sum_h \exp\Big(c^\top h + \sum_i \operatorname{softplus}(b_i + (W^\top h)_i)\Big),

so Z is exact by enumerating whichever layer is small (:func:`exact_log_partition`).

Annealed importance sampling (Neal 2001), set up as Salakhutdinov & Murray (2008)
---------------------------------------------------------------------------------
A base-rate model A has no weights and visible biases :math:`b_A` (the log-odds of the
smoothed training-pixel means), so :math:`Z_A = \prod_i (1 + e^{b_{A,i}})` and exact
samples are independent coin flips.  Between A and the target B lie the
distributions, for :math:`0 = \beta_0 < \beta_1 < \dots < \beta_K = 1`,

.. math::

    \log p^*_\beta(v) = (1 - \beta)\, b_A^\top v + \beta\, b^\top v
                        + \sum_j \operatorname{softplus}(\beta (c_j + W_j v)),

whose normaliser at :math:`\beta = 0` is :math:`Z_0 = 2^{n_h} Z_A`.  A run draws
:math:`v_1 \sim p_0`, then for k = 1..K adds
:math:`\log p^*_{\beta_k}(v_k) - \log p^*_{\beta_{k-1}}(v_k)` to its log weight and moves
:math:`v_k \to v_{k+1}` by one Gibbs step that leaves :math:`p_{\beta_k}` invariant
(:math:`h \sim \sigma(\beta_k (c + W v))`,
:math:`v \sim \sigma((1 - \beta_k) b_A + \beta_k (b + W^\top h))`).  The mean weight is
an unbiased estimate of :math:`Z_B / Z_0`; many runs are averaged in log space,

.. math::

    \log \hat Z_B = \log Z_0 + \log \tfrac1M \sum_m e^{\log w_m},

and the standard error of :math:`\log \hat Z` is, by the delta method,
:math:`\operatorname{sd}(w) / (\sqrt M\, \bar w)`.  Because :math:`\hat Z` is unbiased,
:math:`\log \hat Z` tends to *under*-estimate log Z (Jensen), so likelihoods computed
with it tend to be optimistic; more temperatures shrink that gap.

The temperatures follow the paper's schedule: a fifteenth of them spaced evenly on
[0, 0.5], four fifteenths on [0.5, 0.9] and two thirds on [0.9, 1] (1,000, 4,000 and
10,000 of 15,000 there), dense near 1 where the distributions change fastest.

References
----------
Neal, "Annealed importance sampling", Statistics and Computing 11 (2001).
Salakhutdinov & Murray, "On the quantitative analysis of deep belief networks", ICML 2008.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.special import expit

from ...base import check_random_state, check_scalar_param

__all__ = ["softplus", "free_energy", "base_rate_biases", "ais_betas", "ais_log_partition",
           "ais_log_partition_plain", "exact_log_partition", "EXACT_MAX_UNITS"]

#: Exact log Z enumerates 2^m states of the smaller layer; m is at most this.
EXACT_MAX_UNITS = 20


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x), without overflow: max(x, 0) + log1p(e^-|x|)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + e^-x), elementwise (scipy's expit; ``out`` may be ``x`` itself)."""
    return expit(x, out=out) if out is not None else expit(x)


def free_energy(V: np.ndarray, W: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """F(v) = -b.v - sum_j softplus(c_j + W_j v) for every row of V: shape (n,)."""
    # F(v) = -b^T v - sum_j softplus(c_j + W_j v)
    return -(V @ b) - softplus(V @ W.T + c).sum(axis=1)


def base_rate_biases(X: np.ndarray, smoothing: float = 1.0) -> np.ndarray:
    """Visible biases of the base-rate model: the log-odds of the smoothed pixel means.

    m_i = (sum_n x_ni + smoothing) / (n + 2 smoothing), b_A,i = log(m_i / (1 - m_i)).
    """
    X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
    # m_i = (count of ones + s) / (n + 2 s)
    m = (X.sum(axis=0) + smoothing) / (X.shape[0] + 2.0 * smoothing)
    return np.log(m) - np.log1p(-m)


def ais_betas(n_betas: int) -> np.ndarray:
    """``n_betas`` + 1 inverse temperatures from 0 to 1, dense near 1 (Salakhutdinov & Murray's shares).

    Examples
    --------
    >>> betas = ais_betas(15)
    >>> float(betas[0]), float(betas[-1]), len(betas)
    (0.0, 1.0, 16)
    """
    check_scalar_param(n_betas, "n_betas", kind=numbers.Integral, low=3)
    # 1/15 of the steps on [0, 0.5], 4/15 on [0.5, 0.9], the rest on [0.9, 1]
    n1 = max(1, int(round(n_betas / 15)))
    n2 = max(1, int(round(4 * n_betas / 15)))
    n3 = max(1, n_betas - n1 - n2)
    return np.concatenate([np.linspace(0.0, 0.5, n1, endpoint=False), np.linspace(0.5, 0.9, n2, endpoint=False),
                           np.linspace(0.9, 1.0, n3 + 1)])


def _check_rbm_arrays(W, b, c, base_biases):
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    if W.ndim != 2 or b.shape != (W.shape[1],) or c.shape != (W.shape[0],):
        raise ValueError(f"expected W (n_hidden, n_visible) with b (n_visible,) and c (n_hidden,); got shapes "
                         f"{W.shape}, {b.shape} and {c.shape}.")
    base = np.zeros_like(b) if base_biases is None else np.asarray(base_biases, dtype=np.float64)
    if base.shape != b.shape:
        raise ValueError(f"base_biases must have shape {b.shape}; got {base.shape}.")
    return W, b, c, base


def _log_mean_exp_and_error(log_w: np.ndarray) -> tuple[float, float]:
    """log mean(e^log_w) and the delta-method standard error of that log: sd(w) / (sqrt(M) mean(w))."""
    top = float(log_w.max())
    w = np.exp(log_w - top)  # weights scaled by e^-top (the ratio below does not change)
    mean = float(w.mean())
    # se(log mean w) = sd(w) / (sqrt(M) mean(w))
    error = float(w.std(ddof=1) / (math.sqrt(len(w)) * mean)) if len(w) > 1 else math.inf
    return top + math.log(mean), error


def ais_log_partition_plain(W, b, c, base_biases=None, *, n_runs: int = 100, n_betas: int = 1000,
                            random_state=None) -> tuple[float, float]:
    """AIS estimate of log Z written step by step as the module docstring says (slow; the reference).

    Returns ``(log_Z, standard_error)``.  :func:`ais_log_partition` computes the same
    numbers (same random draws) with the work of each step shared.
    """
    W, b, c, b_A = _check_rbm_arrays(W, b, c, base_biases)
    rng = check_random_state(random_state)
    betas = ais_betas(n_betas)
    n_hidden = W.shape[0]

    def log_p_star(v, beta):
        # log p*_beta(v) = (1 - beta) b_A.v + beta b.v + sum_j softplus(beta (c_j + W_j v))
        return (1.0 - beta) * (v @ b_A) + beta * (v @ b) + softplus(beta * (v @ W.T + c)).sum(axis=1)

    # v_1 ~ p_0: independent pixels with P(v_i = 1) = sigmoid(b_A,i)
    v = (rng.random((n_runs, b.shape[0])) < _sigmoid(b_A)).astype(np.float64)
    log_w = np.zeros(n_runs)
    for k in range(1, len(betas)):
        # log w += log p*_k(v_k) - log p*_{k-1}(v_k)
        log_w += log_p_star(v, betas[k]) - log_p_star(v, betas[k - 1])
        # one Gibbs step that leaves p_k invariant
        h = (rng.random((n_runs, n_hidden)) < _sigmoid(betas[k] * (v @ W.T + c))).astype(np.float64)
        v = (rng.random(v.shape) < _sigmoid((1.0 - betas[k]) * b_A + betas[k] * (h @ W + b))).astype(np.float64)
    # log Z_0 = n_h log 2 + sum_i softplus(b_A,i)
    log_Z0 = n_hidden * math.log(2.0) + float(softplus(b_A).sum())
    log_ratio, error = _log_mean_exp_and_error(log_w)
    return log_Z0 + log_ratio, error


def ais_log_partition(W, b, c, base_biases=None, *, n_runs: int = 100, n_betas: int = 10000,
                      random_state=None, progress: bool = False) -> tuple[float, float]:
    """AIS estimate of the log partition function of a Bernoulli RBM and its standard error.

    Parameters
    ----------
    W : ndarray of shape (n_hidden, n_visible)
        The weights (scikit-learn's ``components_``).
    b : ndarray of shape (n_visible,)
        Visible biases (``intercept_visible_``).
    c : ndarray of shape (n_hidden,)
        Hidden biases (``intercept_hidden_``).
    base_biases : ndarray of shape (n_visible,), optional
        Visible biases of the base-rate model (:func:`base_rate_biases` of the training
        data); zeros (uniform pixels) when not given.
    n_runs : int, default=100
        Independent annealing runs.
    n_betas : int, default=10000
        Intermediate temperatures (:func:`ais_betas`).
    random_state : None, int or Generator
    progress : bool, default=False
        A tqdm bar over the temperatures.

    Returns
    -------
    log_Z : float
    standard_error : float
        Of ``log_Z`` over the runs (delta method).

    Notes
    -----
    Each step computes x = c + W v once: the weight update uses softplus(beta_k x) -
    softplus(beta_{k-1} x) and the Gibbs step samples h from sigmoid(beta_k x) =
    exp(beta_k x - softplus(beta_k x)); the visible term adds
    (beta_k - beta_{k-1}) (b - b_A).v.  The draws are those of
    :func:`ais_log_partition_plain`, so both return the same numbers.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W, b, c = 0.3 * rng.normal(size=(6, 5)), rng.normal(size=5), rng.normal(size=6)
    >>> est, err = ais_log_partition(W, b, c, n_runs=200, n_betas=300, random_state=0)
    >>> abs(est - exact_log_partition(W, b, c)) < 0.05
    True
    """
    from tqdm.auto import tqdm

    W, b, c, b_A = _check_rbm_arrays(W, b, c, base_biases)
    check_scalar_param(n_runs, "n_runs", kind=numbers.Integral, low=2)
    rng = check_random_state(random_state)
    betas = ais_betas(n_betas)
    n_hidden, n_visible = W.shape
    Wt = np.ascontiguousarray(W.T)  # (n_visible, n_hidden)
    delta_b = b - b_A
    v = (rng.random((n_runs, n_visible)) < _sigmoid(b_A)).astype(np.float64)
    log_w = np.zeros(n_runs)
    u_h = np.empty((n_runs, n_hidden))
    u_v = np.empty((n_runs, n_visible))
    steps = range(1, len(betas))
    for k in tqdm(steps, desc="AIS", unit="beta", disable=not progress, leave=False, mininterval=1.0):
        beta, beta_prev = betas[k], betas[k - 1]
        x = v @ Wt  # (n_runs, n_hidden)
        x += c
        # softplus(beta x): the new temperature's hidden term (kept for the sigmoid below)
        sp = softplus(beta * x)
        # log w += (beta_k - beta_{k-1}) (b - b_A).v + sum_j [softplus(beta_k x_j) - softplus(beta_{k-1} x_j)]
        log_w += (beta - beta_prev) * (v @ delta_b) + sp.sum(axis=1) - softplus(beta_prev * x).sum(axis=1)
        # h ~ sigmoid(beta x) = exp(beta x - softplus(beta x))
        rng.random(out=u_h)
        h = (u_h < np.exp(beta * x - sp)).astype(np.float64)
        # v ~ sigmoid((1 - beta) b_A + beta (b + W^T h))
        a = h @ W  # (n_runs, n_visible)
        a += b
        a *= beta
        a += (1.0 - beta) * b_A
        rng.random(out=u_v)
        v = (u_v < _sigmoid(a)).astype(np.float64)
    log_Z0 = n_hidden * math.log(2.0) + float(softplus(b_A).sum())
    log_ratio, error = _log_mean_exp_and_error(log_w)
    return log_Z0 + log_ratio, error


def exact_log_partition(W, b, c, *, chunk: int = 4096) -> float:
    """log Z of a Bernoulli RBM by enumerating its smaller layer (at most 20 units).

    With the hidden layer enumerated:
    log Z = logsumexp_h [c.h + sum_i softplus(b_i + (W^T h)_i)]; with the visible one,
    log Z = logsumexp_v [-F(v)].

    Examples
    --------
    >>> W, b, c = np.zeros((2, 3)), np.zeros(3), np.zeros(2)
    >>> round(float(exact_log_partition(W, b, c) / np.log(2)), 12)  # 2^5 states of weight 1
    5.0
    """
    from scipy.special import logsumexp

    W, b, c, _ = _check_rbm_arrays(W, b, c, None)
    n_hidden, n_visible = W.shape
    m = min(n_hidden, n_visible)
    if m > EXACT_MAX_UNITS:
        raise ValueError(f"exact log Z enumerates 2^{m} states; it needs a layer of at most "
                         f"{EXACT_MAX_UNITS} units (got {n_hidden} hidden and {n_visible} visible); use AIS.")
    parts = []
    for start in range(0, 2**m, chunk):
        codes = np.arange(start, min(start + chunk, 2**m))
        S = ((codes[:, None] >> np.arange(m)) & 1).astype(np.float64)  # (chunk, m) binary states
        if n_hidden <= n_visible:
            # c.h + sum_i softplus(b_i + (W^T h)_i)
            parts.append(S @ c + softplus(S @ W + b).sum(axis=1))
        else:
            parts.append(-free_energy(S, W, b, c))
    return float(logsumexp(np.concatenate(parts)))
