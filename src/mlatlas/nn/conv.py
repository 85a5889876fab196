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

How it is made fast (see :class:`_TapPlan`): :func:`im2col` and :func:`col2im` below are
the plain definitions.  The layers use the same maths with a memory layout that turns
every gather and scatter into contiguous block copies, and they work on the batch in
chunks small enough for the CPU cache:

* the padded input is stored channel-first and split into ``s_h s_w`` *phase planes*
  (``plane[r_h, r_w][c, n, u, v] = xp[n, c, s_h u + r_h, s_w v + r_w]``), each
  flattened to one long row per channel.  Kernel tap ``(i, j)`` then reads plane
  ``(d_h i mod s_h, d_w j mod s_w)`` shifted by a constant
  ``(d_h i div s_h) P_w + (d_w j div s_w)``: one contiguous slice per channel;
* outputs are computed on the whole (P_h, P_w) plane grid and the few positions past
  (H_out, W_out) are dropped (their input gradient is zero, so the scatter-adds of the
  backward pass stay exact).  When that grid would be more than twice the output (a
  big kernel on a small image), the plain strided gather is used instead;
* on that flat grid, consecutive rows (and images) share their zero padding: a tap
  that reads past the end of a row continues into the next row's leading padding,
  so the trailing padding is not stored (29x29 values per 28x28 image for a 3x3
  kernel with padding 1, not 30x30: 7% less of every copy and matrix product);
* images are processed a few at a time (columns of about 4 MB), so each im2col block
  is used by the matrix product while it is still in cache.  The backward pass
  recomputes these blocks from the cached input planes instead of keeping the whole
  (C kh kw, N H_out W_out) column matrix;
* the chunks write disjoint parts of the outputs, so they run on several threads
  (NumPy releases the GIL in copies and BLAS calls), with BLAS itself single-threaded
  meanwhile.  Every per-image step (padding, zeroing, cropping, bias) happens inside
  the chunks, and the threads pull chunks from one shared queue, woken once per call.

On (64, 16, 28, 28) float32 with a 3x3 kernel this took one thread's forward and
backward from 44 ms (plain im2col with the whole column matrix) to about 20 ms, of
which the three matrix products are 12 ms; on 2 cores it takes about 12 ms, where
PyTorch's oneDNN kernels need 5-10 ms (8-12 ms on one core).

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

from .. import _parallel
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


_CHUNK_BYTES = 2 ** 22  # target size of one block of columns (measured best of 0.5-16 MB on 2 cores)
_NUM_THREADS: int | None = None  # None: as many as the BLAS library may use


def _run_chunks(work, chunks) -> list:
    """``[work(start, n) for (start, n) in chunks]``, on several threads when BLAS may use several.

    The chunks write disjoint parts of the outputs.  The number of threads is the BLAS
    library's (all cores unless limited, e.g. by ``OMP_NUM_THREADS`` or threadpoolctl),
    so a caller's thread limit holds here too; :func:`mlatlas._parallel.parallel_map`
    shares the chunks out (one queue, BLAS on one thread meanwhile, errors re-raised).
    """
    chunks = list(chunks)
    if len(chunks) < 2:
        return [work(start, n) for start, n in chunks]
    n_threads = _NUM_THREADS or _parallel.blas_threads()
    return _parallel.parallel_map(lambda chunk: work(*chunk), chunks, n_threads=n_threads)


_MAX_GRID_WASTE = 2.0  # use the phase-plane grid unless it has > 2x the needed positions


class _TapPlan:
    """Where every kernel tap reads and writes, for one geometry (see the module docstring).

    Parameters
    ----------
    canvas_hw : (int, int)
        Size of the padded canvas the kernel slides over (conv: the padded input;
        transposed conv: the output before cropping its padding).
    kernel, stride, dilation : (int, int)
    grid_hw : (int, int)
        The positions the kernel visits (conv: H_out, W_out; transposed conv: the
        input size H, W).
    n_images : int
        Batch size N.

    Attributes
    ----------
    phases : int
        ``s_h s_w`` phase planes.
    plane_hw : (int, int)
        (P_h, P_w) = (ceil(Hc / s_h), ceil(Wc / s_w)), the size of one plane.
    flat : bool
        True: columns cover the whole plane grid and every tap is one contiguous slice.
        False: columns cover exactly ``grid_hw`` and taps are strided 4-D blocks.
    cols_hw : (int, int)
        The grid the columns are laid on: ``plane_hw`` if ``flat`` else ``grid_hw``.
    taps : list of (i, j, phase, q_h, q_w)
        Tap (i, j) reads plane ``phase`` at offset (q_h, q_w) from the grid position.
    """

    def __init__(self, canvas_hw, kernel, stride, dilation, grid_hw, n_images: int, image_box=None) -> None:
        (Hc, Wc), (kh, kw), (sh, sw), (dh, dw) = canvas_hw, kernel, stride, dilation
        self.stride, self.canvas_hw, self.grid_hw = (sh, sw), (Hc, Wc), tuple(grid_hw)
        self.n_images = n_images
        self.phases = sh * sw
        Ph, Pw = -(-Hc // sh), -(-Wc // sw)
        # d i = s q + r: tap i lands on phase r, q rows further down the plane
        self.taps = [(i, j, ((dh * i) % sh) * sw + (dw * j) % sw, (dh * i) // sh, (dw * j) // sw)
                     for i in range(kh) for j in range(kw)]
        self.flat = Ph * Pw <= _MAX_GRID_WASTE * grid_hw[0] * grid_hw[1]
        if self.flat and image_box is not None:
            top, left, H, W = image_box
            Ph = self._shared_padding_extent(Ph, H, top, sh, [(dh * i) for i in range(kh)], grid_hw[0])
            Pw = self._shared_padding_extent(Pw, W, left, sw, [(dw * j) for j in range(kw)], grid_hw[1])
        self.plane_hw = (Ph, Pw)
        self.cols_hw = (Ph, Pw) if self.flat else self.grid_hw
        # room after the last image for the shifted reads of the (dropped) last positions
        self.slack = ((dh * (kh - 1)) // sh) * Pw + (dw * (kw - 1)) // sw

    def _shared_padding_extent(self, extent: int, size: int, offset: int, s: int, reach: list, grid: int) -> int:
        """Shortest plane extent (rows or columns) when neighbours share their zero padding.

        With the flat layout a read past the end of a plane row continues on the next
        row (past the last row: on the next image's first row).  That is harmless when
        it lands in the next row's leading padding (zero for a gather; never read back
        for a scatter), so the trailing padding need not be stored: a row only has to
        hold the grid and its data, ``grid, u0 + n <= P``, and every grid position ``a < grid`` must
        reach at most ``q`` beyond it with ``a + q - P < u0`` (``u0`` = first data row of
        that phase).  For a 3x3 kernel with padding 1 on 28x28 this stores 29x29 values
        per image instead of 30x30.
        """
        first = {r: (u0, n) for r, _, u0, n in self._phase_slices(size, offset, s)}
        need = max([grid] + [u0 + n for u0, n in first.values()])  # room for the grid and the data
        for d_i in reach:  # d i = s q + r
            r, q = d_i % s, d_i // s
            if r in first:
                need = max(need, grid + q - first[r][0])
        return min(extent, need)

    def new_planes(self, channels: int, dtype) -> np.ndarray:
        """Uninitialised planes, shape (phases, C, N P_h P_w + slack); see :meth:`clear`."""
        Ph, Pw = self.plane_hw
        return np.empty((self.phases, channels, self.n_images * Ph * Pw + self.slack), dtype=dtype)

    def clear(self, planes: np.ndarray, start: int, n: int) -> None:
        """Zero the planes of images ``start .. start + n`` (and the slack after the last image)."""
        size = self.plane_hw[0] * self.plane_hw[1]
        stop = (start + n) * size if start + n < self.n_images else planes.shape[2]
        planes[:, :, start * size: stop] = 0

    def _plane_view(self, planes: np.ndarray) -> np.ndarray:
        Ph, Pw = self.plane_hw
        # (phases, C, N P + slack) -> (phases, C, N, P_h, P_w)
        return planes[:, :, : self.n_images * Ph * Pw].reshape(planes.shape[:2] + (self.n_images, Ph, Pw))

    def _phase_slices(self, size: int, offset: int, s: int):
        """For each phase r: the image rows h = h0, h0 + s, ... with (offset + h) % s == r."""
        for r in range(s):
            h0 = (r - offset) % s
            count = len(range(h0, size, s))
            if count:
                yield r, slice(h0, size, s), (offset + h0 - r) // s, count

    def put_images(self, images: np.ndarray, planes: np.ndarray, start: int, top: int, left: int) -> None:
        """Place (n, C, H, W) images (number ``start`` on) on the canvas at (top, left), zeros around.

        canvas[top + h, left + w] lives in plane (r_h, r_w) at ((top + h) div s_h, (left + w) div s_w).
        """
        n, C, H, W = images.shape
        sh, sw = self.stride
        self.clear(planes, start, n)
        view = self._plane_view(planes)[:, :, start: start + n]  # (phases, C, n, P_h, P_w)
        chw_first = images.transpose(1, 0, 2, 3)  # (C, n, H, W)
        for rh, rows, u0, nu in self._phase_slices(H, top, sh):
            for rw, cols, v0, nv in self._phase_slices(W, left, sw):
                view[rh * sw + rw, :, :, u0: u0 + nu, v0: v0 + nv] = chw_first[:, :, rows, cols]

    def get_images(self, planes: np.ndarray, out: np.ndarray, start: int, top: int, left: int) -> None:
        """Read the (n, C, H, W) images ``out`` (number ``start`` on) at (top, left) back from the planes."""
        n, C, H, W = out.shape
        sh, sw = self.stride
        view = self._plane_view(planes)[:, :, start: start + n]
        chw_first = out.transpose(1, 0, 2, 3)
        for rh, rows, u0, nu in self._phase_slices(H, top, sh):
            for rw, cols, v0, nv in self._phase_slices(W, left, sw):
                chw_first[:, :, rows, cols] = view[rh * sw + rw, :, :, u0: u0 + nu, v0: v0 + nv]

    def embed(self, values: np.ndarray) -> np.ndarray:
        """(n, C, gh, gw) values at the grid positions -> (C, n Ch Cw) columns, zeros elsewhere."""
        n, C, gh, gw = values.shape
        Ch, Cw = self.cols_hw
        out = np.empty((C, n, Ch, Cw), dtype=values.dtype)
        if (Ch, Cw) != (gh, gw):
            out[:, :, gh:] = 0
            out[:, :, :gh, gw:] = 0
        out[:, :, :gh, :gw] = values.transpose(1, 0, 2, 3)
        return out.reshape(C, -1)

    def extract(self, columns: np.ndarray, out: np.ndarray) -> None:
        """(C, n Ch Cw) columns -> ``out`` of shape (n, C, gh, gw), dropping the extra positions."""
        n, C, gh, gw = out.shape
        Ch, Cw = self.cols_hw
        out[...] = columns.reshape(C, n, Ch, Cw)[:, :, :gh, :gw].transpose(1, 0, 2, 3)

    def gather(self, planes: np.ndarray, start: int, n: int, cols: np.ndarray) -> None:
        """im2col of images ``start .. start + n``: cols[c, i, j, p] = input seen by tap (i, j) at p."""
        Ph, Pw = self.plane_hw
        if self.flat:
            L, base = n * Ph * Pw, start * Ph * Pw
            for i, j, phase, qh, qw in self.taps:
                off = base + qh * Pw + qw
                cols[:, i, j] = planes[phase, :, off: off + L]
            return
        gh, gw = self.grid_hw
        view = self._plane_view(planes)
        for i, j, phase, qh, qw in self.taps:
            cols[:, i, j].reshape(-1, n, gh, gw)[...] = view[phase, :, start: start + n, qh: qh + gh, qw: qw + gw]

    def scatter_add(self, cols: np.ndarray, planes: np.ndarray, start: int, n: int) -> None:
        """col2im of images ``start .. start + n``: add each tap's column back where it was read."""
        Ph, Pw = self.plane_hw
        if self.flat:
            L, base = n * Ph * Pw, start * Ph * Pw
            for i, j, phase, qh, qw in self.taps:
                off = qh * Pw + qw
                # the last `off` positions are dropped ones (zero gradient) that would spill
                # into the next chunk: leaving them out keeps chunks disjoint (thread-safe)
                if off < L:  # (a tap may reach past a whole chunk of tiny planes)
                    planes[phase, :, base + off: base + L] += cols[:, i, j, : L - off]
            return
        gh, gw = self.grid_hw
        view = self._plane_view(planes)
        for i, j, phase, qh, qw in self.taps:
            view[phase, :, start: start + n, qh: qh + gh, qw: qw + gw] += cols[:, i, j].reshape(-1, n, gh, gw)

    def chunks(self, n_images: int, rows: int, itemsize: int):
        """Split the batch so that one (rows, n Ch Cw) block of columns is about _CHUNK_BYTES."""
        per_image = rows * self.cols_hw[0] * self.cols_hw[1] * itemsize
        step = max(1, min(n_images, _CHUNK_BYTES // max(per_image, 1)))
        for start in range(0, n_images, step):
            yield start, min(step, n_images - start)


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
        N, C, H, W = x.shape
        top, bottom, left, right = self._pads()
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        Hp, Wp = H + top + bottom, W + left + right
        # H_out = floor((H + 2p - d (k - 1) - 1) / s) + 1
        ho = (Hp - dh * (kh - 1) - 1) // sh + 1
        wo = (Wp - dw * (kw - 1) - 1) // sw + 1
        if ho < 1 or wo < 1:
            raise ValueError(f"Conv2d: input of size {(H, W)} (padded {(Hp, Wp)}) is smaller than the "
                             f"dilated kernel {(dh * (kh - 1) + 1, dw * (kw - 1) + 1)}")
        G, O = self.groups, self.out_channels
        plan = _TapPlan((Hp, Wp), (kh, kw), (sh, sw), (dh, dw), (ho, wo), N, image_box=(top, left, H, W))
        chunks = list(plan.chunks(N, C * kh * kw, x.itemsize))
        planes = plan.new_planes(C, x.dtype)  # the padded input, (phases, C, N P + slack)
        _run_chunks(lambda start, n: plan.put_images(x[start: start + n], planes, start, top, left), chunks)
        Wm = self.weight.data.astype(x.dtype, copy=False).reshape(G, O // G, -1)  # (G, O/G, C/G kh kw)
        bias = None if self.bias is None else self.bias.data.astype(x.dtype, copy=False)[:, None, None]
        y = np.empty((N, O, ho, wo), dtype=x.dtype)
        ch, cw = plan.cols_hw

        def work(start: int, n: int) -> None:
            cols = np.empty((C, kh, kw, n * ch * cw), dtype=x.dtype)
            plan.gather(planes, start, n, cols)
            # Y = W cols        (G, O/G, C/G kh kw) @ (G, C/G kh kw, L) -> (G, O/G, L)
            out = _grouped_matmul(Wm, cols.reshape(G, -1, n * ch * cw))
            plan.extract(out.reshape(O, -1), y[start: start + n])
            if bias is not None:
                y[start: start + n] += bias

        _run_chunks(work, chunks)
        self._cache = (x.shape, (top, left), plan, planes)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x_shape, (top, left), plan, planes = self._cached()
        N, C, H, W = x_shape
        G, O = self.groups, self.out_channels
        kh, kw = self.kernel_size
        dtype = planes.dtype
        g = np.asarray(grad_out, dtype=dtype)
        Wm = self.weight.data.astype(dtype, copy=False).reshape(G, O // G, -1)
        d_planes = plan.new_planes(C, dtype)
        dx = np.empty(x_shape, dtype=dtype)
        ch, cw = plan.cols_hw

        def work(start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
            L = n * ch * cw
            cols = np.empty((C, kh, kw, L), dtype=dtype)
            plan.gather(planes, start, n, cols)  # recomputed: cheaper than keeping them all
            # dY on the column grid, zero at the dropped positions: (G, O/G, L)
            g_chunk = plan.embed(g[start: start + n]).reshape(G, O // G, L)
            # dL/dcols = W^T dY      (G, C/G kh kw, O/G) @ (G, O/G, L)
            d_cols = _grouped_matmul(Wm.transpose(0, 2, 1), g_chunk)
            plan.clear(d_planes, start, n)
            plan.scatter_add(d_cols.reshape(C, kh, kw, L), d_planes, start, n)
            # dL/dx is the gradient on the un-padded part of the canvas
            plan.get_images(d_planes, dx[start: start + n], start, top, left)
            # this chunk's share of dL/dW = dY cols^T      (G, O/G, L) @ (G, L, C/G kh kw)
            dW = _grouped_matmul_nt(g_chunk, cols.reshape(G, -1, L))
            # and of dL/db_o = sum_{n, a, b} dY[n, o, a, b]
            return dW, g[start: start + n].sum(axis=(0, 2, 3))

        parts = _run_chunks(work, plan.chunks(N, C * kh * kw, g.itemsize))
        self.weight.accumulate_grad(sum(dW for dW, _ in parts).reshape(self.weight.shape))
        if self.bias is not None:
            self.bias.accumulate_grad(sum(db for _, db in parts))
        return dx


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
        plan = _TapPlan((Hc, Wc), (kh, kw), (sh, sw), (dh, dw), (H, W), N, image_box=(ph, pw, ho, wo))
        Wm = self.weight.data.astype(x.dtype, copy=False).reshape(G, C // G, -1)  # (G, C/G, O/G kh kw)
        bias = None if self.bias is None else self.bias.data.astype(x.dtype, copy=False)[:, None, None]
        canvas = plan.new_planes(O, x.dtype)
        y = np.empty((N, O, ho, wo), dtype=x.dtype)

        def work(start: int, n: int) -> None:
            # each input pixel at its grid position: (G, C/G, L)
            x_chunk = plan.embed(x[start: start + n]).reshape(G, C // G, -1)
            # stamps = W^T x      (G, O/G kh kw, C/G) @ (G, C/G, L) -> (G, O/G kh kw, L)
            stamps = _grouped_matmul(Wm.transpose(0, 2, 1), x_chunk)
            plan.clear(canvas, start, n)
            plan.scatter_add(stamps.reshape(O, kh, kw, -1), canvas, start, n)
            # crop the padding: y[h, w] = canvas[h + p_h, w + p_w]
            plan.get_images(canvas, y[start: start + n], start, ph, pw)
            if bias is not None:
                y[start: start + n] += bias

        _run_chunks(work, plan.chunks(N, O * kh * kw, x.itemsize))
        self._cache = (x, plan)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, plan = self._cached()
        N, C, H, W = x.shape
        G, O = self.groups, self.out_channels
        kh, kw = self.kernel_size
        ph, pw = self.padding
        dtype = x.dtype
        g = np.asarray(grad_out, dtype=dtype)
        chunks = list(plan.chunks(N, O * kh * kw, g.itemsize))
        # undo the crop: the gradient on the canvas is dY placed at (p_h, p_w), zero around it
        g_planes = plan.new_planes(O, dtype)
        _run_chunks(lambda start, n: plan.put_images(g[start: start + n], g_planes, start, ph, pw), chunks)
        Wm = self.weight.data.astype(dtype, copy=False).reshape(G, C // G, -1)
        dx = np.empty(x.shape, dtype=dtype)
        ch, cw = plan.cols_hw

        def work(start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
            L = n * ch * cw
            # every canvas value each input pixel's stamp touched: (O, kh, kw, L)
            cols = np.empty((O, kh, kw, L), dtype=dtype)
            plan.gather(g_planes, start, n, cols)
            cols_g = cols.reshape(G, -1, L)  # (G, O/G kh kw, L)
            # dL/dx = W cols        (G, C/G, O/G kh kw) @ (G, O/G kh kw, L) -> (C, L)
            plan.extract(_grouped_matmul(Wm, cols_g).reshape(C, L), dx[start: start + n])
            x_chunk = plan.embed(x[start: start + n]).reshape(G, C // G, L)
            # this chunk's share of dL/dW = x cols^T      (G, C/G, L) @ (G, L, O/G kh kw)
            dW = _grouped_matmul_nt(x_chunk, cols_g)
            # and of dL/db_o = sum_{n, h, w} dY[n, o, h, w]
            return dW, g[start: start + n].sum(axis=(0, 2, 3))

        parts = _run_chunks(work, chunks)
        self.weight.accumulate_grad(sum(dW for dW, _ in parts).reshape(self.weight.shape))
        if self.bias is not None:
            self.bias.accumulate_grad(sum(db for _, db in parts))
        return dx
