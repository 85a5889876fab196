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

The gather/scatter loops run over the ``kh kw`` kernel offsets only, each moving a
whole strided (N, C, H_out, W_out) block, so the work is in NumPy's copy loops and
one BLAS matrix product.

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


def _grouped_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(G, m, k) @ (G, k, n) -> (G, m, n); one BLAS call when G == 1."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


def _grouped_matmul_nt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(G, m, M) @ (G, k, M)^T -> (G, m, k) for a long shared axis M (the weight gradients).

    Evaluated as ``(b @ a^T)^T``: OpenBLAS is several times slower on a tiny (m, k)
    output with a huge inner dimension when the long operand comes second (measured:
    (16, 50176) @ (50176, 144) took 180 ms, (144, 50176) @ (50176, 16) 16 ms).
    """
    return _grouped_matmul(b, a.transpose(0, 2, 1)).transpose(0, 2, 1)


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


class Conv2d(Module):
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

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 *, random_state: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode must be 'zeros' (the only one implemented), got {padding_mode!r}")
        self.padding_mode = padding_mode
        self._configure(in_channels, out_channels, kernel_size, stride, padding, dilation, groups)
        dt = check_device_dtype(device, dtype)
        rng = check_random_state(random_state)
        kh, kw = self.kernel_size
        fan_in = (in_channels // groups) * kh * kw
        self.weight = Parameter(init_uniform(rng, (out_channels, in_channels // groups, kh, kw), fan_in, dt))
        if bias:
            self.bias = Parameter(init_uniform(rng, (out_channels,), fan_in, dt))
        else:
            self.register_parameter("bias", None)

    def _configure(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups) -> None:
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.kernel_size = _pair(tuple(kernel_size) if not isinstance(kernel_size, numbers.Integral)
                                 else kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.dilation = _pair(dilation, "dilation", 1)
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
        N, C, H, W = x.shape
        top, bottom, left, right = pads = self._pads()
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        Hp, Wp = H + top + bottom, W + left + right
        # H_out = floor((H + 2p - d (k - 1) - 1) / s) + 1
        ho = (Hp - dh * (kh - 1) - 1) // sh + 1
        wo = (Wp - dw * (kw - 1) - 1) // sw + 1
        if ho < 1 or wo < 1:
            raise ValueError(f"Conv2d: input of size {(H, W)} (padded {(Hp, Wp)}) is smaller than the "
                             f"dilated kernel {(dh * (kh - 1) + 1, dw * (kw - 1) + 1)}")
        G, O = self.groups, self.out_channels
        cols = im2col(_pad(x, pads), (kh, kw), (sh, sw), (dh, dw), (ho, wo))  # (C, kh, kw, N, ho, wo)
        M = N * ho * wo
        self._cache = (x.shape, (Hp, Wp), (ho, wo), cols)
        Wm = self.weight.data.astype(x.dtype, copy=False).reshape(G, O // G, -1)  # (G, O/G, C/G kh kw)
        # Y = W cols        (G, O/G, C/G kh kw) @ (G, C/G kh kw, M) -> (G, O/G, M)
        y = _grouped_matmul(Wm, cols.reshape(G, -1, M))
        # (O, N, ho, wo) -> (N, O, ho, wo)
        y = np.ascontiguousarray(y.reshape(O, N, ho, wo).transpose(1, 0, 2, 3))
        if self.bias is not None:
            y += self.bias.data.astype(x.dtype, copy=False)[:, None, None]
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x_shape, (Hp, Wp), (ho, wo), cols = self._cache
        N, C, H, W = x_shape
        G, O = self.groups, self.out_channels
        dtype = cols.dtype
        g = np.asarray(grad_out, dtype=dtype)
        M = N * ho * wo
        # dY as (G, O/G, M): (N, O, ho, wo) -> (O, N, ho, wo)
        g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(G, O // G, M)
        cols_g = cols.reshape(G, -1, M)  # (G, C/G kh kw, M)
        # dL/dW = dY cols^T      (G, O/G, M) @ (G, M, C/G kh kw)
        dW = _grouped_matmul_nt(g2, cols_g)
        self.weight.accumulate_grad(dW.reshape(self.weight.shape))
        if self.bias is not None:
            # dL/db_o = sum_{n, a, b} dY[n, o, a, b]
            self.bias.accumulate_grad(g.sum(axis=(0, 2, 3)))
        Wm = self.weight.data.astype(dtype, copy=False).reshape(G, O // G, -1)
        # dL/dcols = W^T dY      (G, C/G kh kw, O/G) @ (G, O/G, M)
        dcols = _grouped_matmul(Wm.transpose(0, 2, 1), g2)
        kh, kw = self.kernel_size
        dxp = col2im(dcols.reshape(C, kh, kw, N, ho, wo), (Hp, Wp), self.stride, self.dilation)
        top, _, left, _ = self._pads()
        # crop the padding: dL/dx is the gradient on the un-padded part of the canvas
        return np.ascontiguousarray(dxp[:, :, top: top + H, left: left + W])


class ConvTranspose2d(Module):
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

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 *, random_state: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode must be 'zeros' for ConvTranspose2d, got {padding_mode!r}")
        self.padding_mode = padding_mode
        self._configure(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, dilation)
        dt = check_device_dtype(device, dtype)
        rng = check_random_state(random_state)
        kh, kw = self.kernel_size
        # PyTorch's fan_in for a (in, out/groups, kh, kw) weight is size(1) * kh * kw
        fan_in = (out_channels // groups) * kh * kw
        self.weight = Parameter(init_uniform(rng, (in_channels, out_channels // groups, kh, kw), fan_in, dt))
        if bias:
            self.bias = Parameter(init_uniform(rng, (out_channels,), fan_in, dt))
        else:
            self.register_parameter("bias", None)

    def _configure(self, in_channels, out_channels, kernel_size, stride, padding, output_padding,
                   groups, dilation) -> None:
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.kernel_size = _pair(tuple(kernel_size) if not isinstance(kernel_size, numbers.Integral)
                                 else kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.output_padding = _pair(output_padding, "output_padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
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
        N, C, H, W = x.shape
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        (ph, pw), (oph, opw) = self.padding, self.output_padding
        # the full canvas every stamped kernel lands on, before cropping the padding
        Hc = (H - 1) * sh + dh * (kh - 1) + 1 + oph
        Wc = (W - 1) * sw + dw * (kw - 1) + 1 + opw
        # H_out = (H - 1) s - 2p + d (k - 1) + output_padding + 1
        ho, wo = Hc - 2 * ph, Wc - 2 * pw
        if ho < 1 or wo < 1:
            raise ValueError(f"ConvTranspose2d: the padding {self.padding} leaves an empty output "
                             f"for input size {(H, W)}")
        G, O = self.groups, self.out_channels
        M = N * H * W
        # x as (G, C/G, M): (N, C, H, W) -> (C, N, H, W)
        x2 = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(G, C // G, M)
        self._cache = (x.shape, x2, (Hc, Wc))
        Wm = self.weight.data.astype(x.dtype, copy=False).reshape(G, C // G, -1)  # (G, C/G, O/G kh kw)
        # stamps = W^T x      (G, O/G kh kw, C/G) @ (G, C/G, M) -> (G, O/G kh kw, M)
        stamps = _grouped_matmul(Wm.transpose(0, 2, 1), x2)
        canvas = col2im(stamps.reshape(O, kh, kw, N, H, W), (Hc, Wc), (sh, sw), (dh, dw))
        y = np.ascontiguousarray(canvas[:, :, ph: ph + ho, pw: pw + wo])
        if self.bias is not None:
            y += self.bias.data.astype(x.dtype, copy=False)[:, None, None]
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x_shape, x2, (Hc, Wc) = self._cache
        N, C, H, W = x_shape
        G, O = self.groups, self.out_channels
        (ph, pw) = self.padding
        dtype = x2.dtype
        g = np.asarray(grad_out, dtype=dtype)
        ho, wo = g.shape[2:]
        # undo the crop: the gradient on the canvas is dY padded with zeros
        g_canvas = _pad(g, (ph, Hc - ph - ho, pw, Wc - pw - wo))
        # every canvas value each input pixel's stamp touched: (O, kh, kw, N, H, W)
        cols = im2col(g_canvas, self.kernel_size, self.stride, self.dilation, (H, W))
        M = N * H * W
        cols_g = cols.reshape(G, -1, M)  # (G, O/G kh kw, M)
        if self.bias is not None:
            self.bias.accumulate_grad(g.sum(axis=(0, 2, 3)))
        # dL/dW = x cols^T      (G, C/G, M) @ (G, M, O/G kh kw)
        dW = _grouped_matmul_nt(x2, cols_g)
        self.weight.accumulate_grad(dW.reshape(self.weight.shape))
        Wm = self.weight.data.astype(dtype, copy=False).reshape(G, C // G, -1)
        # dL/dx = W cols        (G, C/G, O/G kh kw) @ (G, O/G kh kw, M) -> (C, N, H, W)
        dx = _grouped_matmul(Wm, cols_g).reshape(C, N, H, W)
        return np.ascontiguousarray(dx.transpose(1, 0, 2, 3))
