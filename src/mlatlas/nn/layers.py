"""Dense layers and element-wise activations, each forward next to its local derivative.

=========  ===============================  ===========================================
layer      forward                          backward (``g = dL/dy``)
=========  ===============================  ===========================================
Linear     y = x W^T + b                    dL/dx = g W,  dL/dW = g^T x,  dL/db = sum g
ReLU       y = max(x, 0)                    dL/dx = g * 1[x > 0]
Sigmoid    y = 1 / (1 + e^{-x})             dL/dx = g * y (1 - y)
Tanh       y = tanh x                       dL/dx = g * (1 - y^2)
Dropout    y = x * m / (1 - p), m~B(1-p)    dL/dx = g * m / (1 - p)
Flatten    reshape                          reshape back
=========  ===============================  ===========================================

Weights are initialised like PyTorch's defaults (uniform in +-1/sqrt(fan_in)) but
from a local NumPy generator (``random_state``), so values differ from PyTorch's;
copy a PyTorch state with :meth:`Module.load_state_dict` to get identical layers.

References
----------
Goodfellow, Bengio, Courville, *Deep Learning* (2016), ch. 6 (back-propagation);
Srivastava et al., "Dropout", JMLR 15 (2014).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import check_random_state
from .module import Module, Parameter, as_float_array, check_device_dtype

__all__ = ["Linear", "Identity", "ReLU", "Sigmoid", "Tanh", "Dropout", "Flatten", "init_uniform"]


def init_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, dtype: Any) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for Linear/Conv weights and biases.

    (``kaiming_uniform_(a=sqrt(5))`` has bound ``sqrt(6 / ((1 + a^2) fan_in)) = 1/sqrt(fan_in)``.)
    """
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def _check_positive_int(value: Any, name: str, allow_zero: bool = False) -> int:
    import numbers

    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        what = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {what} int, got {value!r}")
    return int(value)


class Linear(Module):
    """Affine map ``y = x W^T + b`` on the last axis.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default=True
    device, dtype : PyTorch's arguments (CPU only; parameters default to float64).
    random_state : None, int or Generator, keyword-only
        Generator for the initial weights.

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
    bias : Parameter, shape (out_features,) or None

    Examples
    --------
    >>> layer = Linear(2, 1, random_state=0)
    >>> layer.weight.data[:] = [[0.2, -0.4]]; layer.bias.data[:] = [0.5]
    >>> layer(np.array([[0.0, 1.7]])).round(4)
    array([[-0.18]])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, *, random_state: Any = None) -> None:
        super().__init__()
        self.in_features = _check_positive_int(in_features, "in_features", allow_zero=True)
        self.out_features = _check_positive_int(out_features, "out_features", allow_zero=True)
        dt = check_device_dtype(device, dtype)
        rng = check_random_state(random_state)
        self.weight = Parameter(init_uniform(rng, (out_features, in_features), in_features, dt))
        if bias:
            self.bias = Parameter(init_uniform(rng, (out_features,), in_features, dt))
        else:
            self.register_parameter("bias", None)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear expected input with last dimension {self.in_features}, got shape {x.shape}")
        self._cache = x
        W = self.weight.data.astype(x.dtype, copy=False)
        # y = x W^T + b      (..., in) @ (in, out) -> (..., out)
        y = x @ W.T
        if self.bias is not None:
            y += self.bias.data.astype(x.dtype, copy=False)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached()
        g = np.asarray(grad_out, dtype=x.dtype)
        g2 = g.reshape(-1, self.out_features)  # (M, out), M = prod of leading axes
        x2 = x.reshape(-1, self.in_features)  # (M, in)
        # dL/dW = g^T x      (out, M) @ (M, in) -> (out, in)
        self.weight.accumulate_grad(g2.T @ x2)
        if self.bias is not None:
            # dL/db = sum over every leading axis of g
            self.bias.accumulate_grad(g2.sum(axis=0))
        # dL/dx = g W        (..., out) @ (out, in) -> (..., in)
        return g @ self.weight.data.astype(x.dtype, copy=False)


class Identity(Module):
    """``y = x``; useful as a placeholder (e.g. an "identity" activation)."""

    def forward(self, x: Any) -> np.ndarray:
        return as_float_array(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.asarray(grad_out)


class ReLU(Module):
    """``y = max(x, 0)``; the derivative at 0 is taken as 0 (as PyTorch does).

    ``inplace`` is accepted for PyTorch compatibility and ignored (NumPy arrays are
    never overwritten here).
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        self._cache = x > 0  # the mask 1[x > 0]
        # y = max(x, 0)   (np.maximum keeps a NaN as NaN, as torch.relu does)
        return np.maximum(x, np.zeros((), dtype=x.dtype))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # dy/dx = 1[x > 0]
        return grad_out * self._cached()


class Sigmoid(Module):
    """``y = 1 / (1 + exp(-x))``, evaluated without overflow for large ``|x|``."""

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        # sigma(x) = 1/(1+e^{-x}) for x >= 0 and e^{x}/(1+e^{x}) for x < 0 (no overflow)
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        self._cache = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached()
        # dy/dx = y (1 - y)
        return grad_out * (y * (1 - y))


class Tanh(Module):
    """``y = tanh(x)``."""

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        y = np.tanh(x)
        self._cache = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # dy/dx = 1 - y^2
        y = self._cached()
        return grad_out * (1 - y * y)


class Dropout(Module):
    """Zero each element with probability ``p`` in training, scale the rest by ``1/(1-p)``.

    In evaluation mode it is the identity.  The mask drawn in ``forward`` is reused by
    ``backward``.

    Parameters
    ----------
    p : float in [0, 1], default=0.5
    inplace : bool
        Accepted for PyTorch compatibility; ignored.
    random_state : None, int or Generator, keyword-only
        Generator for the masks (PyTorch's own random stream cannot be reproduced).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, random_state: Any = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = float(p)
        self.inplace = inplace
        self._rng = check_random_state(random_state)

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        if not self.training or self.p == 0.0:
            self._cache = (None,)  # identity: no mask
            return x
        keep = 1.0 - self.p
        # m ~ Bernoulli(1 - p);  y = x * m / (1 - p)   (p = 1 gives zeros)
        mask = self._rng.random(x.shape) < keep
        scale = mask.astype(x.dtype) * (x.dtype.type(1.0 / keep) if keep > 0 else x.dtype.type(0))
        self._cache = (scale,)
        return x * scale

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        (scale,) = self._cached()
        if scale is None:
            return np.asarray(grad_out)
        # dy/dx = m / (1 - p)
        return grad_out * scale


class Flatten(Module):
    """Flatten axes ``start_dim..end_dim`` into one (default: all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        self._cache = x.shape
        if x.ndim == 0:
            return x.reshape(1)
        start = self.start_dim % x.ndim
        end = self.end_dim % x.ndim
        if start > end:
            raise ValueError(f"flatten() has invalid args: start_dim {self.start_dim} cannot come "
                             f"after end_dim {self.end_dim} for a {x.ndim}-D input")
        # (d0, ..., d_start, ..., d_end, ...) -> (d0, ..., prod(d_start..d_end), ...)
        return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.asarray(grad_out).reshape(self._cached())
