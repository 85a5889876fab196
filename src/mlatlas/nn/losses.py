"""Losses: ``forward(pred, target)`` gives the loss, ``backward()`` its gradient w.r.t. ``pred``.

==================  =====================================================  ============================
loss                per element / sample                                   d loss / d pred
==================  =====================================================  ============================
MSELoss             (yhat - y)^2          (``half=True``: 1/2 (yhat - y)^2)  2 (yhat - y)   ((yhat - y))
CrossEntropyLoss    -sum_k a_k log softmax(z)_k                            (sum_k a_k) softmax(z) - a
BCEWithLogitsLoss   (1 - y) x + (1 + (p - 1) y) softplus(-x)               (1 - y) - (1 + (p - 1) y) sigma(-x)
==================  =====================================================  ============================

``reduction="mean"`` (the default) divides the sum by the number of elements (by the
total class weight of the targets for a weighted cross-entropy, as PyTorch does),
``"sum"`` adds, ``"none"`` returns the per-element (per-sample) losses.

Cross-entropy from logits uses the stable ``log softmax(z) = z - m - log sum exp(z - m)``
with ``m = max z``; for a hard target ``y`` the target weights are
``a = (1 - eps) w_y onehot(y) + eps/C w`` (``eps`` = label smoothing, ``w`` = class
weights), for probability targets ``a = w ((1 - eps) t + eps/C)``.  Binary
cross-entropy from logits uses ``log sigma(x) = -softplus(-x)`` and
``softplus(-x) = log(1 + e^{-|x|}) + max(-x, 0)``, never overflowing.

References
----------
PyTorch's ``torch.nn`` loss documentation (the reductions and weights); Goodfellow,
Bengio, Courville, *Deep Learning* (2016), sec. 6.2.2 (softmax and cross-entropy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .module import Module, as_float_array, to_numpy

__all__ = ["MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "log_softmax", "softmax"]


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``z - logsumexp(z)`` along ``axis``, shifted by the maximum (no overflow)."""
    m = np.max(z, axis=axis, keepdims=True)
    shifted = z - m
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(z) / sum exp(z)`` along ``axis``, computed stably."""
    return np.exp(log_softmax(z, axis))


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags, mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


class _Loss(Module):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction)
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"

    def __call__(self, pred: Any, target: Any) -> Any:
        return self.forward(pred, target)

    def _reduce(self, losses: np.ndarray, denom: float | None = None) -> Any:
        """The returned loss: every l_i ("none"), sum_i l_i ("sum") or sum_i l_i / denom ("mean").

        ``denom`` is the number of terms unless given (a weighted cross-entropy divides by
        the summed weight of its targets).
        """
        if self.reduction == "none":
            return losses
        total = losses.sum()
        if self.reduction == "sum":
            return total
        # mean: sum_i l_i / denom
        return total / losses.dtype.type(losses.size if denom is None else denom)

    def _reduce_grad(self, grad: np.ndarray, grad_out: Any, per_item_shape: tuple[int, ...],
                     denom: float) -> np.ndarray:
        """dL/dpred from the gradient of the terms: divided by ``denom`` for "mean", times ``grad_out``.

        ``grad_out`` is the upstream gradient: one number, or (reduction "none") one per
        loss term, shaped as ``per_item_shape`` against ``grad``.
        """
        if self.reduction == "mean":
            # d(sum_i l_i / denom) = (1 / denom) d(sum_i l_i)
            grad = grad / grad.dtype.type(denom)
        if grad_out is None:
            if self.reduction == "none" and int(np.prod(per_item_shape)) != 1:
                raise ValueError("backward(grad_out) needs the gradient of each loss when reduction='none'")
            return grad
        g = np.asarray(to_numpy(grad_out), dtype=grad.dtype)
        if self.reduction == "none":
            return grad * g.reshape(per_item_shape)
        return grad * g


class MSELoss(_Loss):
    """Mean squared error ``mean((pred - target)^2)``.

    Parameters
    ----------
    size_average, reduce : deprecated PyTorch flags (mapped to ``reduction``).
    reduction : {"mean", "sum", "none"}, default="mean"
    half : bool, default=False, keyword-only
        Use ``1/2 (pred - target)^2`` (the notes' form, whose derivative is simply
        ``pred - target``).

    Examples
    --------
    The notes' worked example: prediction -0.18, target 1.

    >>> loss = MSELoss(half=True)
    >>> round(float(loss(np.array([-0.18]), np.array([1.0]))), 4)
    0.6962
    >>> loss.backward()
    array([-1.18])
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 *, half: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.half = bool(half)

    def forward(self, pred: Any, target: Any) -> Any:
        pred = as_float_array(pred)
        target = np.asarray(to_numpy(target), dtype=pred.dtype)
        diff = pred - target  # broadcasts like PyTorch (which warns on mismatched shapes)
        c = 0.5 if self.half else 1.0
        self._cache = (diff, pred.shape)
        # l = c (pred - target)^2
        return self._reduce(c * diff * diff)

    def backward(self, grad_out: Any = None) -> np.ndarray:
        diff, pred_shape = self._cached()
        c = 0.5 if self.half else 1.0
        # dl/dpred = 2 c (pred - target)
        grad = self._reduce_grad((2 * c) * diff, grad_out, diff.shape, diff.size)
        if grad.shape != pred_shape:  # the target broadcast pred: fold the gradient back
            grad = _unbroadcast(grad, pred_shape)
        return grad


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits, with integer class targets or class probabilities.

    Parameters
    ----------
    weight : array of shape (C,), optional
        Class weights (a buffer named ``weight``, as in PyTorch).
    size_average, reduce : deprecated PyTorch flags.
    ignore_index : int, default=-100
        Samples with this target contribute nothing (hard targets only).
    reduction : {"mean", "sum", "none"}, default="mean"
        With class weights, "mean" divides by the summed weight of the targets.
    label_smoothing : float in [0, 1], default=0.0

    Notes
    -----
    ``pred`` has shape (C,), (N, C) or (N, C, d1, ...) (classes on axis 1); ``target``
    holds ints of shape (), (N,) or (N, d1, ...), or floats of the same shape as
    ``pred`` (probabilities).

    Examples
    --------
    >>> loss = CrossEntropyLoss()
    >>> round(float(loss(np.array([[2.0, 0.0, 0.0]]), np.array([0]))), 4)
    0.2395
    >>> loss.backward().round(4)     # softmax - onehot
    array([[-0.213 ,  0.1065,  0.1065]])
    """

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)
        self.register_buffer("weight", None if weight is None else as_float_array(weight).copy())

    def forward(self, pred: Any, target: Any) -> Any:
        pred = as_float_array(pred)
        target = to_numpy(target)
        if pred.ndim == 0:
            raise ValueError("CrossEntropyLoss expects logits of shape (C,), (N, C) or (N, C, d1, ...)")
        unbatched = pred.ndim == 1
        z = pred[None] if unbatched else pred
        C = z.shape[1]
        # classes last, one row per prediction:  (N, C, d...) -> (N, d..., C) -> (R, C)
        z_last = np.moveaxis(z, 1, -1)
        rows_shape = z_last.shape[:-1]
        z2 = z_last.reshape(-1, C)
        logp = log_softmax(z2, axis=1)
        w = (np.ones(C, dtype=pred.dtype) if self.weight is None
             else np.asarray(self.weight, dtype=pred.dtype))
        if w.shape != (C,):
            raise ValueError(f"CrossEntropyLoss weight has shape {w.shape}, expected ({C},)")
        eps = self.label_smoothing
        soft = target.dtype.kind == "f" and target.shape == pred.shape
        if soft:
            t = np.moveaxis(target[None] if unbatched else target, 1, -1).reshape(-1, C).astype(pred.dtype)
            # a = w ((1 - eps) t + eps / C)
            a = w * ((1 - eps) * t + eps / C)
            denom = float(z2.shape[0])
        else:
            if target.dtype.kind not in "iu":
                raise ValueError("CrossEntropyLoss target must hold integer class indices "
                                 f"(or probabilities shaped like the logits), got dtype {target.dtype} "
                                 f"and shape {target.shape}")
            t = (target[None] if unbatched else target).reshape(-1)
            if t.shape[0] != z2.shape[0]:
                raise ValueError(f"CrossEntropyLoss target shape {target.shape} does not match logits {pred.shape}")
            valid = t != self.ignore_index
            if np.any((t[valid] < 0) | (t[valid] >= C)):
                raise ValueError(f"CrossEntropyLoss target values must be in [0, {C}) or ignore_index, "
                                 f"got {np.unique(t[valid])}")
            rows = np.flatnonzero(valid)
            a = np.zeros_like(z2)
            # a = (1 - eps) w_y onehot(y) + eps/C w      (zero for ignored samples)
            a[rows, t[rows]] = (1 - eps) * w[t[rows]]
            if eps > 0:
                a[rows] += (eps / C) * w
            denom = float(w[t[rows]].sum())
        # l_i = -sum_k a_ik log p_ik
        per_row = -np.sum(a * logp, axis=1)
        self._cache = (a, logp, denom, pred.shape, rows_shape, unbatched)
        if self.reduction == "none":
            out = per_row.reshape(rows_shape)
            return out[0] if unbatched else out
        return self._reduce(per_row, denom)

    def backward(self, grad_out: Any = None) -> np.ndarray:
        a, logp, denom, pred_shape, rows_shape, unbatched = self._cached()
        p = np.exp(logp)
        # dl_i/dz_i = (sum_k a_ik) softmax(z_i) - a_i
        grad = a.sum(axis=1, keepdims=True) * p - a
        # one loss per row: grad_out (reduction "none") has one value per row
        grad = self._reduce_grad(grad, grad_out, (grad.shape[0], 1), denom)
        # (R, C) -> (N, d..., C) -> (N, C, d...)
        grad = np.moveaxis(grad.reshape(rows_shape + (a.shape[1],)), -1, 1)
        return grad[0] if unbatched else grad


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits: ``-w [p y log sigma(x) + (1 - y) log(1 - sigma(x))]``.

    Parameters
    ----------
    weight : array, optional
        Per-element weight, broadcast against the input (buffer ``weight``).
    size_average, reduce : deprecated PyTorch flags.
    reduction : {"mean", "sum", "none"}, default="mean"
    pos_weight : array, optional
        Weight ``p`` of the positive term, broadcast along the last (class) axis
        (buffer ``pos_weight``).

    Examples
    --------
    >>> loss = BCEWithLogitsLoss()
    >>> round(float(loss(np.array([0.0, 2.0]), np.array([1.0, 0.0]))), 4)
    1.41
    >>> loss.backward().round(4)     # (sigma(x) - y) / n
    array([-0.25  ,  0.4404])
    """

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", None if weight is None else as_float_array(weight).copy())
        self.register_buffer("pos_weight", None if pos_weight is None else as_float_array(pos_weight).copy())

    def forward(self, pred: Any, target: Any) -> Any:
        x = as_float_array(pred)
        y = np.asarray(to_numpy(target), dtype=x.dtype)
        if y.shape != x.shape:
            raise ValueError(f"Target size ({y.shape}) must be the same as input size ({x.shape})")
        # softplus(-x) = log(1 + e^{-|x|}) + max(-x, 0)
        softplus_neg = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)
        if self.pos_weight is not None:
            # log-weight of the positive term: 1 + (p - 1) y
            lw = 1 + (np.asarray(self.pos_weight, dtype=x.dtype) - 1) * y
        else:
            lw = np.ones((), dtype=x.dtype)
        # l = (1 - y) x + (1 + (p - 1) y) softplus(-x)
        elementwise = (1 - y) * x + lw * softplus_neg
        w = None if self.weight is None else np.asarray(self.weight, dtype=x.dtype)
        if w is not None:
            elementwise = elementwise * w
        self._cache = (x, y, lw, w)
        return self._reduce(elementwise)

    def backward(self, grad_out: Any = None) -> np.ndarray:
        x, y, lw, w = self._cached()
        # sigma(-x), stably
        e = np.exp(-np.abs(x))
        sig_neg = np.where(x >= 0, e / (1 + e), 1 / (1 + e))
        # dl/dx = (1 - y) - (1 + (p - 1) y) sigma(-x)
        grad = (1 - y) - lw * sig_neg
        if w is not None:
            grad = grad * w
        grad = self._reduce_grad(grad, grad_out, x.shape, x.size)
        return np.broadcast_to(grad, x.shape).copy() if grad.shape != x.shape else grad
