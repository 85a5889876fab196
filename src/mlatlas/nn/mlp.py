r"""Multi-layer perceptrons on the estimator contract, built from the :mod:`mlatlas.nn` modules.

The network is a stack of affine maps and element-wise activations,

    a_0 = x,
    z_l = a_{l-1} W_l + b_l,        W_l = coefs_[l-1] of shape (n_{l-1}, n_l),
    a_l = f(z_l)                    for the hidden layers (f = relu, tanh, sigmoid, identity),

built as ``Sequential(Linear, f, Linear, f, ..., Linear)``.  The last affine map gives
the outputs: class scores (logits) for :class:`MLPClassifier`, whose probabilities are
``softmax(z_L)``, and the predictions themselves for :class:`MLPRegressor`.

Training minimises, over each mini-batch B of ``|B|`` samples, the loss

    classifier:  J = -1/|B| sum_{i in B} log softmax(z_L(x_i))_{y_i}   (CrossEntropyLoss)
    regressor:   J = 1/(2 |B| K) sum_{i in B} ||z_L(x_i) - y_i||^2     (MSELoss(half=True), K outputs)

plus scikit-learn's L2 penalty on the weights (not the biases),
``alpha / (2 |B|) sum_l ||W_l||_F^2`` with ``alpha = weight_decay``, whose gradient
``(alpha / |B|) W_l`` is added to the back-propagated one.  With ``optimizer="adamw"``
the decay is instead decoupled (``W <- W (1 - lr weight_decay)`` at every step, biases
excluded) and the loss is the data term alone.  The gradient of J comes from the
modules' hand-written backward passes (``Sequential.backward``), the update from
:mod:`mlatlas.nn.optim` (Adam, SGD with momentum, AdamW) and the learning rate from
:mod:`mlatlas.nn.schedules`.

``batch_size`` chooses the flavour of gradient descent: ``"full"`` (the whole training
set, one step per epoch), an int (mini-batches, reshuffled every epoch) or 1
(stochastic: one sample per step).

Stopping follows scikit-learn's rule: training stops when the epoch loss has not
dropped by more than ``tol`` below its best value (or, with ``early_stopping``, the
score on a held-out ``validation_fraction`` has not risen by more than ``tol`` above
its best) for more than ``n_iter_no_change`` epochs in a row; with early stopping the
best weights are restored.  Reaching ``max_epochs`` first warns
:class:`~sklearn.exceptions.ConvergenceWarning`; a loss that becomes NaN or infinite
stops training with :class:`NonFiniteLossError`.

Weights start Glorot-uniform like scikit-learn's, ``U(-r, r)`` with
``r = sqrt(6 / (n_in + n_out))`` (``sqrt(2 / (n_in + n_out))`` for sigmoid units).

Training keeps NumPy's BLAS on one thread when a step is small (fewer than ~1e8
multiply-adds): the matrix products of a small network gain nothing from threads, and on
a busy machine idle BLAS threads spinning for work slow every product down many times.

The fitted weights live in ``coefs_`` (shapes (n_in, n_out), as in scikit-learn) and
``intercepts_``; the network's ``Linear`` parameters are views of those arrays, so the
optimizer updates them in place and a model rebuilt from saved ``coefs_`` /
``intercepts_`` (:func:`mlatlas.save_model`) is the same network.

References
----------
Rumelhart, Hinton & Williams, "Learning representations by back-propagating errors",
Nature 323 (1986); Glorot & Bengio, "Understanding the difficulty of training deep
feedforward neural networks", AISTATS (2010); Kingma & Ba, "Adam", ICLR (2015);
scikit-learn's ``sklearn.neural_network`` (the interface and stopping rule).
"""

from __future__ import annotations

import numbers
import time
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _parallel
from ..base import (ConvergenceWarning, History, InvalidParameterError, check_bool, check_option,
                    check_random_state, check_scalar_param)
from . import schedules as sch
from .layers import Dropout, Identity, Linear, ReLU, Sigmoid, Tanh
from .losses import CrossEntropyLoss, MSELoss, log_softmax
from .module import Sequential
from .optim import SGD, Adam, AdamW

__all__ = ["MLPClassifier", "MLPRegressor", "NonFiniteLossError", "SCHEDULES", "ACTIVATIONS", "OPTIMIZERS"]

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity}
OPTIMIZERS = ("adam", "sgd", "adamw")
SCHEDULES = ("constant", "step", "multistep", "exponential", "linear", "cosine", "warm_restarts",
             "onecycle", "plateau", "warmup_cosine")


class NonFiniteLossError(ValueError, FloatingPointError):
    """The training loss became NaN or infinite (the step was not applied)."""


#: Steps with fewer multiply-adds than this run BLAS on one thread.
SMALL_STEP_FLOPS = 1e8


def network_from_weights(coefs: list[np.ndarray], intercepts: list[np.ndarray],
                         activation: str, dropout: float = 0.0, random_state: Any = None) -> Sequential:
    """``Sequential(Linear, act, ..., Linear)`` whose parameters are *views* of the given arrays.

    ``coefs[l]`` has scikit-learn's shape (n_in, n_out); the ``Linear`` weight is its
    transpose (n_out, n_in) as a view, so updating the network updates the arrays.
    ``dropout > 0`` puts a ``Dropout(dropout, random_state)`` after every hidden
    activation.

    Examples
    --------
    >>> W, b = np.ones((3, 2)), np.zeros(2)
    >>> net = network_from_weights([W], [b], "relu")
    >>> net(np.ones((1, 3)))
    array([[3., 3.]])
    >>> net[0].weight.data[0, 0] = 5.0; float(W[0, 0])
    5.0
    """
    modules = []
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        linear = Linear(W.shape[0], W.shape[1], dtype=W.dtype, random_state=0)
        linear.weight.data = W.T  # (n_out, n_in) view of coefs[i]
        linear.bias.data = b
        modules.append(linear)
        if i < len(coefs) - 1:
            modules.append(ACTIVATIONS[activation]())
            if dropout > 0:
                modules.append(Dropout(dropout, random_state=random_state))
    return Sequential(*modules)


class _BaseMLP(BaseEstimator):
    """Shared training loop of :class:`MLPClassifier` and :class:`MLPRegressor`."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, optimizer="adam",
                 learning_rate=1e-3, batch_size=200, momentum=0.9, nesterov=False, weight_decay=1e-4,
                 schedule=None, schedule_options=None, max_epochs=200, tol=1e-4, n_iter_no_change=10,
                 early_stopping=False, validation_fraction=0.1, shuffle=True, random_state=None,
                 dtype="float64", verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.schedule_options = schedule_options
        self.max_epochs = max_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose

    # -- parameters --------------------------------------------------------------------
    def _check_params(self) -> None:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise InvalidParameterError("hidden_layer_sizes must be a tuple of positive ints; "
                            f"got {type(self.hidden_layer_sizes).__name__} {self.hidden_layer_sizes!r}.") from None
        for size in sizes:
            check_scalar_param(size, "each of hidden_layer_sizes", kind=numbers.Integral, low=1)
        self._hidden = tuple(int(s) for s in sizes)
        check_option(self.activation, "activation", tuple(ACTIVATIONS))
        check_option(self.optimizer, "optimizer", OPTIMIZERS)
        check_scalar_param(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        if not (isinstance(self.batch_size, str) and self.batch_size == "full"):
            if isinstance(self.batch_size, str) or isinstance(self.batch_size, bool) \
                    or not isinstance(self.batch_size, numbers.Integral):
                raise InvalidParameterError(
                    f"batch_size must be 'full' or a positive int; got {self.batch_size!r}.")
            check_scalar_param(self.batch_size, "batch_size", kind=numbers.Integral, low=1)
        check_scalar_param(self.momentum, "momentum", low=0, high=1)
        for name in ("nesterov", "early_stopping", "shuffle", "verbose"):
            check_bool(getattr(self, name), name)
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ValueError("nesterov=True needs optimizer='sgd' and momentum > 0; "
                             f"got optimizer={self.optimizer!r}, momentum={self.momentum!r}.")
        check_scalar_param(self.weight_decay, "weight_decay", low=0)
        if self.schedule is not None:
            check_option(self.schedule, "schedule", SCHEDULES)
        if self.schedule_options is not None and not isinstance(self.schedule_options, dict):
            raise InvalidParameterError(
                f"schedule_options must be None or a dict; got {type(self.schedule_options).__name__}.")
        check_scalar_param(self.max_epochs, "max_epochs", kind=numbers.Integral, low=1)
        check_scalar_param(self.tol, "tol", low=0)
        # n_iter_no_change = inf: never stop early for lack of progress
        if not (isinstance(self.n_iter_no_change, numbers.Real) and self.n_iter_no_change == np.inf):
            check_scalar_param(self.n_iter_no_change, "n_iter_no_change", kind=numbers.Integral, low=1)
        check_scalar_param(self.validation_fraction, "validation_fraction", low=0, high=1,
                           low_inclusive=False, high_inclusive=False)
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        # ``dtype is None`` first: NumPy compares None equal to np.dtype("float64")
        if dtype is None or dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise InvalidParameterError(f"dtype must be 'float64' or 'float32'; got {self.dtype!r}.")
        self._dtype = dtype

    # -- network -----------------------------------------------------------------------
    def _initialize(self, n_features: int, n_outputs: int, rng: np.random.Generator) -> None:
        """Glorot-uniform weights, fresh history, a new network and optimizer."""
        sizes = [n_features, *self._hidden, n_outputs]
        factor = 2.0 if self.activation == "sigmoid" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            # Glorot & Bengio: U(-r, r), r = sqrt(factor / (fan_in + fan_out)), for weights and biases
            bound = np.sqrt(factor / (fan_in + fan_out))
            W = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(self._dtype)  # (out, in): the layer's own
            b = rng.uniform(-bound, bound, fan_out).astype(self._dtype)
            self.coefs_.append(W.T)  # (in, out) view, scikit-learn's orientation
            self.intercepts_.append(b)
        self.n_layers_ = len(sizes)
        self.n_outputs_ = n_outputs
        self.n_iter_ = 0
        self.t_ = 0
        self.history_ = History()
        self.loss_curve_ = []
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_loss_ = np.inf if not self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement = 0
        self._net = network_from_weights(self.coefs_, self.intercepts_, self.activation)
        self._optimizer = None

    def _in_sync(self, net: Any) -> bool:
        """Does ``net`` still share memory with ``coefs_``/``intercepts_`` (not after copy/pickle)?"""
        linears = [m for m in net if isinstance(m, Linear)]
        if len(linears) != len(self.coefs_):
            return False
        if any(type(m) is not ACTIVATIONS.get(self.activation) for m in net if not isinstance(m, Linear)):
            return False
        for layer, W, b in zip(linears, self.coefs_, self.intercepts_):
            if layer.weight.data.shape != W.T.shape or not np.may_share_memory(layer.weight.data, W):
                return False
            if layer.bias.data.shape != b.shape or not np.may_share_memory(layer.bias.data, b):
                return False
        return True

    def _network(self) -> Sequential:
        """The network on the current ``coefs_``/``intercepts_`` (rebuilt after loading or copying)."""
        net = self.__dict__.get("_net")
        if net is None or not self._in_sync(net):
            net = network_from_weights(self.coefs_, self.intercepts_, self.activation)
            self._net = net
            self._optimizer = None
        return net

    def _weights_and_biases(self, net: Sequential):
        linears = [m for m in net if isinstance(m, Linear)]
        return [m.weight for m in linears], [m.bias for m in linears]

    def _make_optimizer(self, net: Sequential):
        weights, biases = self._weights_and_biases(net)
        lr = float(self.learning_rate)
        if self.optimizer == "adam":
            return Adam(weights + biases, lr=lr)
        if self.optimizer == "sgd":
            return SGD(weights + biases, lr=lr, momentum=float(self.momentum), nesterov=bool(self.nesterov))
        # AdamW: decoupled decay on the weights only
        return AdamW([{"params": weights, "weight_decay": float(self.weight_decay)},
                      {"params": biases, "weight_decay": 0.0}], lr=lr)

    def _make_schedule(self, optimizer: Any, steps_per_epoch: int):
        """``(schedule or None, steps per batch?, needs a metric?)`` for ``self.schedule``."""
        try:
            return self._build_schedule(optimizer, steps_per_epoch)
        except TypeError as exc:
            raise TypeError(f"schedule_options {self.schedule_options!r} do not fit schedule "
                            f"{self.schedule!r}: {exc}") from None

    def _build_schedule(self, optimizer: Any, steps_per_epoch: int):
        name = self.schedule
        if name is None or name == "constant":
            return None, False, False
        E = int(self.max_epochs)
        opts = dict(self.schedule_options or {})
        if name == "step":
            return sch.StepLR(optimizer, **{"step_size": max(1, E // 3), "gamma": 0.1, **opts}), False, False
        if name == "multistep":
            return sch.MultiStepLR(optimizer, **{"milestones": [E // 2, (3 * E) // 4], "gamma": 0.1, **opts}), \
                False, False
        if name == "exponential":
            # lr_0 gamma^E = lr_0 / 100 at the last epoch
            return sch.ExponentialLR(optimizer, **{"gamma": 0.01 ** (1.0 / E), **opts}), False, False
        if name == "linear":
            return sch.LinearLR(optimizer, **{"start_factor": 1.0, "end_factor": 0.01, "total_iters": E,
                                              **opts}), False, False
        if name == "cosine":
            return sch.CosineAnnealingLR(optimizer, **{"T_max": E, **opts}), False, False
        if name == "warm_restarts":
            # periods T_0, 2 T_0, 4 T_0 fill E = 7 T_0 epochs
            return sch.CosineAnnealingWarmRestarts(optimizer, **{"T_0": max(1, E // 7), "T_mult": 2, **opts}), \
                False, False
        if name == "onecycle":
            return sch.OneCycleLR(optimizer, **{"max_lr": float(self.learning_rate),
                                                "total_steps": E * steps_per_epoch, **opts}), True, False
        if name == "plateau":
            mode = "max" if self.early_stopping else "min"
            return sch.ReduceLROnPlateau(optimizer, **{"mode": mode, "factor": 0.5, "patience": 5, **opts}), \
                False, True
        # warmup_cosine: linear warm-up from lr/10 over warmup_epochs, then cosine to 0
        warmup = int(opts.pop("warmup_epochs", max(1, E // 10)))
        warm = sch.LinearLR(optimizer, start_factor=opts.pop("start_factor", 0.1), total_iters=warmup)
        cosine = sch.CosineAnnealingLR(optimizer, T_max=max(1, E - warmup), **opts)
        return sch.SequentialLR(optimizer, [warm, cosine], milestones=[warmup]), False, False

    # -- one step / one epoch -----------------------------------------------------------
    def _batch_loss_and_grad(self, net: Sequential, loss_fn: Any, weights: list, xb: np.ndarray,
                             yb: np.ndarray) -> float:
        """Forward, backward and the L2 term for one batch; gradients land in the parameters."""
        out = net(xb)  # (B, n_outputs)
        loss = float(loss_fn(out, yb))
        net.backward(loss_fn.backward())
        alpha = float(self.weight_decay)
        if alpha > 0 and self.optimizer != "adamw":
            B = xb.shape[0]
            squares = 0.0
            for p in weights:
                # J += alpha / (2B) ||W||^2  ->  dJ/dW += (alpha / B) W
                squares += float(np.vdot(p.data, p.data))
                p.grad += (alpha / B) * p.data
            loss += 0.5 * alpha * squares / B
        return loss

    def _run_epoch(self, net: Sequential, X: np.ndarray, Y: np.ndarray, batch_size: int,
                   rng: np.random.Generator, schedule: Any, per_batch: bool) -> float:
        """One pass over (X, Y) in shuffled batches; returns the sample-weighted mean batch loss."""
        n = X.shape[0]
        if self.shuffle:
            order = rng.permutation(n)
            X, Y = X[order], Y[order]  # one gather per epoch, then every batch is a view
        opt = self._optimizer
        loss_fn = self._make_loss()
        weights, _ = self._weights_and_biases(net)
        total = 0.0
        for start in range(0, n, batch_size):
            xb, yb = X[start:start + batch_size], Y[start:start + batch_size]
            opt.zero_grad()
            loss = self._batch_loss_and_grad(net, loss_fn, weights, xb, yb)
            if not np.isfinite(loss):
                raise NonFiniteLossError(
                    f"{type(self).__name__}: the training loss became {loss} at epoch {self.n_iter_ + 1}, "
                    f"batch {start // batch_size + 1} (learning_rate now {opt.lr:g}); the step was not "
                    "applied. Lower learning_rate, standardise the features or check the data.")
            opt.step()
            if per_batch:
                schedule.step()
            total += loss * xb.shape[0]
        self.t_ += n
        return total / n

    # -- training loop -----------------------------------------------------------------
    def _train(self, X: np.ndarray, Y: np.ndarray, X_val: np.ndarray | None, y_val: np.ndarray | None,
               rng: np.random.Generator, n_epochs: int, use_schedule: bool) -> None:
        """Run up to ``n_epochs`` epochs with the stopping rule; ``use_schedule=False`` for partial_fit."""
        from tqdm.auto import tqdm

        net = self._network()
        if self._optimizer is None:
            self._optimizer = self._make_optimizer(net)
        opt = self._optimizer
        n = X.shape[0]
        batch_size = n if self.batch_size == "full" else min(int(self.batch_size), n)
        steps_per_epoch = -(-n // batch_size)
        schedule, per_batch, needs_metric = (self._make_schedule(opt, steps_per_epoch) if use_schedule
                                             else (None, False, False))
        patience = self.n_iter_no_change
        converged = False
        best_params = None
        # multiply-adds of one step: the forward products, and twice as many backward (inputs and weights)
        step_flops = 3.0 * batch_size * sum(W.size for W in self.coefs_)
        bar = tqdm(range(n_epochs), desc=type(self).__name__, unit="epoch", disable=not self.verbose,
                   leave=False)
        # small products gain nothing from BLAS threads: keep them on one
        with _parallel.limit_blas(1, when=step_flops < SMALL_STEP_FLOPS):
            for _ in bar:
                start = time.perf_counter()
                lr = opt.lr
                loss = self._run_epoch(net, X, Y, batch_size, rng, schedule, per_batch)
                self.n_iter_ += 1
                self.loss_curve_.append(loss)
                val_score = np.nan
                if X_val is not None:
                    val_score = self._validation_score(X_val, y_val)
                    self.validation_scores_.append(val_score)
                    # no improvement unless the score beats the best by more than tol
                    self._no_improvement = self._no_improvement + 1 \
                        if val_score < self.best_validation_score_ + self.tol else 0
                    if val_score > self.best_validation_score_:
                        self.best_validation_score_ = val_score
                        best_params = [a.copy() for a in self.coefs_ + self.intercepts_]
                else:
                    self._no_improvement = self._no_improvement + 1 if loss > self.best_loss_ - self.tol else 0
                    self.best_loss_ = min(self.best_loss_, loss)
                self.history_.record(epoch=self.n_iter_, loss=loss, validation_score=val_score, learning_rate=lr,
                                     seconds=time.perf_counter() - start)
                bar.set_postfix(loss=f"{loss:.4g}", **({"val": f"{val_score:.4f}"} if X_val is not None else {}))
                if schedule is not None and not per_batch:
                    if needs_metric:
                        schedule.step(val_score if X_val is not None else loss)
                    else:
                        schedule.step()
                if self._no_improvement > patience:
                    converged = True
                    break
        bar.close()
        if best_params is not None:
            # early stopping: back to the weights with the best validation score (in place: views stay valid)
            for array, best in zip(self.coefs_ + self.intercepts_, best_params):
                array[...] = best
        if not converged and use_schedule:
            what = "validation score" if X_val is not None else "training loss"
            warnings.warn(
                f"{type(self).__name__} stopped at max_epochs={self.max_epochs} before the {what} settled "
                f"(no improvement > tol={self.tol} for {patience} epochs); increase max_epochs or loosen tol.",
                ConvergenceWarning, stacklevel=3)

    def _fit(self, X: Any, y: Any) -> Any:
        self._check_params()
        X, Y = self._validate_train(X, y, reset=True)
        rng = check_random_state(self.random_state)
        self._initialize(X.shape[1], self._n_outputs_for(Y), rng)
        X_val = y_val = None
        if self.early_stopping:
            X, Y, X_val, y_val = self._split_validation(X, Y, rng)
        self._rng = rng
        self._train(X, Y, X_val, y_val, rng, int(self.max_epochs), use_schedule=True)
        return self

    def _partial_fit(self, X: Any, y: Any, classes: Any = None) -> Any:
        first = not hasattr(self, "coefs_")
        self._check_params()
        if first:
            self._set_targets_for_partial_fit(y, classes)
        X, Y = self._validate_train(X, y, reset=first, partial=True)
        if first:
            self._rng = check_random_state(self.random_state)
            self._initialize(X.shape[1], self._n_outputs_for(Y), self._rng)
        elif "_rng" not in self.__dict__:
            self._rng = check_random_state(self.random_state)
        # one epoch over the given data; constant learning rate, no validation split
        self._train(X, Y, None, None, self._rng, 1, use_schedule=False)
        return self

    def _split_validation(self, X, Y, rng):
        from sklearn.model_selection import train_test_split

        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))
        if n_val < 1 or X.shape[0] - n_val < 1:
            raise ValueError(f"early_stopping needs at least one training and one validation sample; got "
                             f"{X.shape[0]} samples with validation_fraction={self.validation_fraction}.")
        seed = int(rng.integers(2**31 - 1))
        stratify = Y if self._stratify_validation() else None
        try:
            X_tr, X_val, Y_tr, Y_val = train_test_split(X, Y, test_size=n_val, random_state=seed,
                                                        stratify=stratify)
        except ValueError:  # a class too rare to stratify: plain split
            X_tr, X_val, Y_tr, Y_val = train_test_split(X, Y, test_size=n_val, random_state=seed)
        return X_tr, Y_tr, X_val, Y_val

    def _forward(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, dtype=self.coefs_[0].dtype, reset=False)
        return self._network()(X)

    def loss_gradient(self, X: Any, y: Any) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """The training objective on ``(X, y)`` as one batch, and its gradient, at the current weights.

        Returns
        -------
        loss : float
            Data loss plus the L2 term (for ``optimizer="adamw"`` the data loss only).
        coef_grads, intercept_grads : lists of ndarrays
            Shaped like ``coefs_`` and ``intercepts_``.

        Examples
        --------
        >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])
        >>> clf = MLPClassifier((3,), max_epochs=1, random_state=0).fit(X, y)
        >>> loss, dW, db = clf.loss_gradient(X, y)
        >>> [g.shape for g in dW], [g.shape for g in db]
        ([(2, 3), (3, 2)], [(3,), (2,)])
        """
        check_is_fitted(self, "coefs_")
        self._check_params()
        X = validate_data(self, X, dtype=self.coefs_[0].dtype, reset=False)
        Y = self._encode_targets(y)
        net = self._network()
        weights, biases = self._weights_and_biases(net)
        for p in net.parameters():
            p.grad = None
        loss = self._batch_loss_and_grad(net, self._make_loss(), weights, X, Y)
        return loss, [p.grad.T.copy() for p in weights], [p.grad.copy() for p in biases]

    # -- pickling / loading ------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        # the network and optimizer hold views of coefs_; rebuilt from coefs_ when needed
        for key in ("_net", "_optimizer"):
            state.pop(key, None)
        return state

    @classmethod
    def __mlatlas_restore__(cls, params: dict, state: dict):
        model = cls(**params)
        for key, value in state.items():
            setattr(model, key, value)
        return model


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: softmax outputs, cross-entropy loss, hand-written backprop.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "sigmoid", "identity"}, default="relu"
    optimizer : {"adam", "sgd", "adamw"}, default="adam"
    learning_rate : float, default=1e-3
        Initial learning rate (the schedule, if any, changes it from there).
    batch_size : int or "full", default=200
        Samples per gradient step (clipped to the training-set size); ``"full"`` is
        full-batch gradient descent, 1 is stochastic gradient descent.
    momentum : float in [0, 1], default=0.9
        SGD's momentum.
    nesterov : bool, default=False
        Nesterov momentum (SGD only).
    weight_decay : float, default=1e-4
        L2 strength ``alpha`` as in scikit-learn (``alpha / (2 |B|) sum ||W||^2`` added to
        each batch loss); decoupled decay for ``optimizer="adamw"``.
    schedule : None or one of SCHEDULES, default=None
        Learning-rate schedule from :mod:`mlatlas.nn.schedules`: "step" (x0.1 every third
        of ``max_epochs``), "multistep" (x0.1 at 1/2 and 3/4), "exponential" (to lr/100),
        "linear" (to lr/100), "cosine" (to 0), "warm_restarts" (cosine restarts, periods
        doubling), "onecycle" (per batch, peak = ``learning_rate``), "plateau" (halve
        after 5 epochs without improvement), "warmup_cosine" (linear warm-up from lr/10
        over a tenth of the epochs, then cosine).  None or "constant" keep it fixed.
    schedule_options : dict, optional
        Keyword arguments overriding the schedule's defaults (PyTorch's names).
    max_epochs : int, default=200
    tol : float, default=1e-4
    n_iter_no_change : int or inf, default=10
        Epochs without an improvement of at least ``tol`` before training stops;
        ``inf`` never stops for that reason.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified), stop on its
        accuracy and keep the best weights.
    validation_fraction : float in (0, 1), default=0.1
    shuffle : bool, default=True
        Reshuffle the training samples every epoch.
    random_state : None, int or Generator
        Initial weights, shuffling and the validation split.
    dtype : {"float64", "float32"}, default="float64"
        Precision of the weights and the computation.
    verbose : bool, default=False
        Show a tqdm progress bar over the epochs (loss and validation score).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarrays, shapes (n_in, n_out)
    intercepts_ : list of ndarrays
    history_ : History
        One dict per epoch: ``epoch``, ``loss``, ``validation_score`` (NaN without early
        stopping), ``learning_rate`` (at the start of the epoch), ``seconds``.
    loss_curve_ : list of float
    validation_scores_ : list of float or None
    best_loss_, best_validation_score_ : float or None
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    n_layers_, n_outputs_, n_features_in_ : int

    Notes
    -----
    Unlike scikit-learn, a binary problem also gets one softmax output per class (two
    units rather than one logistic unit); the decision is the same family of functions.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), learning_rate=1e-2, max_epochs=100, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    def fit(self, X, y):
        """Train on ``(X, y)`` from fresh Glorot weights; returns ``self``."""
        return self._fit(X, y)

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever occur) is required on the first call.
        The learning rate stays at ``learning_rate`` (no schedule) and there is no
        validation split.
        """
        return self._partial_fit(X, y, classes)

    def _set_targets_for_partial_fit(self, y, classes) -> None:
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit "
                             "(every label that will ever be seen).")
        self.classes_ = np.unique(np.asarray(classes))

    def _validate_train(self, X, y, reset, partial=False):
        X, y = validate_data(self, X, y, dtype=self._dtype if reset else self.coefs_[0].dtype, reset=reset)
        check_classification_targets(y)
        if not partial:
            self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                             f"({self.classes_[0]!r}).")
        return X, self._encode_targets(y)

    def _encode_targets(self, y) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if np.any(unknown):
            raise ValueError(f"y contains labels not in classes_ {self.classes_.tolist()}: "
                             f"{np.unique(y[unknown]).tolist()}.")
        return index.astype(np.intp)

    def _n_outputs_for(self, Y) -> int:
        return len(self.classes_)

    def _stratify_validation(self) -> bool:
        return True

    def _make_loss(self):
        return CrossEntropyLoss()

    def _validation_score(self, X_val, y_val) -> float:
        logits = self._network()(X_val)
        return float(np.mean(np.argmax(logits, axis=1) == y_val))

    def predict_log_proba(self, X):
        """Log class probabilities, ``log softmax(z_L)``, shape (n_samples, n_classes)."""
        return log_softmax(self._forward(X), axis=1)

    def predict_proba(self, X):
        """Class probabilities ``softmax(z_L)``, shape (n_samples, n_classes); rows sum to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class of each sample."""
        scores = self._forward(X)  # (n, n_classes); checks that the model is fitted
        return self.classes_[np.argmax(scores, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: linear outputs, half squared error, hand-written backprop.

    Parameters are those of :class:`MLPClassifier`; early stopping monitors R^2 on the
    held-out fraction.  ``y`` may have several columns (one output unit each).

    Attributes
    ----------
    coefs_, intercepts_, history_, loss_curve_, validation_scores_, best_loss_,
    best_validation_score_, n_iter_, t_, n_layers_, n_outputs_, n_features_in_
        As in :class:`MLPClassifier`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-2, 2, size=(200, 1)); y = np.sin(X[:, 0])
    >>> reg = MLPRegressor((32,), activation="tanh", learning_rate=1e-2, batch_size=32,
    ...                    max_epochs=300, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def fit(self, X, y):
        """Train on ``(X, y)`` from fresh Glorot weights; returns ``self``."""
        return self._fit(X, y)

    def partial_fit(self, X, y):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state."""
        return self._partial_fit(X, y)

    def _set_targets_for_partial_fit(self, y, classes) -> None:
        pass

    def _validate_train(self, X, y, reset, partial=False):
        X, y = validate_data(self, X, y, dtype=self._dtype if reset else self.coefs_[0].dtype, reset=reset,
                             y_numeric=True, multi_output=True)
        if not reset and self.n_outputs_ != (1 if y.ndim == 1 else y.shape[1]):
            raise ValueError(f"y has {1 if y.ndim == 1 else y.shape[1]} columns, but {type(self).__name__} "
                             f"was fitted with {self.n_outputs_} outputs.")
        return X, self._encode_targets(y)

    def _encode_targets(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=self.coefs_[0].dtype if hasattr(self, "coefs_") else self._dtype)
        return y.reshape(-1, 1) if y.ndim == 1 else y  # (n, n_outputs)

    def _n_outputs_for(self, Y) -> int:
        return Y.shape[1]

    def _stratify_validation(self) -> bool:
        return False

    def _make_loss(self):
        return MSELoss(half=True)

    def _validation_score(self, X_val, y_val) -> float:
        from sklearn.metrics import r2_score

        return float(r2_score(y_val, self._network()(X_val)))

    def predict(self, X):
        """Network outputs; shape (n_samples,) for one output, else (n_samples, n_outputs)."""
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out
