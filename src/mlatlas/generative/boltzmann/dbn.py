r"""Deep belief networks: RBMs stacked greedily, a likelihood lower bound, and a pretrained classifier.

A DBN with layers :math:`v = h_0, h_1, \dots, h_L` is a directed sigmoid belief net
from :math:`h_{L-1}` down to v, topped by an RBM over :math:`(h_{L-1}, h_L)`:

.. math::

    p(v, h_1, \dots, h_{L-1}) = \Big(\prod_{l=1}^{L-1} p(h_{l-1} \mid h_l)\Big)\, p_{\text{top}}(h_{L-1}),
    \qquad p(h_{l-1, i} = 1 \mid h_l) = \sigma(b_{l,i} + (W_l^\top h_l)_i).

Greedy layer-wise training (Hinton, Osindero & Teh 2006): fit RBM 1 on the data, then
RBM l on the hidden probabilities :math:`q(h_{l-1} \mid h_{l-2})` of the layer below;
each new layer raises a variational lower bound on log p(v).

Sampling runs Gibbs in the top RBM, then one down pass through the directed layers.

Likelihood lower bound
----------------------
With the recognition distribution :math:`q(h_l \mid h_{l-1}) = \prod_j
\sigma(c_{l,j} + W_{l,j} h_{l-1})` of the up pass and K samples of
:math:`h_1, \dots, h_{L-1}` drawn from it,

.. math::

    \log p(v) \ge \mathbb{E}\Big[\log \frac1K \sum_k w_k\Big], \qquad
    \log w_k = \sum_{l=1}^{L-1} \big[\log p(h^{(k)}_{l-1} \mid h^{(k)}_l) - \log q(h^{(k)}_l \mid h^{(k)}_{l-1})\big]
               - F_{\text{top}}(h^{(k)}_{L-1}) - \log Z_{\text{top}},

(Jensen: the mean of the importance weights is unbiased for p(v)); K = 1 is the
usual variational bound, larger K tightens it.  :math:`\log Z_{\text{top}}` comes from
AIS (Salakhutdinov & Murray 2008).

The classifier (Hinton & Salakhutdinov 2006) copies the stack's weights into a
sigmoid network (``mlatlas.nn``), adds a softmax layer, and fine-tunes everything by
back-propagation of the cross-entropy.

References
----------
Hinton, Osindero & Teh, "A fast learning algorithm for deep belief nets", Neural
Computation 18 (2006); Hinton & Salakhutdinov, "Reducing the dimensionality of data
with neural networks", Science 313 (2006); Salakhutdinov & Murray, "On the
quantitative analysis of deep belief networks", ICML 2008.
"""

from __future__ import annotations

import numbers
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ... import _parallel
from ...base import History, InvalidParameterError, check_bool, check_random_state, check_scalar_param
from .ais import _sigmoid, free_energy, softplus
from .rbm import RBM

__all__ = ["DBN", "DBNClassifier"]


def _check_sizes(sizes: Any) -> tuple[int, ...]:
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise InvalidParameterError(f"hidden_layer_sizes must be a tuple of positive ints; got {sizes!r}.") from None
    if not sizes:
        raise InvalidParameterError("hidden_layer_sizes must name at least one layer; got ().")
    for size in sizes:
        check_scalar_param(size, "each of hidden_layer_sizes", kind=numbers.Integral, low=1)
    return tuple(int(s) for s in sizes)


def _check_unit_interval(X: np.ndarray) -> np.ndarray:
    if X.size and (X.min() < 0 or X.max() > 1):
        raise ValueError(f"X must hold values in [0, 1]; got values in [{X.min():g}, {X.max():g}].")
    return X


def _log_bernoulli(x: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """log prod_i sigmoid(a_i)^x_i (1 - sigmoid(a_i))^(1 - x_i) = sum_i [x_i a_i - softplus(a_i)]."""
    return (x * logits).sum(axis=-1) - softplus(logits).sum(axis=-1)


def _sigmoid_network(coefs, intercepts, dropout: float, rng):
    """Linear, Sigmoid, [Dropout,] ..., Linear whose weights are views of ``coefs`` / ``intercepts``.

    ``coefs[l]`` has shape (n_in, n_out); the Linear weight is its transpose as a view,
    so the optimizer's in-place steps update ``coefs_`` itself.
    """
    from ...nn.mlp import network_from_weights

    return network_from_weights(coefs, intercepts, "sigmoid", dropout=dropout, random_state=rng)


class DBN(TransformerMixin, BaseEstimator):
    """A deep belief network trained greedily, one :class:`RBM` per hidden layer.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 256)
    learning_rate, batch_size, n_iter, k, persistent, momentum, weight_decay, learning_rate_schedule
        Each layer's :class:`RBM` settings (the same for every layer).
    random_state : None, int or Generator
    verbose : bool, default=False

    Attributes
    ----------
    rbms_ : list of RBM
        Layer l's RBM has ``components_`` of shape (hidden_layer_sizes[l], size below).
    history_ : History
        Each layer's epochs in turn: the layer's RBM ``history_`` rows with ``layer``.
    n_features_in_ : int

    Examples
    --------
    >>> X = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(float)
    >>> dbn = DBN(hidden_layer_sizes=(4, 3), n_iter=3, random_state=0).fit(X)
    >>> dbn.transform(X).shape, dbn.sample(2, random_state=0).shape
    ((60, 3), (2, 6))
    """

    def __init__(self, hidden_layer_sizes: Any = (256, 256), learning_rate: float = 0.05, batch_size: int = 10,
                 n_iter: int = 300, k: int = 1, persistent: bool = True, momentum: float = 0.5,
                 weight_decay: float = 1e-3, learning_rate_schedule: str = "linear", random_state: Any = None,
                 verbose: bool = False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.learning_rate_schedule = learning_rate_schedule
        self.random_state = random_state
        self.verbose = verbose

    def binary_pixels(self) -> bool:
        """True: the bottom layer is a Bernoulli model of binary pixels."""
        return True

    def _rbm(self, n_components: int, seed: int) -> RBM:
        return RBM(n_components=n_components, learning_rate=self.learning_rate, batch_size=self.batch_size,
                   n_iter=self.n_iter, k=self.k, persistent=self.persistent, momentum=self.momentum,
                   weight_decay=self.weight_decay, learning_rate_schedule=self.learning_rate_schedule,
                   random_state=seed, verbose=self.verbose)

    def fit(self, X: Any, y: Any = None) -> "DBN":
        """Greedy layer-wise training on X (n_samples, n_features) in [0, 1]."""
        sizes = _check_sizes(self.hidden_layer_sizes)
        check_bool(self.verbose, "verbose")
        X = _check_unit_interval(validate_data(self, X, dtype=np.float64))
        rng = check_random_state(self.random_state)
        self.rbms_, self.history_ = [], History()
        data = X
        for layer, size in enumerate(sizes):
            rbm = self._rbm(size, int(rng.integers(2**31 - 1))).fit(data)
            self.rbms_.append(rbm)
            for row in rbm.history_:
                self.history_.record(layer=layer + 1, **row)
            # the next layer's data: q(h_l = 1 | h_{l-1}), the hidden probabilities of this one
            data = rbm.transform(data)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The up pass: top hidden probabilities, shape (n_samples, hidden_layer_sizes[-1])."""
        check_is_fitted(self, "rbms_")
        H = _check_unit_interval(validate_data(self, X, reset=False, dtype=np.float64))
        for rbm in self.rbms_:
            H = rbm._mean_hiddens(H)
        return H

    def sample(self, n: int, random_state: Any = None, n_steps: int = 1000) -> np.ndarray:
        """``n`` images (n, n_features) in [0, 1]: Gibbs in the top RBM, then the down pass.

        The top RBM's visible layer h_{L-1} is sampled after ``n_steps`` Gibbs steps;
        each layer below is drawn from p(h_{l-1} | h_l), and the image is p(v | h_1).
        """
        check_is_fitted(self, "rbms_")
        rng = check_random_state(random_state)
        top = self.rbms_[-1]
        if len(self.rbms_) == 1:
            return top.gibbs_chain(n, n_steps, random_state=rng)[0]
        means = top.gibbs_chain(n, n_steps, random_state=rng)[0]
        H = (rng.random(means.shape) < means).astype(np.float64)
        for rbm in reversed(self.rbms_[1:-1]):
            H = (rng.random((n, rbm.n_features_in_)) < rbm._mean_visibles(H)).astype(np.float64)
        return self.rbms_[0]._mean_visibles(H)

    def log_partition(self, **ais_options: Any) -> tuple[float, float]:
        """log Z of the top RBM and its standard error (:meth:`RBM.log_partition`)."""
        check_is_fitted(self, "rbms_")
        return self.rbms_[-1].log_partition(**ais_options)

    def log_likelihood_lower_bound(self, X: Any, n_samples: int = 100, log_Z: float | None = None,
                                   random_state: Any = None, **ais_options: Any) -> np.ndarray:
        """A stochastic lower bound on log p(v) per sample, from ``n_samples`` up-pass samples.

        ``log_Z`` is the top RBM's log partition function (AIS through
        :meth:`log_partition` when not given).  With one layer this is the RBM's own
        log-likelihood.
        """
        from scipy.special import logsumexp

        check_is_fitted(self, "rbms_")
        check_scalar_param(n_samples, "n_samples", kind=numbers.Integral, low=1)
        V = _check_unit_interval(validate_data(self, X, reset=False, dtype=np.float64))
        if log_Z is None:
            log_Z = self.log_partition(**ais_options)[0]
        top = self.rbms_[-1]
        if len(self.rbms_) == 1:
            return -top.free_energy(V) - log_Z
        rng = check_random_state(random_state)
        n = V.shape[0]
        below = np.repeat(V, n_samples, axis=0)  # (n K, n_features): K copies of each v
        log_w = np.zeros(n * n_samples)
        for rbm in self.rbms_[:-1]:
            W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
            up = below @ W.T + c  # logits of q(h_l | h_{l-1})
            H = (rng.random(up.shape) < _sigmoid(up)).astype(np.float64)
            # log w += log p(h_{l-1} | h_l) - log q(h_l | h_{l-1})
            log_w += _log_bernoulli(below, H @ W + b) - _log_bernoulli(H, up)
            below = H
        # log w += log p*_top(h_{L-1}) - log Z_top = -F_top(h_{L-1}) - log Z_top
        log_w += -free_energy(below, top.components_, top.intercept_visible_, top.intercept_hidden_) - log_Z
        # log (1/K) sum_k w_k per sample
        return logsumexp(log_w.reshape(n, n_samples), axis=1) - np.log(n_samples)

    def record_arrays(self, X_test: Any = None, y_test: Any = None, random_state: Any = 0) -> dict:
        """What a run record keeps for the figures: first-layer ``filters`` and 32 ``samples``."""
        check_is_fitted(self, "rbms_")
        return {"filters": self.rbms_[0].components_.copy(), "samples": self.sample(32, random_state=random_state)}

    @property
    def _n_features_out(self) -> int:
        return self.rbms_[-1].components_.shape[0]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "rbms_")
        return np.asarray([f"dbn{i}" for i in range(self._n_features_out)], dtype=object)


class DBNClassifier(ClassifierMixin, BaseEstimator):
    """A sigmoid network pretrained as a DBN, then fine-tuned by back-propagation (``mlatlas.nn``).

    The inputs are first scaled to [0, 1] by the training data's overall range,
    x' = clip((x - min) / (max - min), 0, 1) (one min and max for all features, so
    data already spanning [0, 1], as the digits divided by 16, are unchanged), and the
    pretraining RBMs read them as the probabilities of the pixels being on.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 256)
    pretrain : bool, default=True
        Start the hidden layers from a greedily trained :class:`DBN` (False: Glorot
        initialisation, the same network trained from scratch).
    rbm_learning_rate, rbm_batch_size, rbm_n_iter, rbm_weight_decay
        The pretraining RBMs' settings (defaults 0.05, 10, 50, 1e-3; PCD-1, momentum 0.5, linear
        learning-rate decay).
    learning_rate : float, default=1e-2
        Adam's step size for fine-tuning.
    batch_size : int, default=32
    max_epochs : int, default=200
    weight_decay : float, default=1e-4
        L2 penalty alpha / (2 |B|) sum ||W||^2 on the weights, as scikit-learn's MLP.
    dropout : float in [0, 1), default=0.5
        Dropout on every hidden layer's output during fine-tuning (none at prediction).
    random_state : None, int or Generator
    verbose : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    data_min_, data_range_ : float
        The scaling to [0, 1].
    dbn_ : DBN or None
        The pretrained stack (None without pretraining).
    coefs_ : list of ndarrays, shapes (n_in, n_out)
    intercepts_ : list of ndarrays
    history_ : History
        Per fine-tuning epoch: ``epoch``, ``loss``, ``seconds``.
    n_iter_ : int
        Fine-tuning epochs run.
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DBNClassifier((32,), rbm_n_iter=5, max_epochs=20, random_state=0).fit(X[:800] / 16, y[:800])
    >>> clf.score(X[800:1000] / 16, y[800:1000]) > 0.85
    True
    """

    def __init__(self, hidden_layer_sizes: Any = (256, 256), pretrain: bool = True, rbm_learning_rate: float = 0.05,
                 rbm_batch_size: int = 10, rbm_n_iter: int = 50, rbm_weight_decay: float = 1e-3,
                 learning_rate: float = 1e-2, batch_size: int = 32, max_epochs: int = 200,
                 weight_decay: float = 1e-4, dropout: float = 0.5, random_state: Any = None,
                 verbose: bool = False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.pretrain = pretrain
        self.rbm_learning_rate = rbm_learning_rate
        self.rbm_batch_size = rbm_batch_size
        self.rbm_n_iter = rbm_n_iter
        self.rbm_weight_decay = rbm_weight_decay
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.random_state = random_state
        self.verbose = verbose

    def _check_params(self) -> tuple[int, ...]:
        sizes = _check_sizes(self.hidden_layer_sizes)
        check_bool(self.pretrain, "pretrain")
        check_scalar_param(self.rbm_learning_rate, "rbm_learning_rate", low=0, low_inclusive=False)
        check_scalar_param(self.rbm_batch_size, "rbm_batch_size", kind=numbers.Integral, low=1)
        check_scalar_param(self.rbm_n_iter, "rbm_n_iter", kind=numbers.Integral, low=1)
        check_scalar_param(self.rbm_weight_decay, "rbm_weight_decay", low=0)
        check_scalar_param(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        check_scalar_param(self.batch_size, "batch_size", kind=numbers.Integral, low=1)
        check_scalar_param(self.max_epochs, "max_epochs", kind=numbers.Integral, low=1)
        check_scalar_param(self.weight_decay, "weight_decay", low=0)
        check_scalar_param(self.dropout, "dropout", low=0, high=1, high_inclusive=False)
        check_bool(self.verbose, "verbose")
        return sizes

    def _network(self):
        """The network on ``coefs_`` (evaluation mode: no dropout); rebuilt after loading or copying."""
        net = self.__dict__.get("_net")
        if net is None or not np.may_share_memory(net[0].weight.data, self.coefs_[0]):
            net = _sigmoid_network(self.coefs_, self.intercepts_, 0.0, None)
            self._net = net
        return net

    def fit(self, X: Any, y: Any) -> "DBNClassifier":
        """Pretrain (if asked) on X in [0, 1], then fine-tune on (X, y); returns ``self``."""
        from tqdm.auto import tqdm

        from ...nn.losses import CrossEntropyLoss
        from ...nn.optim import Adam

        sizes = self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, Y = np.unique(y, return_inverse=True)
        # x' = clip((x - min) / (max - min), 0, 1) with the training data's overall min and max
        self.data_min_ = float(X.min())
        span = float(X.max()) - self.data_min_
        self.data_range_ = span if span > 0 else 1.0
        X = self._scale(X)
        if len(self.classes_) < 2:
            raise ValueError(f"DBNClassifier needs samples of at least 2 classes; got 1 class ({self.classes_[0]!r}).")
        rng = check_random_state(self.random_state)
        layer_sizes = [X.shape[1], *sizes, len(self.classes_)]
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            # Glorot for sigmoid units: U(-r, r), r = sqrt(2 / (fan_in + fan_out))
            bound = np.sqrt(2.0 / (fan_in + fan_out))
            self.coefs_.append(np.ascontiguousarray(rng.uniform(-bound, bound, (fan_out, fan_in))).T)
            self.intercepts_.append(rng.uniform(-bound, bound, fan_out))
        self.dbn_ = None
        if self.pretrain:
            self.dbn_ = DBN(sizes, learning_rate=self.rbm_learning_rate, batch_size=self.rbm_batch_size,
                            n_iter=self.rbm_n_iter, weight_decay=self.rbm_weight_decay,
                            random_state=int(rng.integers(2**31 - 1)), verbose=self.verbose).fit(X)
            for layer, rbm in enumerate(self.dbn_.rbms_):
                # the RBM's p(h | v) = sigmoid(v W^T + c) is the layer sigmoid(v coefs + intercepts)
                self.coefs_[layer][...] = rbm.components_.T
                self.intercepts_[layer][...] = rbm.intercept_hidden_
        net = _sigmoid_network(self.coefs_, self.intercepts_, float(self.dropout), rng)
        net.train()
        weights = [m.weight for m in net if hasattr(m, "weight")]
        params = [p for m in net if hasattr(m, "weight") for p in (m.weight, m.bias)]
        optimizer = Adam(params, lr=float(self.learning_rate))
        loss_fn = CrossEntropyLoss()
        alpha = float(self.weight_decay)
        n = X.shape[0]
        batch = min(int(self.batch_size), n)
        self.history_, self.n_iter_ = History(), 0
        with _parallel.limit_blas(1, when=batch * sum(W.size for W in self.coefs_) < 3e7):
            for _ in tqdm(range(int(self.max_epochs)), desc="DBNClassifier", unit="epoch",
                          disable=not self.verbose, leave=False):
                start, total = time.perf_counter(), 0.0
                order = rng.permutation(n)
                for first in range(0, n, batch):
                    rows = order[first:first + batch]
                    optimizer.zero_grad()
                    loss = float(loss_fn(net(X[rows]), Y[rows]))
                    net.backward(loss_fn.backward())
                    for p in weights:
                        # J += alpha / (2B) ||W||^2  ->  dJ/dW += (alpha / B) W
                        loss += 0.5 * alpha * float(np.vdot(p.data, p.data)) / len(rows)
                        p.grad += (alpha / len(rows)) * p.data
                    if not np.isfinite(loss):
                        raise FloatingPointError(f"DBNClassifier: the fine-tuning loss became {loss} at epoch "
                                                 f"{self.n_iter_ + 1}; lower learning_rate.")
                    optimizer.step()
                    total += loss * len(rows)
                self.n_iter_ += 1
                self.history_.record(epoch=self.n_iter_, loss=total / n, seconds=time.perf_counter() - start)
        # predictions use the same weights without dropout
        self._net = _sigmoid_network(self.coefs_, self.intercepts_, 0.0, None)
        return self

    def _scale(self, X: np.ndarray) -> np.ndarray:
        # x' = clip((x - min) / range, 0, 1): the units' inputs as probabilities
        return np.clip((X - self.data_min_) / self.data_range_, 0.0, 1.0)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities softmax(z_L), shape (n_samples, n_classes)."""
        from ...nn.losses import log_softmax

        check_is_fitted(self, "coefs_")
        X = self._scale(validate_data(self, X, reset=False, dtype=np.float64))
        return np.exp(log_softmax(self._network()(X), axis=1))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_net", None)
        return state

