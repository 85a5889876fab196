"""Normalisation layers: batch, layer, instance and group norm, with hand-written backward.

All four standardise a group of values and then apply a per-channel (or per-feature)
affine map; they differ only in *which* axes of an (N, C, H, W) tensor form a group:

=============  ===========================  ==========================================
layer          averages over                one (mean, variance) per
=============  ===========================  ==========================================
BatchNorm      N, H, W                      channel c
LayerNorm      the trailing normalized_shape  sample n (e.g. C, H, W together)
InstanceNorm   H, W                         sample n and channel c
GroupNorm      C/G channels, H, W           sample n and group g of channels
=============  ===========================  ==========================================

Forward, for one group of M values ``x_1..x_M``::

    mu    = (1/M) sum_i x_i
    var   = (1/M) sum_i (x_i - mu)^2                (the *biased* variance)
    r     = 1 / sqrt(var + eps)
    xhat  = (x - mu) r
    y     = gamma xhat + beta

Backward.  With ``gh = dL/dxhat = gamma * dL/dy`` and noting that ``mu`` and ``var``
depend on every ``x_j``::

    d xhat_k / d x_j = r (delta_kj - 1/M) - r xhat_k xhat_j / M

so, summing over k,

    dL/dx_j   = r (gh_j - mean(gh) - xhat_j mean(gh xhat))
    dL/dgamma = sum dL/dy * xhat      dL/dbeta = sum dL/dy   (over the non-channel axes)

Batch norm in evaluation mode uses fixed running estimates instead of ``mu, var``, so
there ``dL/dx = gamma r dL/dy``.  The running estimates follow PyTorch: with factor
``f = momentum`` (or ``1/num_batches_tracked`` when ``momentum=None``),

    running_mean <- (1 - f) running_mean + f mu
    running_var  <- (1 - f) running_var  + f var * M/(M - 1)     (the *unbiased* variance)

(the notes' errata: the biased variance normalises, the unbiased one is tracked).

References
----------
Ioffe & Szegedy, "Batch Normalization" (2015); Ba, Kiros & Hinton, "Layer
Normalization" (2016); Ulyanov, Vedaldi & Lempitsky, "Instance Normalization" (2016);
Wu & He, "Group Normalization" (2018).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .module import Module, Parameter, as_float_array, check_device_dtype

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "InstanceNorm2d", "GroupNorm",
           "normalize", "normalize_backward"]


def normalize(x: np.ndarray, axes: tuple[int, ...], eps: float):
    """Standardise ``x`` over ``axes`` with the biased variance.

    Returns
    -------
    xhat, mean, var, inv_std : ndarrays (the last three keep the reduced axes as size 1)
    """
    # mu = (1/M) sum_i x_i
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    # var = (1/M) sum_i (x_i - mu)^2
    var = np.mean(xc * xc, axis=axes, keepdims=True)
    # r = 1 / sqrt(var + eps)
    inv_std = 1.0 / np.sqrt(var + eps)
    # xhat = (x - mu) r
    return xc * inv_std, mean, var, inv_std


def normalize_backward(gh: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray,
                       axes: tuple[int, ...]) -> np.ndarray:
    """``dL/dx`` from ``gh = dL/dxhat`` when the statistics were computed over ``axes``.

    ``dL/dx = r (gh - mean(gh) - xhat mean(gh xhat))`` (see the module docstring).
    """
    mean_gh = gh.mean(axis=axes, keepdims=True)
    mean_gh_xhat = np.mean(gh * xhat, axis=axes, keepdims=True)
    return inv_std * (gh - mean_gh - xhat * mean_gh_xhat)


def _check_eps_momentum(eps: float, momentum: float | None) -> None:
    if not isinstance(eps, numbers.Real) or eps < 0:
        raise ValueError(f"eps must be a non-negative float, got {eps!r}")
    if momentum is not None and (not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1):
        raise ValueError(f"momentum must be None or a float in [0, 1], got {momentum!r}")


class _RunningStatsNorm(Module):
    """Shared code of batch and instance norm: affine parameters and running buffers."""

    def __init__(self, num_features: int, eps: float, momentum: float | None, affine: bool,
                 track_running_stats: bool, device: Any, dtype: Any) -> None:
        super().__init__()
        if not isinstance(num_features, numbers.Integral) or num_features < 1:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        _check_eps_momentum(eps, momentum)
        dt = check_device_dtype(device, dtype)
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        if self.affine:
            self.weight = Parameter(np.ones(num_features, dtype=dt))
            self.bias = Parameter(np.zeros(num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dt))
            self.register_buffer("running_var", np.ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")

    def _channel_shape(self, x: np.ndarray) -> tuple[int, ...]:
        """Shape that broadcasts a (C,) vector along axis 1 of ``x``."""
        return (1, self.num_features) + (1,) * (x.ndim - 2)

    def _affine(self, xhat: np.ndarray) -> np.ndarray:
        if not self.affine:
            return xhat
        shape = self._channel_shape(xhat)
        # y = gamma xhat + beta
        return (xhat * self.weight.data.astype(xhat.dtype, copy=False).reshape(shape)
                + self.bias.data.astype(xhat.dtype, copy=False).reshape(shape))

    def _affine_backward(self, g: np.ndarray, xhat: np.ndarray) -> np.ndarray:
        """Accumulate dL/dgamma, dL/dbeta; return gh = dL/dxhat."""
        if not self.affine:
            return g
        axes = (0,) + tuple(range(2, g.ndim))
        # dL/dgamma = sum g xhat ;  dL/dbeta = sum g   (over N and the spatial axes)
        self.weight.accumulate_grad(np.sum(g * xhat, axis=axes))
        self.bias.accumulate_grad(g.sum(axis=axes))
        # dL/dxhat = gamma g
        return g * self.weight.data.astype(g.dtype, copy=False).reshape(self._channel_shape(g))

    def _update_running(self, mean: np.ndarray, var_unbiased: np.ndarray, factor: float) -> None:
        # running <- (1 - f) running + f batch_statistic
        self.running_mean[...] = (1 - factor) * self.running_mean + factor * mean
        self.running_var[...] = (1 - factor) * self.running_var + factor * var_unbiased


class _BatchNorm(_RunningStatsNorm):
    _ndims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        name = type(self).__name__
        if x.ndim not in self._ndims:
            raise ValueError(f"{name} expected a {' or '.join(f'{d}-D' for d in self._ndims)} input, "
                             f"got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name} expected {self.num_features} channels on axis 1, got shape {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            m = x.size // self.num_features
            if self.training and m <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
            xhat, mean, var, inv_std = normalize(x, axes, self.eps)
            if self.training and self.track_running_stats:
                self.num_batches_tracked += 1
                if self.momentum is None:  # cumulative average of every batch so far
                    factor = 1.0 / float(self.num_batches_tracked)
                else:
                    factor = self.momentum
                # the running variance is the unbiased one: var * M / (M - 1)
                self._update_running(mean.reshape(-1), var.reshape(-1) * (m / (m - 1)), factor)
        else:
            shape = self._channel_shape(x)
            mean = self.running_mean.astype(x.dtype, copy=False).reshape(shape)
            inv_std = 1.0 / np.sqrt(self.running_var.astype(x.dtype, copy=False).reshape(shape) + self.eps)
            xhat = (x - mean) * inv_std
        self._cache = (xhat, inv_std, axes, use_batch_stats)
        return self._affine(xhat)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        xhat, inv_std, axes, use_batch_stats = self._cached()
        gh = self._affine_backward(np.asarray(grad_out, dtype=xhat.dtype), xhat)
        if use_batch_stats:
            return normalize_backward(gh, xhat, inv_std, axes)
        # fixed statistics: xhat is affine in x, dxhat/dx = r
        return gh * inv_std


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs: one mean/variance per channel.

    Parameters
    ----------
    num_features : int
        C.
    eps : float, default=1e-5
    momentum : float or None, default=0.1
        Weight of the new batch in the running estimates; None = cumulative average.
    affine : bool, default=True
        Learn ``weight`` (gamma, init 1) and ``bias`` (beta, init 0).
    track_running_stats : bool, default=True
        Keep ``running_mean``, ``running_var`` (unbiased) and ``num_batches_tracked``
        and use them in eval mode; if False, batch statistics are always used.
    device, dtype : PyTorch's arguments.

    Examples
    --------
    >>> bn = BatchNorm1d(2)
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> y.round(4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean, bn.running_var     # 0.9*0 + 0.1*mean ; 0.9*1 + 0.1*unbiased var
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs: one mean/variance per channel over N, H, W.

    Same parameters as :class:`BatchNorm1d`.

    Examples
    --------
    >>> bn = BatchNorm2d(3)
    >>> y = bn(np.random.default_rng(0).normal(5, 2, size=(8, 3, 4, 4)))
    >>> bool(np.allclose(y.mean(axis=(0, 2, 3)), 0)), bool(np.allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3))
    (True, True)
    """

    _ndims = (4,)


class InstanceNorm2d(_RunningStatsNorm):
    """Instance norm: each sample's each channel standardised over its own H, W.

    Parameters
    ----------
    num_features : int
    eps : float, default=1e-5
    momentum : float or None, default=0.1
    affine : bool, default=False
        As in PyTorch, no learnable gamma/beta unless asked for.
    track_running_stats : bool, default=False
        If True, running estimates (the batch average of the per-instance statistics)
        are kept in training and used in eval mode.
    device, dtype : PyTorch's arguments.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    >>> y = InstanceNorm2d(3)(x)
    >>> bool(np.allclose(y.mean(axis=(2, 3)), 0))
    True
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        if x.ndim not in (3, 4):
            raise ValueError(f"InstanceNorm2d expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
        unbatched = x.ndim == 3
        if unbatched:
            x = x[None]
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(f"InstanceNorm2d expected {self.num_features} channels, got shape {x.shape}")
        axes = (2, 3)
        use_instance_stats = self.training or not self.track_running_stats
        if use_instance_stats:
            m = x.shape[2] * x.shape[3]
            if m <= 1:
                raise ValueError(f"Expected more than 1 spatial element when training, got input size {x.shape}")
            xhat, mean, var, inv_std = normalize(x, axes, self.eps)
            if self.training and self.track_running_stats:
                # PyTorch's instance norm never counts batches; momentum=None means f = 0
                factor = 0.0 if self.momentum is None else self.momentum
                # running <- (1-f) running + f * (batch average of each instance's statistic)
                self._update_running(mean.reshape(x.shape[:2]).mean(axis=0),
                                     (var.reshape(x.shape[:2]) * (m / (m - 1))).mean(axis=0), factor)
        else:
            shape = self._channel_shape(x)
            mean = self.running_mean.astype(x.dtype, copy=False).reshape(shape)
            inv_std = 1.0 / np.sqrt(self.running_var.astype(x.dtype, copy=False).reshape(shape) + self.eps)
            xhat = (x - mean) * inv_std
        self._cache = (xhat, inv_std, axes, use_instance_stats, unbatched)
        y = self._affine(xhat)
        return y[0] if unbatched else y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        xhat, inv_std, axes, use_instance_stats, unbatched = self._cached()
        g = np.asarray(grad_out, dtype=xhat.dtype)
        if unbatched:
            g = g[None]
        gh = self._affine_backward(g, xhat)
        dx = normalize_backward(gh, xhat, inv_std, axes) if use_instance_stats else gh * inv_std
        return dx[0] if unbatched else dx


class LayerNorm(Module):
    """Layer norm: each sample standardised over its trailing ``normalized_shape`` axes.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape to normalise over (e.g. ``(C, H, W)`` or the feature size).
    eps : float, default=1e-5
    elementwise_affine : bool, default=True
        Learn ``weight`` (init 1) and ``bias`` (init 0) of shape ``normalized_shape``.
    bias : bool, default=True
        With ``elementwise_affine``, whether to learn the bias too.
    device, dtype : PyTorch's arguments.

    Examples
    --------
    >>> LayerNorm(3)(np.array([[1.0, 2.0, 3.0]])).round(4)
    array([[-1.2247,  0.    ,  1.2247]])
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        if not self.normalized_shape or any(s < 1 for s in self.normalized_shape):
            raise ValueError(f"normalized_shape must be positive ints, got {normalized_shape!r}")
        _check_eps_momentum(eps, None)
        dt = check_device_dtype(device, dtype)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape:
            raise ValueError(f"LayerNorm expected an input ending in {self.normalized_shape}, got shape {x.shape}")
        axes = tuple(range(x.ndim - k, x.ndim))
        xhat, _, _, inv_std = normalize(x, axes, self.eps)
        self._cache = (xhat, inv_std, axes)
        y = xhat
        if self.weight is not None:
            # y = gamma xhat + beta  (gamma, beta broadcast over the leading axes)
            y = y * self.weight.data.astype(x.dtype, copy=False)
        if self.bias is not None:
            y = y + self.bias.data.astype(x.dtype, copy=False)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        xhat, inv_std, axes = self._cached()
        g = np.asarray(grad_out, dtype=xhat.dtype)
        lead = tuple(range(g.ndim - len(axes)))
        gh = g
        if self.weight is not None:
            # dL/dgamma = sum over leading axes of g xhat
            self.weight.accumulate_grad(np.sum(g * xhat, axis=lead))
            gh = g * self.weight.data.astype(g.dtype, copy=False)
        if self.bias is not None:
            self.bias.accumulate_grad(g.sum(axis=lead))
        return normalize_backward(gh, xhat, inv_std, axes)


class GroupNorm(Module):
    """Group norm: the channels split into ``num_groups`` groups, each sample's group standardised.

    Parameters
    ----------
    num_groups : int
        Must divide ``num_channels``.  ``num_groups=1`` is a layer norm over (C, H, W)
        with per-channel affine; ``num_groups=num_channels`` an instance norm.
    num_channels : int
    eps : float, default=1e-5
    affine : bool, default=True
        Per-channel ``weight`` (init 1) and ``bias`` (init 0).
    device, dtype : PyTorch's arguments.

    Examples
    --------
    >>> gn = GroupNorm(2, 4)
    >>> y = gn(np.random.default_rng(0).normal(size=(3, 4, 5, 5)))
    >>> bool(np.allclose(y.reshape(3, 2, -1).mean(axis=2), 0))
    True
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        for name, v in (("num_groups", num_groups), ("num_channels", num_channels)):
            if not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        _check_eps_momentum(eps, None)
        dt = check_device_dtype(device, dtype)
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps = float(eps)
        self.affine = bool(affine)
        if self.affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dt))
            self.bias = Parameter(np.zeros(num_channels, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm expected an (N, {self.num_channels}, ...) input, got shape {x.shape}")
        N = x.shape[0]
        # (N, C, *spatial) -> (N, G, C/G * prod(spatial)): one group per row
        xg = x.reshape(N, self.num_groups, -1)
        xhat_g, _, _, inv_std = normalize(xg, (2,), self.eps)
        xhat = xhat_g.reshape(x.shape)
        self._cache = (xhat, inv_std)
        if not self.affine:
            return xhat
        shape = (1, self.num_channels) + (1,) * (x.ndim - 2)
        return (xhat * self.weight.data.astype(x.dtype, copy=False).reshape(shape)
                + self.bias.data.astype(x.dtype, copy=False).reshape(shape))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        xhat, inv_std = self._cached()
        g = np.asarray(grad_out, dtype=xhat.dtype)
        gh = g
        if self.affine:
            axes = (0,) + tuple(range(2, g.ndim))
            self.weight.accumulate_grad(np.sum(g * xhat, axis=axes))
            self.bias.accumulate_grad(g.sum(axis=axes))
            shape = (1, self.num_channels) + (1,) * (g.ndim - 2)
            gh = g * self.weight.data.astype(g.dtype, copy=False).reshape(shape)
        N = g.shape[0]
        dx = normalize_backward(gh.reshape(N, self.num_groups, -1), xhat.reshape(N, self.num_groups, -1),
                                inv_std, (2,))
        return dx.reshape(g.shape)
