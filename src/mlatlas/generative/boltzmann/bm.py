r"""The (fully connected) Boltzmann machine: binary units with symmetric weights between every pair.

The state :math:`s = (v, h)` joins the visible units v (the data) and the hidden
units h.  With a symmetric weight matrix W (zero diagonal) and biases b,

.. math::

    E(s) = -\tfrac12 s^\top W s - b^\top s, \qquad p(s) = e^{-E(s)} / Z, \quad Z = \sum_s e^{-E(s)},

and one unit given all the others is a logistic unit,
:math:`p(s_i = 1 \mid s_{-i}) = \sigma(b_i + \sum_j W_{ij} s_j)`, which is the Gibbs
sampler: update the units one after another from these conditionals.

Learning (Ackley, Hinton & Sejnowski 1985)
------------------------------------------
The mean log-likelihood of the data :math:`\frac1n \sum_n \log p(v_n)` with
:math:`p(v) = \sum_h p(v, h)` has the gradient

.. math::

    \frac{\partial}{\partial W_{ij}} = \langle s_i s_j \rangle_{\text{clamped}} - \langle s_i s_j \rangle_{\text{free}},
    \qquad
    \frac{\partial}{\partial b_i} = \langle s_i \rangle_{\text{clamped}} - \langle s_i \rangle_{\text{free}},

(for :math:`i \neq j`, W_ij and W_ji moved together): the clamped phase averages over
the data with the hidden units drawn from :math:`p(h \mid v)`, the free phase over the
model's own distribution.  With ``method="gibbs"`` both come from Gibbs chains: one
persistent hidden state per training sample for the clamped phase (a few sweeps over
the hidden units with v fixed) and ``n_chains`` persistent free chains.  With at most
20 units (:data:`EXACT_MAX_UNITS`) everything is exact by enumerating the :math:`2^N`
states (``method="exact"``, :meth:`BoltzmannMachine.exact_gradient`,
:meth:`BoltzmannMachine.log_likelihood`).

References
----------
Ackley, Hinton & Sejnowski, "A learning algorithm for Boltzmann machines", Cognitive
Science 9 (1985); Hinton & Sejnowski, "Learning and relearning in Boltzmann machines" (1986).
"""

from __future__ import annotations

import numbers
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from ...base import History, check_bool, check_option, check_random_state, check_scalar_param
from .ais import _sigmoid, base_rate_biases

__all__ = ["BoltzmannMachine", "all_states", "EXACT_MAX_UNITS"]

#: Exact log-likelihoods and gradients enumerate 2^N states; N is at most this.
EXACT_MAX_UNITS = 20


def all_states(n_units: int) -> np.ndarray:
    """Every binary vector of ``n_units`` bits, shape (2^n_units, n_units); row k holds k's bits.

    Examples
    --------
    >>> all_states(2).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    """
    codes = np.arange(2**n_units)
    return ((codes[:, None] >> np.arange(n_units)) & 1).astype(np.float64)


def state_index(S: np.ndarray) -> np.ndarray:
    """The row of :func:`all_states` that each binary row of S is: sum_i s_i 2^i."""
    return (np.asarray(S) @ (2 ** np.arange(S.shape[1]))).astype(np.int64)


def neg_energy(S: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """-E(s) = 1/2 s^T W s + b.s for every row of S: shape (n,)."""
    # -E(s) = 1/2 s^T W s + b^T s
    return 0.5 * np.einsum("ni,ij,nj->n", S, W, S) + S @ b


def gibbs_sweep(S: np.ndarray, W: np.ndarray, b: np.ndarray, units: Any, rng: np.random.Generator) -> None:
    """One systematic sweep, in place, over ``units`` of every chain (row) of S."""
    for i in units:
        # p(s_i = 1 | s_-i) = sigmoid(b_i + sum_j W_ij s_j)   (W_ii = 0)
        p = _sigmoid(b[i] + S @ W[:, i])
        S[:, i] = rng.random(S.shape[0]) < p


class BoltzmannMachine(BaseEstimator):
    """A Boltzmann machine with visible-visible, visible-hidden and hidden-hidden weights.

    Parameters
    ----------
    n_hidden : int, default=8
        Hidden units (0 is a fully visible machine).
    learning_rate : float, default=0.05
    batch_size : int, default=20
    n_iter : int, default=20
        Epochs.
    method : {"gibbs", "exact"}, default="gibbs"
        Statistics from Gibbs chains, or exact by enumeration (at most 20 units).
    n_chains : int, default=100
        Persistent chains of the free phase.
    clamped_sweeps : int, default=3
        Gibbs sweeps over the hidden units (visible clamped) per batch.
    free_sweeps : int, default=1
        Gibbs sweeps over all units of the free chains per update.
    momentum : float in [0, 1), default=0.5
    weight_decay : float, default=1e-4
    random_state : None, int or Generator
    verbose : bool, default=False

    Attributes
    ----------
    weights_ : ndarray of shape (n_units, n_units)
        Symmetric, zero diagonal; visible units first.
    intercepts_ : ndarray of shape (n_units,)
    n_units_ : int
        n_features_in_ + n_hidden.
    history_ : History
        Per epoch: ``epoch``, ``log_likelihood`` (exact mean over the training data when
        n_units <= 20, else NaN), ``correlation_gap`` (max |<s_i s_j>_clamped -
        <s_i s_j>_free| of the last update), ``seconds``.
    n_iter_, n_features_in_ : int

    Examples
    --------
    >>> X = np.array([[1, 1, 0], [0, 0, 1], [1, 1, 0], [0, 0, 1]] * 5)
    >>> bm = BoltzmannMachine(n_hidden=1, method="exact", n_iter=50, learning_rate=0.5, random_state=0).fit(X)
    >>> bool(bm.log_likelihood(X).mean() > -3 * np.log(2))   # better than uniform on 3 bits
    True
    """

    def __init__(self, n_hidden: int = 8, learning_rate: float = 0.05, batch_size: int = 20, n_iter: int = 20,
                 method: str = "gibbs", n_chains: int = 100, clamped_sweeps: int = 3, free_sweeps: int = 1,
                 momentum: float = 0.5, weight_decay: float = 1e-4, random_state: Any = None,
                 verbose: bool = False):
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.n_chains = n_chains
        self.clamped_sweeps = clamped_sweeps
        self.free_sweeps = free_sweeps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.verbose = verbose

    def binary_pixels(self) -> bool:
        """True: the machine models binary pixels."""
        return True

    def _check_params(self) -> None:
        check_scalar_param(self.n_hidden, "n_hidden", kind=numbers.Integral, low=0)
        check_scalar_param(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        check_scalar_param(self.batch_size, "batch_size", kind=numbers.Integral, low=1)
        check_scalar_param(self.n_iter, "n_iter", kind=numbers.Integral, low=1)
        check_option(self.method, "method", ("gibbs", "exact"))
        check_scalar_param(self.n_chains, "n_chains", kind=numbers.Integral, low=1)
        check_scalar_param(self.clamped_sweeps, "clamped_sweeps", kind=numbers.Integral, low=1)
        check_scalar_param(self.free_sweeps, "free_sweeps", kind=numbers.Integral, low=1)
        check_scalar_param(self.momentum, "momentum", low=0, high=1, high_inclusive=False)
        check_scalar_param(self.weight_decay, "weight_decay", low=0)
        check_bool(self.verbose, "verbose")

    def _validate(self, X: Any, reset: bool) -> np.ndarray:
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        if X.size and not np.all((X == 0) | (X == 1)):
            raise ValueError("X must be binary (0 or 1 in every entry); threshold the data first.")
        return X

    def _check_exact(self, what: str) -> None:
        if self.n_units_ > EXACT_MAX_UNITS:
            raise ValueError(f"{what} enumerates 2^{self.n_units_} states; it needs at most {EXACT_MAX_UNITS} "
                             f"units (got {self.n_features_in_} visible + {self.n_units_ - self.n_features_in_} "
                             "hidden).")

    # ------------------------------------------------------------------ exact (small machines)
    def _exact_tables(self):
        """All states, log Z and, for the hidden part, its states."""
        from scipy.special import logsumexp

        S = all_states(self.n_units_)
        log_Z = float(logsumexp(neg_energy(S, self.weights_, self.intercepts_)))
        return S, log_Z

    def _log_joint_by_hidden(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """-E(v_n, h) for every sample n and hidden state h: (n, 2^n_hidden), and the hidden states."""
        p = self.n_features_in_
        H = all_states(self.n_units_ - p)  # (2^H, H)
        W, b = self.weights_, self.intercepts_
        W_vv, W_hv, W_hh = W[:p, :p], W[p:, :p], W[p:, p:]
        # -E(v, h) = 1/2 v^T W_vv v + b_v.v + h^T W_hv v + 1/2 h^T W_hh h + b_h.h
        visible = 0.5 * np.einsum("ni,ij,nj->n", V, W_vv, V) + V @ b[:p]  # (n,)
        hidden = 0.5 * np.einsum("ki,ij,kj->k", H, W_hh, H) + H @ b[p:]  # (2^H,)
        cross = V @ W_hv.T @ H.T  # (n, 2^H)
        return visible[:, None] + hidden[None, :] + cross, H

    def log_likelihood(self, X: Any) -> np.ndarray:
        """Exact log p(v) = log sum_h e^{-E(v, h)} - log Z per sample (at most 20 units)."""
        from scipy.special import logsumexp

        check_is_fitted(self, "weights_")
        self._check_exact("the exact log-likelihood")
        V = self._validate(X, reset=False)
        _, log_Z = self._exact_tables()
        joint, _ = self._log_joint_by_hidden(V)
        return logsumexp(joint, axis=1) - log_Z

    def exact_distribution(self) -> np.ndarray:
        """p(s) of every state s of :func:`all_states` (n_units bits), shape (2^n_units,)."""
        check_is_fitted(self, "weights_")
        self._check_exact("the exact distribution")
        S, log_Z = self._exact_tables()
        return np.exp(neg_energy(S, self.weights_, self.intercepts_) - log_Z)

    def _exact_statistics(self, V: np.ndarray):
        """<s s^T> and <s> clamped on V and free, exactly: ((C_data, m_data), (C_model, m_model))."""
        from scipy.special import softmax

        joint, H = self._log_joint_by_hidden(V)
        posterior = softmax(joint, axis=1)  # p(h | v_n), (n, 2^H)
        Eh = posterior @ H  # E[h | v_n], (n, H)
        n = V.shape[0]
        # clamped blocks: <v v^T>, <h v^T> = mean_n E[h|v_n] v_n^T, <h h^T> = H^T diag(mean_n p(h|v_n)) H
        C_vv = V.T @ V / n
        C_hv = Eh.T @ V / n
        C_hh = H.T @ (posterior.mean(axis=0)[:, None] * H)
        C_data = np.block([[C_vv, C_hv.T], [C_hv, C_hh]])
        m_data = np.concatenate([V.mean(axis=0), Eh.mean(axis=0)])
        p_model = self.exact_distribution()
        S = all_states(self.n_units_)
        # <s s^T>_model = S^T diag(p) S,  <s>_model = S^T p
        C_model = S.T @ (p_model[:, None] * S)
        m_model = S.T @ p_model
        return (C_data, m_data), (C_model, m_model)

    def exact_gradient(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """The exact gradient of the mean log-likelihood: (dW (zero diagonal), db).

        dW_ij = <s_i s_j>_clamped - <s_i s_j>_free (W_ij and W_ji moved together),
        db_i = <s_i>_clamped - <s_i>_free.
        """
        check_is_fitted(self, "weights_")
        self._check_exact("the exact gradient")
        V = self._validate(X, reset=False)
        (C_data, m_data), (C_model, m_model) = self._exact_statistics(V)
        dW = C_data - C_model
        np.fill_diagonal(dW, 0.0)
        return dW, m_data - m_model

    # ------------------------------------------------------------------ Gibbs statistics
    def _gibbs_statistics(self, V: np.ndarray, rows: np.ndarray, rng: np.random.Generator):
        """Clamped and free statistics from the persistent chains (updating them)."""
        p, N = self.n_features_in_, self.n_units_
        W, b = self.weights_, self.intercepts_
        S = np.hstack([V, self._hidden_states[rows]])  # clamped chains: v fixed, h sampled
        hidden_units = range(p, N)
        for _ in range(int(self.clamped_sweeps)):
            gibbs_sweep(S, W, b, hidden_units, rng)
        self._hidden_states[rows] = S[:, p:]
        F = self._free_chains
        for _ in range(int(self.free_sweeps)):
            gibbs_sweep(F, W, b, range(N), rng)
        C_data, m_data = S.T @ S / len(S), S.mean(axis=0)
        C_model, m_model = F.T @ F / len(F), F.mean(axis=0)
        return (C_data, m_data), (C_model, m_model)

    # ------------------------------------------------------------------ training
    def fit(self, X: Any, y: Any = None) -> "BoltzmannMachine":
        """Learn from binary X (n_samples, n_features) for ``n_iter`` epochs."""
        from tqdm.auto import tqdm

        self._check_params()
        X = self._validate(X, reset=True)
        rng = check_random_state(self.random_state)
        n, p = X.shape
        N = p + int(self.n_hidden)
        self.n_units_ = N
        if self.method == "exact":
            self._check_exact("method='exact'")
        # start: small symmetric weights, visible biases at the pixel log-odds
        W = rng.normal(0.0, 0.01, (N, N))
        self.weights_ = np.triu(W, 1) + np.triu(W, 1).T
        self.intercepts_ = np.concatenate([base_rate_biases(X), np.zeros(int(self.n_hidden))])
        self._hidden_states = (rng.random((n, int(self.n_hidden))) < 0.5).astype(np.float64)
        self._free_chains = (rng.random((int(self.n_chains), N)) < 0.5).astype(np.float64)
        velocity_W, velocity_b = np.zeros((N, N)), np.zeros(N)
        self.history_ = History()
        self.n_iter_ = 0
        lr, mu, decay = float(self.learning_rate), float(self.momentum), float(self.weight_decay)
        batch = min(int(self.batch_size), n)
        gap = np.nan
        for _ in tqdm(range(int(self.n_iter)), desc="BoltzmannMachine", unit="epoch", disable=not self.verbose,
                      leave=False):
            start = time.perf_counter()
            order = rng.permutation(n)
            for first in range(0, n, batch):
                rows = order[first:first + batch]
                if self.method == "exact":
                    (C_data, m_data), (C_model, m_model) = self._exact_statistics(X[rows])
                else:
                    (C_data, m_data), (C_model, m_model) = self._gibbs_statistics(X[rows], rows, rng)
                # dW = <s s^T>_clamped - <s s^T>_free - lambda W;  db = <s>_clamped - <s>_free
                grad_W = C_data - C_model - decay * self.weights_
                np.fill_diagonal(grad_W, 0.0)
                gap = float(np.abs(C_data - C_model).max())
                # Delta <- mu Delta + eta g;  theta <- theta + Delta
                velocity_W = mu * velocity_W + lr * grad_W
                velocity_b = mu * velocity_b + lr * (m_data - m_model)
                self.weights_ = self.weights_ + velocity_W
                self.intercepts_ = self.intercepts_ + velocity_b
            seconds = time.perf_counter() - start
            self.n_iter_ += 1
            ll = float(np.mean(self.log_likelihood(X))) if N <= EXACT_MAX_UNITS and int(self.n_hidden) <= 12 \
                else np.nan
            self.history_.record(epoch=self.n_iter_, log_likelihood=ll, correlation_gap=gap, seconds=seconds)
        return self

    # ------------------------------------------------------------------ sampling
    def gibbs_samples(self, n_chains: int, n_sweeps: int, burn_in: int = 100, random_state: Any = None,
                      init: Any = None) -> np.ndarray:
        """States of every unit from ``n_chains`` Gibbs chains, one per sweep after ``burn_in``.

        Returns an array of shape (n_sweeps, n_chains, n_units) in {0, 1}.
        """
        check_is_fitted(self, "weights_")
        check_scalar_param(n_chains, "n_chains", kind=numbers.Integral, low=1)
        check_scalar_param(n_sweeps, "n_sweeps", kind=numbers.Integral, low=1)
        check_scalar_param(burn_in, "burn_in", kind=numbers.Integral, low=0)
        rng = check_random_state(random_state)
        N = self.n_units_
        S = (rng.random((n_chains, N)) < 0.5).astype(np.float64) if init is None \
            else np.array(init, dtype=np.float64)
        out = np.empty((n_sweeps, n_chains, N))
        for sweep in range(burn_in + n_sweeps):
            gibbs_sweep(S, self.weights_, self.intercepts_, range(N), rng)
            if sweep >= burn_in:
                out[sweep - burn_in] = S
        return out

    def sample(self, n: int, random_state: Any = None, n_sweeps: int = 200) -> np.ndarray:
        """``n`` visible vectors (n, n_features) in {0, 1}: the last state of n Gibbs chains."""
        check_scalar_param(n, "n", kind=numbers.Integral, low=1)
        check_scalar_param(n_sweeps, "n_sweeps", kind=numbers.Integral, low=1)
        states = self.gibbs_samples(n, 1, burn_in=n_sweeps - 1, random_state=random_state)
        return states[0, :, :self.n_features_in_]

    def __getstate__(self):
        state = super().__getstate__()
        for key in ("_hidden_states", "_free_chains"):
            state.pop(key, None)
        return state
