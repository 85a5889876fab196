"""2-D convolution and transposed convolution by im2col / col2im and one matrix product.

Convolution (cross-correlation, as in every deep-learning library), input ``x`` of
shape (N, C, H, W), weight ``w`` of shape (O, C/groups, kh, kw), stride ``s``,
padding ``p``, dilation ``d``::

    y[n, o, a, b] = bias[o] + sum_{c, i, j} w[o, c, i, j] * xp[n, c, s*a + d*i, s*b + d*j]

where ``xp`` is ``x`` zero-padded by ``p`` and the output size is
``H_out = floor((H + 2p - d (kh - 1) - 1) / s) + 1``.

im2col gathers, for every output position, the ``C kh kw`` input values it sees:
``cols[(c, i, j), (n, a, b)] = xp[n, c, s a + d i, s b + d j]``; the convolution is
then one matrix product ``Y = W cols`` with ``W`` reshaped to (O, C kh kw).  Its
derivatives are matrix products too:

    dL/dW    = dY cols^T                       (O, M) @ (M, C kh kw)
    dL/dcols = W^T dY                          (C kh kw, O) @ (O, M)
    dL/dx    = col2im(dL/dcols)                scatter-add each column back where im2col took it

A transposed convolution ("deconvolution") is exactly the backward-for-input of a
convolution: every input pixel stamps a copy of the kernel, scaled by the pixel,
onto the (stride-spaced) output canvas, and overlapping stamps add up.  So its forward
is ``col2im(W^T x)``, its backward for the input is ``W im2col(dY)``, and its output
size is ``H_out = (H - 1) s - 2p + d (kh - 1) + output_padding + 1``.

Two versions of each layer: the plain functions below (:func:`_conv2d_plain`,
:func:`_conv2d_backward_plain`, :func:`_conv_transpose2d_plain`,
:func:`_conv_transpose2d_backward_plain`) are these equations on the whole batch, with
:func:`im2col` and :func:`col2im` as defined below.  The layers compute the same thing
with the fast plan of :mod:`._conv_kernels` (phase planes that turn every gather and
scatter into contiguous copies, cache-sized chunks of images, threads); the tests check
the two agree.

References
----------
Chellapilla, Puri, Simard, "High performance convolutional neural networks for
document processing" (2006) - im2col + GEMM; Dumoulin & Visin, "A guide to
convolution arithmetic for deep learning" (2016) - the size formulas.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..base import check_random_state
from . import _conv_kernels as _kernels
from .layers import init_uniform
from .module import Module, Parameter, as_float_array, check_device_dtype

__all__ = ["Conv2d", "ConvTranspose2d", "conv2d", "conv_transpose2d", "im2col", "col2im"]


def _pair(value: Any, name: str, minimum: int) -> tuple[int, int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value), int(value))
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    for v in (a, b):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < minimum:
            raise ValueError(f"{name} must contain ints >= {minimum}, got {value!r}")
    return int(a), int(b)


# ----------------------------------------------------------------------------------
# im2col / col2im
# ----------------------------------------------------------------------------------
def im2col(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """Gather the receptive fields of a padded input.

    Parameters
    ----------
    xp : ndarray, shape (N, C, Hp, Wp)
        The input, already padded.
    kernel, stride, dilation : (int, int)
    out_hw : (int, int)
        Number of output positions (H_out, W_out).

    Returns
    -------
    cols : ndarray, shape (C, kh, kw, N, H_out, W_out)
        ``cols[c, i, j, n, a, b] = xp[n, c, s_h a + d_h i, s_w b + d_w j]``.
    """
    N, C = xp.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    cols = np.empty((C, kh, kw, N, ho, wo), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            # the (N, C, ho, wo) block of input values that kernel tap (i, j) multiplies
            block = xp[:, :, dh * i: dh * i + sh * (ho - 1) + 1: sh, dw * j: dw * j + sw * (wo - 1) + 1: sw]
            cols[:, i, j] = block.transpose(1, 0, 2, 3)
    return cols


def col2im(cols: np.ndarray, canvas_hw: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int]) -> np.ndarray:
    """Scatter-add columns back onto a (padded) canvas: the adjoint of :func:`im2col`.

    Parameters
    ----------
    cols : ndarray, shape (C, kh, kw, N, H_out, W_out)
    canvas_hw : (int, int)
        Size (Hp, Wp) of the padded canvas.

    Returns
    -------
    canvas : ndarray, shape (N, C, Hp, Wp)
        ``canvas[n, c, s_h a + d_h i, s_w b + d_w j] += cols[c, i, j, n, a, b]``.
    """
    C, kh, kw, N, ho, wo = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    canvas = np.zeros((N, C) + tuple(canvas_hw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            canvas[:, :, dh * i: dh * i + sh * (ho - 1) + 1: sh,
                   dw * j: dw * j + sw * (wo - 1) + 1: sw] += cols[:, i, j].transpose(1, 0, 2, 3)
    return canvas


def _pad(x: np.ndarray, pads: tuple[int, int, int, int]) -> np.ndarray:
    """Zero-pad (N, C, H, W) by (top, bottom, left, right)."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    out = np.zeros(x.shape[:2] + (x.shape[2] + top + bottom, x.shape[3] + left + right), dtype=x.dtype)
    out[:, :, top: top + x.shape[2], left: left + x.shape[3]] = x
    return out


def _conv_output_hw(hw, pads, kernel, stride, dilation) -> tuple[int, int]:
    """(H_out, W_out) = floor((H + p_top + p_bottom - d (k - 1) - 1) / s) + 1, each axis."""
    (H, W), (top, bottom, left, right), (kh, kw), (sh, sw), (dh, dw) = hw, pads, kernel, stride, dilation
    return ((H + top + bottom - dh * (kh - 1) - 1) // sh + 1,
            (W + left + right - dw * (kw - 1) - 1) // sw + 1)


def _transpose_canvas_hw(hw, kernel, stride, dilation, output_padding) -> tuple[int, int]:
    """The canvas every stamped kernel lands on: (H - 1) s + d (k - 1) + 1 + output_padding."""
    (H, W), (kh, kw), (sh, sw), (dh, dw), (oph, opw) = hw, kernel, stride, dilation, output_padding
    return (H - 1) * sh + dh * (kh - 1) + 1 + oph, (W - 1) * sw + dw * (kw - 1) + 1 + opw


# ----------------------------------------------------------------------------------
# The layers as the equations read (the whole batch at once); the fast plan computing
# the same is in _conv_kernels.  Shapes: x (N, C, H, W), Conv2d weight (O, C/G, kh, kw),
# ConvTranspose2d weight (C, O/G, kh, kw); G groups; M = N H_out W_out positions.
# ----------------------------------------------------------------------------------
def _conv2d_plain(x, weight, bias, pads, stride, dilation, groups):
    """Conv2d forward: pad, im2col, ``Y = W cols`` per group, add the bias."""
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    G = groups
    ho, wo = _conv_output_hw((H, W), pads, (kh, kw), stride, dilation)
    # cols[(c, i, j), (n, a, b)] = xp[n, c, s a + d i, s b + d j]: (C, kh, kw, N, ho, wo)
    cols = im2col(_pad(x, pads), (kh, kw), stride, dilation, (ho, wo))
    # Y = W cols      (G, O/G, C/G kh kw) @ (G, C/G kh kw, M) -> (G, O/G, M)
    Y = np.matmul(weight.reshape(G, O // G, -1), cols.reshape(G, -1, N * ho * wo))
    # (O, N, ho, wo) -> (N, O, ho, wo)
    y = Y.reshape(O, N, ho, wo).transpose(1, 0, 2, 3)
    # y[n, o, a, b] += bias[o]
    return y if bias is None else y + bias[:, None, None]


def _conv2d_backward_plain(x, weight, grad_out, pads, stride, dilation, groups):
    """Conv2d backward: ``(dL/dx, dL/dW, dL/db)`` from the matrix-product form."""
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    G = groups
    top, bottom, left, right = pads
    ho, wo = grad_out.shape[2:]
    cols = im2col(_pad(x, pads), (kh, kw), stride, dilation, (ho, wo)).reshape(G, -1, N * ho * wo)
    # dY as (G, O/G, M), columns in (n, a, b) order like cols
    dY = grad_out.transpose(1, 0, 2, 3).reshape(G, O // G, -1)
    Wm = weight.reshape(G, O // G, -1)  # (G, O/G, C/G kh kw)
    # dL/dW = dY cols^T      (G, O/G, M) @ (G, M, C/G kh kw)
    dW = np.matmul(dY, cols.transpose(0, 2, 1)).reshape(weight.shape)
    # dL/dcols = W^T dY      (G, C/G kh kw, O/G) @ (G, O/G, M)
    d_cols = np.matmul(Wm.transpose(0, 2, 1), dY).reshape(C, kh, kw, N, ho, wo)
    # dL/dxp = col2im(dL/dcols); dL/dx is its un-padded part
    dxp = col2im(d_cols, (H + top + bottom, W + left + right), stride, dilation)
    dx = dxp[:, :, top: top + H, left: left + W]
    # dL/db_o = sum_{n, a, b} dY[n, o, a, b]
    return dx, dW, grad_out.sum(axis=(0, 2, 3))


def _conv_transpose2d_plain(x, weight, bias, padding, output_padding, stride, dilation, groups):
    """ConvTranspose2d forward: stamp ``W^T x`` onto the canvas (col2im), crop, add the bias."""
    N, C, H, W = x.shape
    _, Og, kh, kw = weight.shape
    G, O = groups, Og * groups
    (ph, pw) = padding
    Hc, Wc = _transpose_canvas_hw((H, W), (kh, kw), stride, dilation, output_padding)
    # the input as (G, C/G, N H W), columns in (n, h, w) order
    xg = x.transpose(1, 0, 2, 3).reshape(G, C // G, -1)
    # stamps = W^T x: the kernel scaled by each input pixel   (G, O/G kh kw, C/G) @ (G, C/G, N H W)
    stamps = np.matmul(weight.reshape(G, C // G, -1).transpose(0, 2, 1), xg)
    # canvas[n, o, s h + d i, s w + d j] += stamps[(o, i, j), (n, h, w)]: (N, O, Hc, Wc)
    canvas = col2im(stamps.reshape(O, kh, kw, N, H, W), (Hc, Wc), stride, dilation)
    # crop the padding: y[h, w] = canvas[h + p_h, w + p_w]
    y = canvas[:, :, ph: Hc - ph, pw: Wc - pw]
    # y[n, o, h, w] += bias[o]
    return y if bias is None else y + bias[:, None, None]


def _conv_transpose2d_backward_plain(x, weight, grad_out, padding, output_padding, stride, dilation, groups):
    """ConvTranspose2d backward: ``(dL/dx, dL/dW, dL/db)``; its input gradient is a convolution."""
    N, C, H, W = x.shape
    _, Og, kh, kw = weight.shape
    G, O = groups, Og * groups
    (ph, pw) = padding
    Hc, Wc = _transpose_canvas_hw((H, W), (kh, kw), stride, dilation, output_padding)
    # undo the crop: dL/dcanvas is dY placed at (p_h, p_w), zeros around it
    g_canvas = np.zeros((N, O, Hc, Wc), dtype=grad_out.dtype)
    g_canvas[:, :, ph: Hc - ph, pw: Wc - pw] = grad_out
    # every canvas value each input pixel's stamp touched: im2col, (G, O/G kh kw, N H W)
    cols = im2col(g_canvas, (kh, kw), stride, dilation, (H, W)).reshape(G, -1, N * H * W)
    Wm = weight.reshape(G, C // G, -1)  # (G, C/G, O/G kh kw)
    # dL/dx = W cols      (G, C/G, O/G kh kw) @ (G, O/G kh kw, N H W) -> (C, N, H, W)
    dx = np.matmul(Wm, cols).reshape(C, N, H, W).transpose(1, 0, 2, 3)
    # dL/dW = x cols^T      (G, C/G, N H W) @ (G, N H W, O/G kh kw)
    xg = x.transpose(1, 0, 2, 3).reshape(G, C // G, -1)
    dW = np.matmul(xg, cols.transpose(0, 2, 1)).reshape(weight.shape)
    # dL/db_o = sum_{n, h, w} dY[n, o, h, w]
    return dx, dW, grad_out.sum(axis=(0, 2, 3))


# ----------------------------------------------------------------------------------
# functional forms (used by the modules; usable on their own)
# ----------------------------------------------------------------------------------
def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
           stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """Functional 2-D convolution (forward only); see :class:`Conv2d`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv2d(x, np.ones((1, 1, 2, 2)))[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    layer = Conv2d.__new__(Conv2d)
    Module.__init__(layer)
    layer._configure(weight.shape[1] * groups, weight.shape[0], weight.shape[2:], stride, padding, dilation, groups)
    layer.weight = Parameter(weight)
    layer.bias = None if bias is None else Parameter(bias)
    return layer.forward(x)


def conv_transpose2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> np.ndarray:
    """Functional 2-D transposed convolution (forward only); see :class:`ConvTranspose2d`.

    Examples
    --------
    The notes' picture: a 2x2 input, a 2x2 kernel, stride 1 -> a 3x3 output where the
    four stamped copies of the kernel overlap.

    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> conv_transpose2d(x, np.ones((1, 1, 2, 2)))[0, 0]
    array([[ 1.,  3.,  2.],
           [ 4., 10.,  6.],
           [ 3.,  7.,  4.]])
    """
    layer = ConvTranspose2d.__new__(ConvTranspose2d)
    Module.__init__(layer)
    layer._configure(weight.shape[0], weight.shape[1] * groups, weight.shape[2:], stride, padding,
                     output_padding, groups, dilation)
    layer.weight = Parameter(weight)
    layer.bias = None if bias is None else Parameter(bias)
    return layer.forward(x)


def _check_input(x: np.ndarray, channels: int, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name} expects a 4-D input (N, C, H, W), got shape {x.shape}")
    if x.shape[1] != channels:
        raise ValueError(f"{name} expected {channels} input channels, got input of shape {x.shape}")


def _configure_geometry(layer, in_channels, out_channels, kernel_size, stride, dilation, groups) -> None:
    """Check and store what Conv2d and ConvTranspose2d share: channels, groups, kernel, stride, dilation."""
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                         f"divisible by groups ({groups})")
    layer.in_channels, layer.out_channels, layer.groups = int(in_channels), int(out_channels), int(groups)
    layer.kernel_size = _pair(tuple(kernel_size) if not isinstance(kernel_size, numbers.Integral)
                              else kernel_size, "kernel_size", 1)
    layer.stride = _pair(stride, "stride", 1)
    layer.dilation = _pair(dilation, "dilation", 1)


class _ConvLayer(Module):
    """What Conv2d and ConvTranspose2d share: their parameters and the backward pass."""

    #: the fast backward of the layer, ``(cache, weight, grad_out) -> (dL/dx, dL/dW, dL/db)``
    _fast_backward: Any = None

    def _check_padding_mode(self, padding_mode: str) -> None:
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode must be 'zeros' (the only one implemented), got {padding_mode!r}")
        self.padding_mode = padding_mode

    def _init_parameters(self, weight_shape, bias, device, dtype, random_state) -> None:
        """U(+-1/sqrt(fan_in)) weights and bias, PyTorch's fan_in = weight.size(1) kh kw."""
        dt = check_device_dtype(device, dtype)
        rng = check_random_state(random_state)
        fan_in = int(np.prod(weight_shape[1:]))
        self.weight = Parameter(init_uniform(rng, weight_shape, fan_in, dt))
        if bias:
            self.bias = Parameter(init_uniform(rng, (self.out_channels,), fan_in, dt))
        else:
            self.register_parameter("bias", None)

    def _parameters_as(self, dtype) -> tuple[np.ndarray, np.ndarray | None]:
        """The weight and the bias (or None) in the input's dtype."""
        bias = None if self.bias is None else self.bias.data.astype(dtype, copy=False)
        return self.weight.data.astype(dtype, copy=False), bias

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        cache = self._cached()
        # the same as the layer's _..._backward_plain, by the fast plan
        dx, dW, db = self._fast_backward(cache, self.weight.data, grad_out)
        self.weight.accumulate_grad(dW)
        if self.bias is not None:
            self.bias.accumulate_grad(db)
        return dx


class Conv2d(_ConvLayer):
    """2-D convolution over (N, C, H, W) inputs, PyTorch's constructor and semantics.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, dilation : int or (int, int)
    padding : int, (int, int), "valid" or "same"
        Zero padding on each side ("same" needs stride 1; an odd total puts the extra
        row/column at the bottom/right, as PyTorch does).
    groups : int, default=1
        Channels are split into ``groups`` independent convolutions.
    bias : bool, default=True
    padding_mode : "zeros"
        The only mode implemented.
    device, dtype : PyTorch's arguments (CPU; float64 parameters by default).
    random_state : None, int or Generator, keyword-only
        Generator for the initial weights (U(+-1/sqrt(fan_in)) like PyTorch).

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels / groups, kh, kw)
    bias : Parameter, shape (out_channels,) or None

    Examples
    --------
    >>> conv = Conv2d(1, 2, 3, padding=1, random_state=0)
    >>> y = conv(np.ones((4, 1, 5, 5)))
    >>> y.shape, conv.backward(np.ones_like(y)).shape
    ((4, 2, 5, 5), (4, 1, 5, 5))
    """

    _fast_backward = staticmethod(_kernels.conv2d_backward)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 *, random_state: Any = None) -> None:
        super().__init__()
        self._check_padding_mode(padding_mode)
        self._configure(in_channels, out_channels, kernel_size, stride, padding, dilation, groups)
        self._init_parameters((out_channels, in_channels // groups) + self.kernel_size, bias, device, dtype,
                              random_state)

    def _configure(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups) -> None:
        _configure_geometry(self, in_channels, out_channels, kernel_size, stride, dilation, groups)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _pair(padding, "padding", 0)

    def _pads(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) zero padding."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            pads = []
            for d, k in zip(self.dilation, self.kernel_size):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        ph, pw = self.padding
        return (ph, ph, pw, pw)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        _check_input(x, self.in_channels, "Conv2d")
        H, W = x.shape[2:]
        pads = self._pads()
        (kh, kw), (dh, dw) = self.kernel_size, self.dilation
        # H_out = floor((H + 2p - d (k - 1) - 1) / s) + 1
        ho, wo = _conv_output_hw((H, W), pads, self.kernel_size, self.stride, self.dilation)
        if ho < 1 or wo < 1:
            Hp, Wp = H + pads[0] + pads[1], W + pads[2] + pads[3]
            raise ValueError(f"Conv2d: input of size {(H, W)} (padded {(Hp, Wp)}) is smaller than the "
                             f"dilated kernel {(dh * (kh - 1) + 1, dw * (kw - 1) + 1)}")
        weight, bias = self._parameters_as(x.dtype)
        # the same as _conv2d_plain(x, weight, bias, pads, ...), by the fast plan
        y, self._cache = _kernels.conv2d_forward(x, weight, bias, pads, self.stride, self.dilation,
                                                 self.groups, (ho, wo))
        return y


class ConvTranspose2d(_ConvLayer):
    """2-D transposed convolution (the gradient of :class:`Conv2d` w.r.t. its input).

    Output size: ``H_out = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, output_padding, dilation : int or (int, int)
        ``output_padding`` adds rows/columns at the bottom/right (it must be smaller
        than the stride or the dilation), resolving the size ambiguity of a strided
        convolution.
    groups : int, default=1
    bias : bool, default=True
    padding_mode : "zeros"
    device, dtype : PyTorch's arguments.
    random_state : None, int or Generator, keyword-only

    Attributes
    ----------
    weight : Parameter, shape (in_channels, out_channels / groups, kh, kw)
    bias : Parameter, shape (out_channels,) or None

    Examples
    --------
    >>> up = ConvTranspose2d(3, 2, kernel_size=4, stride=2, padding=1, random_state=0)
    >>> up(np.zeros((1, 3, 7, 7))).shape
    (1, 2, 14, 14)
    """

    _fast_backward = staticmethod(_kernels.conv_transpose2d_backward)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 *, random_state: Any = None) -> None:
        super().__init__()
        self._check_padding_mode(padding_mode)
        self._configure(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, dilation)
        self._init_parameters((in_channels, out_channels // groups) + self.kernel_size, bias, device, dtype,
                              random_state)

    def _configure(self, in_channels, out_channels, kernel_size, stride, padding, output_padding,
                   groups, dilation) -> None:
        _configure_geometry(self, in_channels, out_channels, kernel_size, stride, dilation, groups)
        self.padding = _pair(padding, "padding", 0)
        self.output_padding = _pair(output_padding, "output_padding", 0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise ValueError(f"output_padding {self.output_padding} must be smaller than either the "
                                 f"stride {self.stride} or the dilation {self.dilation}")

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, output_padding={self.output_padding}")

    def forward(self, x: Any) -> np.ndarray:
        x = as_float_array(x)
        _check_input(x, self.in_channels, "ConvTranspose2d")
        H, W = x.shape[2:]
        (ph, pw) = self.padding
        # the full canvas every stamped kernel lands on, before cropping the padding
        Hc, Wc = _transpose_canvas_hw((H, W), self.kernel_size, self.stride, self.dilation, self.output_padding)
        # H_out = (H - 1) s - 2p + d (k - 1) + output_padding + 1
        if Hc - 2 * ph < 1 or Wc - 2 * pw < 1:
            raise ValueError(f"ConvTranspose2d: the padding {self.padding} leaves an empty output "
                             f"for input size {(H, W)}")
        weight, bias = self._parameters_as(x.dtype)
        # the same as _conv_transpose2d_plain(x, weight, bias, ...), by the fast plan
        y, self._cache = _kernels.conv_transpose2d_forward(x, weight, bias, self.padding, self.stride,
                                                           self.dilation, self.groups, (Hc, Wc))
        return y
