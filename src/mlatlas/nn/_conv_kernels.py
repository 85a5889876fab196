"""The fast convolution plan: phase planes, cache-sized chunks, threads.

:mod:`mlatlas.nn.conv` writes Conv2d and ConvTranspose2d as the notes do (pad, im2col,
one matrix product; col2im for the adjoint) on the whole batch at once.  This module
computes the same forward and backward passes fast, and the tests check the two agree.

The layers of :mod:`mlatlas.nn.conv` use the maths of its plain im2col / col2im versions with a memory layout that turns
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
  the chunks; :func:`mlatlas._parallel.parallel_map` shares them out (one queue, threads
  woken once per call), on as many threads as BLAS may use, so a caller's threadpoolctl
  limit holds here too.

On (64, 16, 28, 28) float32 with a 3x3 kernel this took one thread's forward and
backward from 44 ms (plain im2col with the whole column matrix) to about 20 ms, of
which the three matrix products are 12 ms; on 2 cores it takes about 12 ms, where
PyTorch's oneDNN kernels need 5-10 ms (8-12 ms on one core).

"""

from __future__ import annotations

import numpy as np

from .. import _parallel

__all__ = ["conv2d_forward", "conv2d_backward", "conv_transpose2d_forward", "conv_transpose2d_backward"]


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


def _map_chunks(work, chunks) -> list:
    """``[work(chunk) for chunk in chunks]`` on as many threads as BLAS may use (in order)."""
    return _parallel.parallel_map(work, chunks, n_threads=_parallel.blas_threads())


def conv2d_forward(x, weight, bias, pads, stride, dilation, groups, out_hw):
    """Conv2d forward; returns ``(y, cache)`` with what :func:`conv2d_backward` needs.

    ``x`` (N, C, H, W); ``weight`` (O, C/G, kh, kw) and ``bias`` (O,) or None, both in
    x's dtype; ``pads`` (top, bottom, left, right); ``out_hw`` (H_out, W_out).
    """
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    top, bottom, left, right = pads
    G = groups
    plan = _TapPlan((H + top + bottom, W + left + right), (kh, kw), stride, dilation, out_hw, N,
                    image_box=(top, left, H, W))
    chunks = list(plan.chunks(N, C * kh * kw, x.itemsize))
    planes = plan.new_planes(C, x.dtype)  # the padded input, (phases, C, N P + slack)
    _map_chunks(lambda chunk: plan.put_images(x[chunk[0]: sum(chunk)], planes, chunk[0], top, left), chunks)
    Wm = weight.reshape(G, O // G, -1)  # (G, O/G, C/G kh kw)
    y = np.empty((N, O) + tuple(out_hw), dtype=x.dtype)
    ch, cw = plan.cols_hw

    def work(chunk) -> None:
        start, n = chunk
        cols = np.empty((C, kh, kw, n * ch * cw), dtype=x.dtype)
        plan.gather(planes, start, n, cols)
        # Y = W cols        (G, O/G, C/G kh kw) @ (G, C/G kh kw, L) -> (G, O/G, L)
        out = _grouped_matmul(Wm, cols.reshape(G, -1, n * ch * cw))
        plan.extract(out.reshape(O, -1), y[start: start + n])
        if bias is not None:
            y[start: start + n] += bias[:, None, None]

    _map_chunks(work, chunks)
    return y, (x.shape, (top, left), groups, plan, planes)


def conv2d_backward(cache, weight, grad_out):
    """Conv2d backward from :func:`conv2d_forward`'s cache: ``(dL/dx, dL/dW, dL/db)``."""
    x_shape, (top, left), G, plan, planes = cache
    N, C, H, W = x_shape
    O, _, kh, kw = weight.shape
    dtype = planes.dtype
    g = np.asarray(grad_out, dtype=dtype)
    Wm = weight.astype(dtype, copy=False).reshape(G, O // G, -1)
    d_planes = plan.new_planes(C, dtype)
    dx = np.empty(x_shape, dtype=dtype)
    ch, cw = plan.cols_hw

    def work(chunk) -> tuple[np.ndarray, np.ndarray]:
        start, n = chunk
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

    parts = _map_chunks(work, list(plan.chunks(N, C * kh * kw, g.itemsize)))
    return dx, sum(dW for dW, _ in parts).reshape(weight.shape), sum(db for _, db in parts)


def conv_transpose2d_forward(x, weight, bias, padding, stride, dilation, groups, canvas_hw):
    """ConvTranspose2d forward; returns ``(y, cache)`` for :func:`conv_transpose2d_backward`.

    ``weight`` (C, O/G, kh, kw) and ``bias`` (O,) or None in x's dtype; ``canvas_hw``
    the size of the canvas before cropping ``padding`` (p_h, p_w) off each side.
    """
    N, C, H, W = x.shape
    _, Og, kh, kw = weight.shape
    G, O = groups, Og * groups
    (ph, pw), (Hc, Wc) = padding, canvas_hw
    ho, wo = Hc - 2 * ph, Wc - 2 * pw
    plan = _TapPlan((Hc, Wc), (kh, kw), stride, dilation, (H, W), N, image_box=(ph, pw, ho, wo))
    Wm = weight.reshape(G, C // G, -1)  # (G, C/G, O/G kh kw)
    canvas = plan.new_planes(O, x.dtype)
    y = np.empty((N, O, ho, wo), dtype=x.dtype)

    def work(chunk) -> None:
        start, n = chunk
        # each input pixel at its grid position: (G, C/G, L)
        x_chunk = plan.embed(x[start: start + n]).reshape(G, C // G, -1)
        # stamps = W^T x      (G, O/G kh kw, C/G) @ (G, C/G, L) -> (G, O/G kh kw, L)
        stamps = _grouped_matmul(Wm.transpose(0, 2, 1), x_chunk)
        plan.clear(canvas, start, n)
        plan.scatter_add(stamps.reshape(O, kh, kw, -1), canvas, start, n)
        # crop the padding: y[h, w] = canvas[h + p_h, w + p_w]
        plan.get_images(canvas, y[start: start + n], start, ph, pw)
        if bias is not None:
            y[start: start + n] += bias[:, None, None]

    _map_chunks(work, list(plan.chunks(N, O * kh * kw, x.itemsize)))
    return y, (x, padding, groups, plan)


def conv_transpose2d_backward(cache, weight, grad_out):
    """ConvTranspose2d backward from the forward's cache: ``(dL/dx, dL/dW, dL/db)``."""
    x, (ph, pw), G, plan = cache
    N, C, H, W = x.shape
    _, Og, kh, kw = weight.shape
    O = Og * G
    dtype = x.dtype
    g = np.asarray(grad_out, dtype=dtype)
    chunks = list(plan.chunks(N, O * kh * kw, g.itemsize))
    # undo the crop: the gradient on the canvas is dY placed at (p_h, p_w), zero around it
    g_planes = plan.new_planes(O, dtype)
    _map_chunks(lambda chunk: plan.put_images(g[chunk[0]: sum(chunk)], g_planes, chunk[0], ph, pw), chunks)
    Wm = weight.astype(dtype, copy=False).reshape(G, C // G, -1)
    dx = np.empty(x.shape, dtype=dtype)
    ch, cw = plan.cols_hw

    def work(chunk) -> tuple[np.ndarray, np.ndarray]:
        start, n = chunk
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

    parts = _map_chunks(work, chunks)
    return dx, sum(dW for dW, _ in parts).reshape(weight.shape), sum(db for _, db in parts)
