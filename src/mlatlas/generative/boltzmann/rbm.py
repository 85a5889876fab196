r"""The Bernoulli restricted Boltzmann machine, trained by contrastive divergence (CD-k) or PCD.

Binary visible units v (n_features) and hidden units h (n_components), connected only
across the layers, have the energy and joint distribution

.. math::

    E(v, h) = -b^\top v - c^\top h - h^\top W v, \qquad p(v, h) = e^{-E(v, h)} / Z,

with W = ``components_`` (n_components, n_features), b = ``intercept_visible_`` and
c = ``intercept_hidden_`` (scikit-learn's names).  Given one layer the units of the
other are independent:

.. math::

    p(h_j = 1 \mid v) = \sigma(c_j + W_j v), \qquad
    p(v_i = 1 \mid h) = \sigma(b_i + (W^\top h)_i),

and the hidden layer sums out into the free energy
:math:`F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + W_j v)`, so
:math:`p(v) = e^{-F(v)} / Z`.

Learning
--------
The log-likelihood gradient is a difference of two expectations,

.. math::

    \frac{\partial \log p(v)}{\partial W} = \mathbb{E}_{p(h|v)}[h v^\top] - \mathbb{E}_{p(v,h)}[h v^\top],

the first exact (``h`` replaced by its probabilities), the second estimated from Gibbs
chains: CD-k starts them at the data and runs k steps; PCD (``persistent=True``, as
scikit-learn's ``BernoulliRBM``) keeps ``batch_size`` chains alive across updates.
Updates use momentum and L2 weight decay on W:
:math:`\Delta \leftarrow \mu \Delta + \eta (\hat g - \lambda W)`, :math:`W \leftarrow W + \Delta`.

Pseudo-likelihood (``score_samples``) is scikit-learn's: flip one random bit i of each
sample to get :math:`\tilde v`; then
:math:`\log \mathrm{PL}(v) \approx n_{features} \log \sigma(F(\tilde v) - F(v))`.  The real
log-likelihood needs log Z: :meth:`RBM.log_partition` (AIS, or exact when a layer has
at most 20 units) and :meth:`RBM.log_likelihood`.

References
----------
Hinton, "Training products of experts by minimizing contrastive divergence", Neural
Computation 14 (2002); Tieleman, "Training restricted Boltzmann machines using
approximations to the likelihood gradient", ICML 2008 (PCD); Hinton, "A practical guide
to training restricted Boltzmann machines", UTML TR 2010-003.
"""

from __future__ import annotations

import numbers
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ... import _parallel
from ...base import History, check_bool, check_option, check_random_state, check_scalar_param
from .ais import (_sigmoid, ais_log_partition, base_rate_biases, exact_log_partition,
                  free_energy, softplus)

__all__ = ["RBM", "pseudo_log_likelihood", "cd_gradient"]

#: Filters (the first rows of W) kept per snapshot with ``snapshot_every``.
SNAPSHOT_FILTERS = 16

#: Rows of the training data used for the per-epoch monitors in ``history_``.
MONITOR_ROWS = 200
#: ``history_`` holds the exact log-likelihood of every epoch up to this many hidden units.
EXACT_HISTORY_MAX_UNITS = 12


def pseudo_log_likelihood(V: np.ndarray, W: np.ndarray, b: np.ndarray, c: np.ndarray,
                          flip: np.ndarray) -> np.ndarray:
    """scikit-learn's pseudo-likelihood of each row of V with the bit ``flip[n]`` of row n flipped.

    log PL(v) ~ n_features * log sigmoid(F(v~) - F(v)), v~ = v with one bit flipped.
    """
    V_flip = V.copy()
    rows = np.arange(V.shape[0])
    V_flip[rows, flip] = 1.0 - V_flip[rows, flip]
    # n_features * log sigmoid(F(v~) - F(v)) = -n_features * softplus(F(v) - F(v~))
    return -V.shape[1] * softplus(free_energy(V, W, b, c) - free_energy(V_flip, W, b, c))


def cd_gradient(V: np.ndarray, W: np.ndarray, b: np.ndarray, c: np.ndarray, V_neg: np.ndarray):
    """The likelihood gradient's estimate from data rows V and negative-phase rows V_neg.

    dW = <p(h|v) v^T>_data - <p(h|v) v^T>_chains, db = <v>_data - <v>_chains,
    dc = <p(h|v)>_data - <p(h|v)>_chains.  Returns ``(dW, db, dc)``.
    """
    H_pos = _sigmoid(V @ W.T + c)  # (B, n_hidden)
    H_neg = _sigmoid(V_neg @ W.T + c)
    dW = H_pos.T @ V / len(V) - H_neg.T @ V_neg / len(V_neg)
    db = V.mean(axis=0) - V_neg.mean(axis=0)
    dc = H_pos.mean(axis=0) - H_neg.mean(axis=0)
    return dW, db, dc


class RBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Bernoulli-Bernoulli restricted Boltzmann machine with CD-k or persistent CD.

    Parameters
    ----------
    n_components : int, default=256
        Hidden units.
    learning_rate : float, default=0.05
        Step size eta of the (averaged over the batch) gradient.
    batch_size : int, default=10
        Samples per update; also the number of persistent chains.
    n_iter : int, default=300
        Epochs.
    k : int, default=1
        Gibbs steps per update of the negative phase.
    persistent : bool, default=True
        Persistent chains (PCD, as scikit-learn) rather than chains restarted at the data (CD-k).
    momentum : float in [0, 1), default=0.5
    weight_decay : float, default=1e-3
        L2 penalty lambda on W.
    learning_rate_schedule : {"constant", "linear"}, default="linear"
        "linear": eta_t = eta (1 - t / n_iter) in epoch t = 0..n_iter-1, which lets
        the persistent chains settle as the steps shrink.
    init_visible_bias : {"data", "zero"}, default="data"
        "data": the log-odds of the smoothed training-pixel means (Hinton's guide);
        "zero": zeros, as scikit-learn.
    random_state : None, int or Generator
    verbose : bool, default=False
        A tqdm progress bar over the epochs.
    snapshot_every : int or None, default=None
        Keep a copy of the first :data:`SNAPSHOT_FILTERS` filters (rows of W, as float32)
        before training and after every ``snapshot_every`` epochs (and the last), to show
        how the filters form; None keeps none.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
    h_samples_ : ndarray of shape (batch_size, n_components)
        The persistent chains' hidden states.
    base_rate_ : ndarray of shape (n_features,)
        Log-odds of the smoothed training-pixel means (AIS's base-rate model).
    history_ : History
        One dict per epoch: ``epoch``, ``reconstruction_error`` (mean squared error of
        one mean-field reconstruction), ``pseudo_likelihood`` (mean over up to 200
        training rows), ``log_likelihood`` (exact, when n_components <= 12; else NaN)
        and ``seconds`` (training time of the epoch, monitors excluded).
    n_iter_ : int
    n_features_in_ : int
    filter_snapshots_ : ndarray of shape (n_snapshots, min(n_components, 16), n_features), float32
        With ``snapshot_every``: the filters at the epochs in ``snapshot_epochs_`` (0 is the
        initial weights).
    snapshot_epochs_ : ndarray of shape (n_snapshots,)

    Examples
    --------
    >>> X = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]] * 10)
    >>> rbm = RBM(n_components=2, n_iter=5, random_state=0).fit(X)
    >>> rbm.components_.shape, rbm.transform(X).shape
    ((2, 3), (40, 2))
    """

    def __init__(self, n_components: int = 256, learning_rate: float = 0.05, batch_size: int = 10,
                 n_iter: int = 300, k: int = 1, persistent: bool = True, momentum: float = 0.5,
                 weight_decay: float = 1e-3, learning_rate_schedule: str = "linear",
                 init_visible_bias: str = "data", random_state: Any = None, verbose: bool = False,
                 snapshot_every: int | None = None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.learning_rate_schedule = learning_rate_schedule
        self.init_visible_bias = init_visible_bias
        self.random_state = random_state
        self.verbose = verbose
        self.snapshot_every = snapshot_every

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_scalar_param(self.n_components, "n_components", kind=numbers.Integral, low=1)
        check_scalar_param(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        check_scalar_param(self.batch_size, "batch_size", kind=numbers.Integral, low=1)
        check_scalar_param(self.n_iter, "n_iter", kind=numbers.Integral, low=1)
        check_scalar_param(self.k, "k", kind=numbers.Integral, low=1)
        check_bool(self.persistent, "persistent")
        check_scalar_param(self.momentum, "momentum", low=0, high=1, high_inclusive=False)
        check_scalar_param(self.weight_decay, "weight_decay", low=0)
        check_option(self.learning_rate_schedule, "learning_rate_schedule", ("constant", "linear"))
        check_option(self.init_visible_bias, "init_visible_bias", ("data", "zero"))
        check_bool(self.verbose, "verbose")
        if self.snapshot_every is not None:
            check_scalar_param(self.snapshot_every, "snapshot_every", kind=numbers.Integral, low=1)

    def _validate(self, X: Any, reset: bool, binary: bool = False) -> np.ndarray:
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        if binary and X.size and not np.all((X == 0) | (X == 1)):
            raise ValueError("X must be binary (0 or 1 in every entry) for a likelihood; threshold it first.")
        return X

    def binary_pixels(self) -> bool:
        """True: the model has a Bernoulli likelihood on binary pixels."""
        return True

    # ------------------------------------------------------------------ conditionals
    def _mean_hiddens(self, V: np.ndarray) -> np.ndarray:
        # p(h_j = 1 | v) = sigmoid(c_j + W_j v)
        A = V @ self.components_.T  # (n, n_hidden)
        A += self.intercept_hidden_
        return _sigmoid(A, out=A)

    def _mean_visibles(self, H: np.ndarray) -> np.ndarray:
        # p(v_i = 1 | h) = sigmoid(b_i + (W^T h)_i)
        A = H @ self.components_  # (n, n_visible)
        A += self.intercept_visible_
        return _sigmoid(A, out=A)

    @staticmethod
    def _bernoulli(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(p.shape) < p).astype(np.float64)

    # ------------------------------------------------------------------ training
    def _initialize(self, X: np.ndarray, rng: np.random.Generator) -> None:
        n_features = X.shape[1]
        # small random weights, N(0, 0.01^2), as Hinton's guide (and scikit-learn) start
        self.components_ = rng.normal(0.0, 0.01, (int(self.n_components), n_features))
        self.intercept_hidden_ = np.zeros(int(self.n_components))
        self.base_rate_ = base_rate_biases(X)
        self.intercept_visible_ = self.base_rate_.copy() if self.init_visible_bias == "data" \
            else np.zeros(n_features)
        self.h_samples_ = np.zeros((int(self.batch_size), int(self.n_components)))
        self._velocity = [np.zeros_like(self.components_), np.zeros_like(self.intercept_visible_),
                          np.zeros_like(self.intercept_hidden_)]
        self.history_ = History()
        self.n_iter_ = 0
        self._rng = rng
        for stale in ("filter_snapshots_", "snapshot_epochs_"):  # a previous fit's
            self.__dict__.pop(stale, None)

    def _negative_phase(self, H_pos: np.ndarray, rng: np.random.Generator):
        """k Gibbs steps from the persistent chains (PCD) or from the data's hidden samples (CD-k)."""
        H = self.h_samples_ if self.persistent else self._bernoulli(H_pos, rng)
        for _ in range(int(self.k)):
            V_neg = self._bernoulli(self._mean_visibles(H), rng)  # v ~ p(v | h)
            H_neg = self._mean_hiddens(V_neg)  # p(h | v)
            H = self._bernoulli(H_neg, rng)
        if self.persistent:
            self.h_samples_ = H
        return V_neg, H_neg

    def _update(self, V: np.ndarray, rng: np.random.Generator) -> None:
        """One gradient step on the batch V (positive phase, negative phase, momentum update)."""
        W = self.components_
        H_pos = self._mean_hiddens(V)  # (B, n_hidden)
        V_neg, H_neg = self._negative_phase(H_pos, rng)
        # g_W = <p(h|v) v^T>_data - <p(h|v) v^T>_model, averaged over each side's rows
        grad_W = H_pos.T @ V
        grad_W *= 1.0 / len(V)
        grad_W -= (H_neg.T @ V_neg) * (1.0 / len(V_neg))
        grad_b = V.mean(axis=0) - V_neg.mean(axis=0)
        grad_c = H_pos.mean(axis=0) - H_neg.mean(axis=0)
        lr, mu, decay = self._lr, float(self.momentum), float(self.weight_decay)
        dW, db, dc = self._velocity
        # Delta <- mu Delta + eta (g - lambda W);  W <- W + Delta  (no decay on the biases)
        if decay:
            grad_W -= decay * W
        dW *= mu
        dW += lr * grad_W
        db *= mu
        db += lr * grad_b
        dc *= mu
        dc += lr * grad_c
        W += dW
        self.intercept_visible_ += db
        self.intercept_hidden_ += dc

    def _epoch(self, X: np.ndarray, rng: np.random.Generator) -> None:
        n = X.shape[0]
        batch = min(int(self.batch_size), n)
        order = rng.permutation(n)
        X = X[order]
        for start in range(0, n, batch):
            self._update(X[start:start + batch], rng)

    def _monitor(self, X: np.ndarray, rng: np.random.Generator, seconds: float) -> None:
        rows = X[:MONITOR_ROWS]
        # one mean-field reconstruction: v_hat = p(v | h), h ~ p(h | v)
        rebuilt = self._mean_visibles(self._bernoulli(self._mean_hiddens(rows), rng))
        flip = rng.integers(0, X.shape[1], rows.shape[0])
        pl = pseudo_log_likelihood(rows, self.components_, self.intercept_visible_, self.intercept_hidden_, flip)
        exact = np.nan
        if int(self.n_components) <= EXACT_HISTORY_MAX_UNITS:
            exact = float(np.mean(self.log_likelihood(rows, method="exact", check=False)))
        self.history_.record(epoch=self.n_iter_, reconstruction_error=float(np.mean((rows - rebuilt) ** 2)),
                             pseudo_likelihood=float(pl.mean()), log_likelihood=exact, seconds=seconds)

    def fit(self, X: Any, y: Any = None) -> "RBM":
        """Train on X (n_samples, n_features) for ``n_iter`` epochs.

        The values are read as the probabilities of the visible units being on: bits
        or numbers in [0, 1].  Other real numbers are accepted, as scikit-learn's
        ``BernoulliRBM`` accepts them, but are no probabilities (the likelihood
        methods take binary data only).
        """
        from tqdm.auto import tqdm

        self._check_params()
        X = self._validate(X, reset=True)
        rng = check_random_state(self.random_state)
        self._initialize(X, rng)
        n_iter = int(self.n_iter)
        snapshots = None
        if self.snapshot_every is not None:  # the filters before training, then every few epochs
            snapshots = [(0, self.components_[:SNAPSHOT_FILTERS].astype(np.float32))]
        with _parallel.limit_blas(1, when=X.shape[1] * int(self.n_components) * int(self.batch_size) < 1e7):
            for _ in tqdm(range(int(self.n_iter)), desc="RBM", unit="epoch", disable=not self.verbose,
                          leave=False):
                start = time.perf_counter()
                # eta_t = eta (constant) or eta (1 - t / n_iter) (linear decay to 0 at the end)
                self._lr = float(self.learning_rate) * (
                    1.0 if self.learning_rate_schedule == "constant" else 1.0 - self.n_iter_ / n_iter)
                self._epoch(X, rng)
                self.n_iter_ += 1
                self._monitor(X, rng, time.perf_counter() - start)
                if snapshots is not None and (self.n_iter_ % int(self.snapshot_every) == 0 or self.n_iter_ == n_iter):
                    snapshots.append((self.n_iter_, self.components_[:SNAPSHOT_FILTERS].astype(np.float32)))
        if snapshots is not None:
            self.snapshot_epochs_ = np.array([epoch for epoch, _ in snapshots])
            self.filter_snapshots_ = np.stack([filters for _, filters in snapshots])
        return self

    def partial_fit(self, X: Any, y: Any = None) -> "RBM":
        """One gradient step on X as one batch (scikit-learn's meaning); starts the model if needed."""
        self._check_params()
        first = not hasattr(self, "components_")
        X = self._validate(X, reset=first)
        if first:
            self._initialize(X, check_random_state(self.random_state))
        elif "_rng" not in self.__dict__ or "_velocity" not in self.__dict__:
            self._rng = check_random_state(self.random_state)
            self._velocity = [np.zeros_like(self.components_), np.zeros_like(self.intercept_visible_),
                              np.zeros_like(self.intercept_hidden_)]
        if self.h_samples_.shape[0] != int(self.batch_size):
            self.h_samples_ = np.zeros((int(self.batch_size), self.components_.shape[0]))
        self._lr = float(self.learning_rate)
        self._update(X, self._rng)
        return self

    # ------------------------------------------------------------------ inference
    def transform(self, X: Any) -> np.ndarray:
        """Hidden probabilities p(h = 1 | v), shape (n_samples, n_components)."""
        check_is_fitted(self, "components_")
        return self._mean_hiddens(self._validate(X, reset=False))

    def free_energy(self, X: Any) -> np.ndarray:
        """F(v) = -b.v - sum_j softplus(c_j + W_j v) per sample, shape (n_samples,)."""
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False)
        return free_energy(X, self.components_, self.intercept_visible_, self.intercept_hidden_)

    def gibbs(self, v: Any, random_state: Any = None) -> np.ndarray:
        """One Gibbs step v -> h ~ p(h|v) -> v' ~ p(v|h); returns v' (binary), shape of v."""
        check_is_fitted(self, "components_")
        V = self._validate(v, reset=False)
        rng = self.__dict__.get("_rng") if random_state is None else check_random_state(random_state)
        rng = rng if rng is not None else check_random_state(None)
        return self._bernoulli(self._mean_visibles(self._bernoulli(self._mean_hiddens(V), rng)), rng)

    def gibbs_chain(self, n: int, n_steps: int = 1000, *, record_every: int = 0, init: Any = None,
                    random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Run ``n`` Gibbs chains for ``n_steps`` steps from the base-rate pixels (or ``init``).

        Returns
        -------
        means : ndarray of shape (n, n_features)
            p(v | h) at the last step (images in [0, 1]).
        frames : ndarray of shape (n_frames, n, n_features)
            p(v | h) every ``record_every`` steps (empty when 0).
        """
        check_is_fitted(self, "components_")
        check_scalar_param(n, "n", kind=numbers.Integral, low=1)
        check_scalar_param(n_steps, "n_steps", kind=numbers.Integral, low=1)
        rng = check_random_state(random_state)
        if init is None:
            V = self._bernoulli(np.broadcast_to(_sigmoid(self.base_rate_), (n, self.n_features_in_)), rng)
        else:
            V = self._validate(init, reset=False)
        frames = []
        means = V
        for step in range(1, n_steps + 1):
            means = self._mean_visibles(self._bernoulli(self._mean_hiddens(V), rng))
            V = self._bernoulli(means, rng)
            if record_every and step % record_every == 0:
                frames.append(means)
        empty = np.zeros((0, n, self.n_features_in_))
        return means, (np.stack(frames) if frames else empty)

    def sample(self, n: int, random_state: Any = None, n_steps: int = 1000) -> np.ndarray:
        """``n`` samples (n, n_features) in [0, 1]: p(v | h) after ``n_steps`` Gibbs steps."""
        return self.gibbs_chain(n, n_steps, random_state=random_state)[0]

    def score_samples(self, X: Any) -> np.ndarray:
        """scikit-learn's pseudo-likelihood of each sample (one random bit flipped per sample).

        The flipped bits are drawn as scikit-learn draws them from an int (or
        ``RandomState``) ``random_state`` (a new ``RandomState`` of that seed at every
        call), so the same weights and the same ``random_state`` give scikit-learn's
        ``BernoulliRBM.score_samples``; with ``random_state=None`` they come from a fresh
        local generator.
        """
        from sklearn.utils import check_random_state as sklearn_random_state

        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False)
        if self.random_state is None or isinstance(self.random_state, np.random.Generator):
            # no seed: fresh local draws (NumPy's global generator is never used)
            flip = check_random_state(self.random_state).integers(0, X.shape[1], X.shape[0])
        else:
            flip = sklearn_random_state(self.random_state).randint(0, X.shape[1], X.shape[0])
        return pseudo_log_likelihood(X, self.components_, self.intercept_visible_, self.intercept_hidden_, flip)

    def log_partition(self, method: str = "ais", n_runs: int = 100, n_betas: int = 10000,
                      random_state: Any = None, progress: bool = False) -> tuple[float, float]:
        """log Z and its standard error: ``"ais"`` (from the base-rate model) or ``"exact"`` (error 0).

        ``"exact"`` enumerates the smaller layer and needs one of at most 20 units.
        """
        check_is_fitted(self, "components_")
        check_option(method, "method", ("ais", "exact"))
        W, b, c = self.components_, self.intercept_visible_, self.intercept_hidden_
        if method == "exact":
            return exact_log_partition(W, b, c), 0.0
        return ais_log_partition(W, b, c, self.base_rate_, n_runs=n_runs, n_betas=n_betas,
                                 random_state=random_state, progress=progress)

    def log_likelihood(self, X: Any, method: str = "ais", log_Z: float | None = None, check: bool = True,
                       **ais_options: Any) -> np.ndarray:
        """log p(v) = -F(v) - log Z per sample; log Z from ``log_Z`` or :meth:`log_partition`."""
        check_is_fitted(self, "components_")
        X = self._validate(X, reset=False, binary=True) if check else X
        if log_Z is None:
            log_Z = self.log_partition(method, **ais_options)[0]
        return -free_energy(X, self.components_, self.intercept_visible_, self.intercept_hidden_) - log_Z

    def record_arrays(self, X_test: Any = None, y_test: Any = None, random_state: Any = 0) -> dict:
        """What a run record keeps for the figures: ``filters`` (W), ``chain.frames`` (p(v | h) of 8
        Gibbs chains every ``chain.every`` = 20 steps, 200 steps), 32 ``samples``, and with
        ``snapshot_every`` the filters over training (``snapshots.filters``, ``snapshots.epochs``)."""
        check_is_fitted(self, "components_")
        every = 20
        _, frames = self.gibbs_chain(8, 10 * every, record_every=every, random_state=random_state)
        arrays = {"filters": self.components_.copy(), "chain.frames": frames, "chain.every": np.array(every),
                  "samples": self.sample(32, random_state=random_state)}
        if "filter_snapshots_" in self.__dict__:  # fitted with snapshot_every
            arrays.update({"snapshots.filters": self.filter_snapshots_, "snapshots.epochs": self.snapshot_epochs_})
        return arrays

    @property
    def _n_features_out(self) -> int:
        return self.components_.shape[0]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_rng", None)
        return state
