"""Upsampling by interpolation: nearest, (bi/tri)linear and bicubic, with PyTorch's exact rules.

Every mode is *separable*: along each spatial axis, output sample ``dst`` is a fixed
weighted sum of a few input samples.  So along one axis the resampling is a matrix
``A`` of shape (out, in), and a 2-D upsample is ``y = A_h x A_w^T`` for every (n, c).
Its backward is the transpose, ``dL/dx = A_h^T (dL/dy) A_w``: each output gradient is
scattered back (added) onto the input samples it was read from, with the same weights.

Where a destination index ``dst`` reads from (``scale`` as defined below)::

    nearest                 src = min(floor(dst * scale), in - 1)        (computed in float32)
    linear, align_corners   src = dst * (in - 1) / (out - 1)
    linear, otherwise       src = max(scale * (dst + 0.5) - 0.5, 0)
    cubic                   the same without the clamp at 0

``scale`` is ``1 / scale_factor`` when a ``scale_factor`` was given (and not
recomputed), else ``in / out`` - which is why ``scale_factor=1.7`` and ``size=floor(1.7 in)``
can give different results, in PyTorch and here.

* linear: ``i0 = floor(src)``, ``t = src - i0``, weights ``(1 - t, t)`` on ``i0`` and
  ``min(i0 + 1, in - 1)``;
* cubic (Keys' kernel with ``A = -0.75``): weights on ``i0 - 1 .. i0 + 2`` (indices
  clamped to the border)::

      W(s) = (A + 2)|s|^3 - (A + 3)|s|^2 + 1          for |s| <= 1
      W(s) = A|s|^3 - 5A|s|^2 + 8A|s| - 4A            for 1 < |s| < 2

  i.e. ``(W(t + 1), W(t), W(1 - t), W(2 - t))``;
* nearest: a single weight 1.  PyTorch's 2-D kernels special-case ``out == in``
  (copy) and ``out == 2 in`` (``dst >> 1``) to avoid float rounding, in forward and
  backward; we do so for every dimensionality.  (PyTorch 2.13's 1-D and 3-D *forward*
  skip these special cases while their backward applies them, so for those inputs
  the two libraries differ only when a ``scale_factor`` other than 1 or 2 rounds to an
  output of exactly ``in`` or ``2 in`` samples, e.g. 3 samples with ``scale_factor=1.1``.)

References
----------
R. Keys, "Cubic convolution interpolation for digital image processing", IEEE
Trans. ASSP 29 (1981); PyTorch ``torch.nn.Upsample`` / ``F.interpolate`` documentation.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .module import Module, as_float_array

__all__ = ["Upsample", "interpolate", "interpolation_matrix"]

_MODES = {"nearest": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """Keys' cubic-convolution weights of the taps at offsets -1, 0, 1, 2 for fraction t."""
    A = _CUBIC_A

    def near(s):  # |s| <= 1
        return ((A + 2) * s - (A + 3)) * s * s + 1

    def far(s):  # 1 < |s| < 2
        return ((A * s - 5 * A) * s + 8 * A) * s - 4 * A

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _source_scale(in_size: int, out_size: int, align_corners: bool, scale_factor: float | None) -> float:
    """PyTorch's area_pixel_compute_scale: the step in input coordinates per output sample."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return in_size / out_size


def interpolation_matrix(in_size: int, out_size: int, mode: str, align_corners: bool = False,
                         scale_factor: float | None = None) -> np.ndarray:
    """The (out_size, in_size) matrix that resamples one axis.

    Parameters
    ----------
    in_size, out_size : int
    mode : {"nearest", "linear", "cubic"}
        ("bilinear"/"trilinear" mean "linear" and "bicubic" means "cubic" per axis.)
    align_corners : bool
    scale_factor : float or None
        The user's scale factor for this axis, if one was given (it changes ``scale``).

    Returns
    -------
    A : ndarray, shape (out_size, in_size), float64
        Row ``dst`` holds the weights of the input samples output ``dst`` reads.

    Examples
    --------
    >>> interpolation_matrix(2, 4, "linear")
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]])
    """
    A = np.zeros((out_size, in_size))
    dst = np.arange(out_size)
    if mode == "nearest":
        if out_size == in_size:
            src = dst
        elif out_size == 2 * in_size:
            src = dst >> 1
        else:
            # PyTorch computes this index in single precision: floor(float32(dst) * float32(scale))
            if scale_factor is not None and scale_factor > 0:
                scale = np.float32(1.0 / scale_factor)
            else:
                scale = np.float32(in_size) / np.float32(out_size)
            src = np.minimum(np.floor(dst.astype(np.float32) * scale).astype(np.int64), in_size - 1)
        A[dst, src] = 1.0
        return A
    scale = _source_scale(in_size, out_size, align_corners, scale_factor)
    if align_corners:
        real = scale * dst
    else:
        real = scale * (dst + 0.5) - 0.5
    if mode == "linear":
        if not align_corners:
            real = np.maximum(real, 0.0)
        # i0 = floor(src) (at most in - 1), t = src - i0 in [0, 1]
        i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
        t = np.clip(real - i0, 0.0, 1.0)
        i1 = np.minimum(i0 + 1, in_size - 1)
        np.add.at(A, (dst, i0), 1.0 - t)
        np.add.at(A, (dst, i1), t)
        return A
    if mode == "cubic":
        i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
        t = np.clip(real - i0, 0.0, 1.0)
        w = _cubic_weights(t)  # (out, 4)
        for k, offset in enumerate((-1, 0, 1, 2)):
            # taps beyond the border read the border sample (index clamping)
            idx = np.clip(i0 + offset, 0, in_size - 1)
            np.add.at(A, (dst, idx), w[:, k])
        return A
    raise ValueError(f"mode must be 'nearest', 'linear' or 'cubic', got {mode!r}")


def _output_size_and_scales(spatial: tuple[int, ...], size: Any, scale_factor: Any,
                            recompute_scale_factor: bool | None) -> tuple[tuple[int, ...], list]:
    dims = len(spatial)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
        if len(sizes) != dims:
            raise ValueError(f"size {size!r} does not match the {dims} spatial dimensions of the input")
        if not all(isinstance(s, numbers.Integral) and s > 0 for s in sizes):
            raise ValueError(f"size must contain positive ints, got {size!r}")
        return tuple(int(s) for s in sizes), [None] * dims
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * dims
    if len(factors) != dims:
        raise ValueError(f"scale_factor {scale_factor!r} does not match the {dims} spatial dimensions")
    factors = tuple(float(f) for f in factors)
    if any(f <= 0 for f in factors):
        raise ValueError(f"scale_factor must be positive, got {scale_factor!r}")
    # output size = floor(in * scale_factor)
    out = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
    if any(o < 1 for o in out):
        raise ValueError(f"scale_factor {scale_factor!r} gives an empty output for input size {spatial}")
    if recompute_scale_factor:
        # the sizes are kept, the scales come from them (in / out) as if size had been given
        return out, [None] * dims
    return out, list(factors)


def _apply_axis(x: np.ndarray, A: np.ndarray, axis: int) -> np.ndarray:
    """Multiply axis ``axis`` of ``x`` by ``A`` (out, in): y[..., o, ...] = sum_i A[o, i] x[..., i, ...]."""
    moved = np.moveaxis(x, axis, -1)  # (..., in)
    y = moved @ A.T  # (..., in) @ (in, out) -> (..., out)
    return np.moveaxis(y, -1, axis)


class Upsample(Module):
    """Resample the spatial axes of (N, C, L), (N, C, H, W) or (N, C, D, H, W) inputs.

    Parameters
    ----------
    size : int or tuple of int, optional
        Output spatial size.
    scale_factor : float or tuple of float, optional
        Multiplier of the spatial size (output = floor(in * scale_factor)).
    mode : {"nearest", "linear", "bilinear", "bicubic", "trilinear"}, default="nearest"
        "linear" needs 3-D input, "bilinear"/"bicubic" 4-D, "trilinear" 5-D.
    align_corners : bool or None
        For the interpolating modes: if True the corner samples of input and output
        coincide; if False (default) the samples are pixel centres.  Must be None for
        "nearest".
    recompute_scale_factor : bool or None
        If True, the scale used to place the samples is recomputed from the output size
        (in / out) instead of ``1 / scale_factor``.

    Notes
    -----
    Forward and backward are products with the per-axis matrices of
    :func:`interpolation_matrix` (backward = the transposed matrices, i.e. the
    scatter-add of each output gradient onto the input samples it read).

    Examples
    --------
    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> Upsample(scale_factor=2, mode="nearest")(x)[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    >>> Upsample(scale_factor=2, mode="bilinear", align_corners=True)(x)[0, 0, 0].round(4)
    array([1.    , 1.3333, 1.6667, 2.    ])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {sorted(_MODES)}, got {mode!r}")
        if mode == "nearest" and align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
        if size is None and scale_factor is None:
            raise ValueError("either size or scale_factor should be defined")
        if size is not None and scale_factor is not None:
            raise ValueError("only one of size or scale_factor should be defined")
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        dims = _MODES[self.mode]
        if x.ndim < 3 or x.ndim > 5 or (dims is not None and x.ndim - 2 != dims):
            need = "3-D, 4-D or 5-D" if dims is None else f"{dims + 2}-D"
            raise ValueError(f"Upsample(mode={self.mode!r}) expects a {need} input, got shape {x.shape}")
        spatial = x.shape[2:]
        out_size, scales = _output_size_and_scales(spatial, self.size, self.scale_factor,
                                                   self.recompute_scale_factor)
        axis_mode = {"nearest": "nearest", "bicubic": "cubic"}.get(self.mode, "linear")
        align = bool(self.align_corners)
        mats = [interpolation_matrix(n_in, n_out, axis_mode, align, s).astype(x.dtype)
                for n_in, n_out, s in zip(spatial, out_size, scales)]
        self._cache = mats
        y = x
        for k, A in enumerate(mats):
            # y <- A applied along spatial axis k     (..., in_k, ...) -> (..., out_k, ...)
            y = _apply_axis(y, A, 2 + k)
        return np.ascontiguousarray(y)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = np.asarray(grad_out)
        for k, A in enumerate(self._cached()):
            # dL/dx = A^T dL/dy along each axis: scatter-add onto the samples that were read
            g = _apply_axis(g, A.T, 2 + k)
        return np.ascontiguousarray(g)


def interpolate(x: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> np.ndarray:
    """Functional form of :class:`Upsample` (forward only), like ``torch.nn.functional.interpolate``.

    Examples
    --------
    >>> interpolate(np.arange(3.0).reshape(1, 1, 3), size=5, mode="linear", align_corners=True)[0, 0]
    array([0. , 0.5, 1. , 1.5, 2. ])
    """
    return Upsample(size, scale_factor, mode, align_corners, recompute_scale_factor)(x)
