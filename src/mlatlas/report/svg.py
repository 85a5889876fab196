"""Small drawings for the web report, written as text: SVG charts and PNG images.

Everything here turns arrays from a run record into bytes or markup with fixed
formatting (one decimal for coordinates, a fixed zlib level for PNG), so that the same
record always gives the same page.  Nothing is fitted and nothing is fetched: the
report's traces and slider frames are drawn by these functions at build time.

Text inside a chart comes as ``(English, Chinese)`` pairs; both are written, each
tagged with its language's class, and the page's style sheet shows one of them.
"""

from __future__ import annotations

import math
import struct
import zlib
from typing import Sequence

import numpy as np
from markupsafe import Markup, escape

__all__ = ["png_bytes", "image_grid", "nice_ticks", "line_chart", "scatter_chart", "CLASS_COLOURS",
           "bilingual_text"]

#: Colours of classes, clusters and series, in order (matplotlib's tab10, as the figures use).
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")

#: Chart margins in pixels: left, right, top, bottom.
_MARGIN = (62, 14, 12, 44)


# ---------------------------------------------------------------------------- PNG


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode an 8-bit grey ``(H, W)`` or RGB ``(H, W, 3)`` image as PNG (no metadata).

    Examples
    --------
    >>> png_bytes(np.zeros((2, 2), dtype=np.uint8))[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3):
        raise ValueError(f"png_bytes needs uint8 (H, W) or (H, W, 3) pixels; got {pixels.dtype} {pixels.shape}.")
    height, width = pixels.shape[:2]
    colour_type = 0 if pixels.ndim == 2 else 2

    def chunk(kind: bytes, data: bytes) -> bytes:
        # each chunk: length, type, data, CRC-32 of type + data
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    # every scan line starts with filter byte 0 (no filter)
    rows = np.ascontiguousarray(pixels).reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def image_grid(images: np.ndarray, scale: int = 4, columns: int | None = None, gap: int = 1,
               value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Tile ``(N, H, W)`` images into one grey uint8 image.

    With ``value_range = (low, high)`` every image is clipped to it and drawn as ink on
    paper (``high`` black, ``low`` white, as the digits' figures are); without it each
    image is scaled to its own [min, max] (dark = low; a constant image is mid-grey).
    ``scale`` repeats each pixel (nearest neighbour), ``gap`` pixels of white separate
    the tiles.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 2:
        images = images[None]
    n, h, w = images.shape
    columns = columns or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / columns))
    out = np.full((rows * (h * scale + gap) + gap, columns * (w * scale + gap) + gap), 255, dtype=np.uint8)
    for k in range(n):
        tile = np.nan_to_num(images[k], nan=0.0, posinf=0.0, neginf=0.0)
        if value_range is not None:
            low, high = value_range
            # ink: x -> 255 (high - clip(x)) / (high - low), so high is black
            grey = 255.0 * (high - np.clip(tile, low, high)) / (high - low)
        else:
            low, high = float(tile.min()), float(tile.max())
            # x -> 255 (x - min) / (max - min), dark = low
            grey = np.full(tile.shape, 128.0) if high <= low else 255.0 * (tile - low) / (high - low)
        grey = np.kron(np.round(grey), np.ones((scale, scale))).astype(np.uint8)
        r, c = divmod(k, columns)
        top, left = gap + r * (h * scale + gap), gap + c * (w * scale + gap)
        out[top:top + h * scale, left:left + w * scale] = grey
    return out


# ---------------------------------------------------------------------------- text


def bilingual_text(pair: Sequence[str], x: float, y: float, *, anchor: str = "middle", rotate: bool = False,
                   size: int = 12, extra: str = "") -> str:
    """Two ``<text>`` elements, English and Chinese, of which the page shows one."""
    transform = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    parts = []
    for lang, words in zip(("en", "zh"), pair):
        parts.append(f'<text class="l-{lang}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
                     f'font-size="{size}"{transform}{extra}>{escape(words)}</text>')
    return "".join(parts)


def _number(value: float) -> str:
    """A tick label: short, fixed format."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e5 or magnitude < 1e-3:
        return f"{value:.1e}"
    return f"{value:.4g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [low, high].

    Examples
    --------
    >>> nice_ticks(0.0, 1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    # step = 1, 2 or 5 times a power of ten, the first not below raw
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    k = first
    while k * step <= high + 1e-9 * step:
        ticks.append(round(k * step, 12))
        k += 1
    return ticks


class _Axes:
    """Data-to-pixel maps of one chart panel."""

    def __init__(self, width: int, height: int, x_range: tuple[float, float], y_range: tuple[float, float],
                 integer_x: bool = False):
        self.width, self.height, self.integer_x = width, height, integer_x
        self.left, self.right = _MARGIN[0], width - _MARGIN[1]
        self.top, self.bottom = _MARGIN[2], height - _MARGIN[3]
        self.x0, self.x1 = _padded(*x_range)
        self.y0, self.y1 = _padded(*y_range)

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def py(self, y: float) -> float:
        return self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)

    def frame(self, xlabel: Sequence[str], ylabel: Sequence[str]) -> list[str]:
        """The box, ticks with their labels and both axis labels."""
        out = [f'<rect class="plot-area" x="{self.left}" y="{self.top}" width="{self.right - self.left}" '
               f'height="{self.bottom - self.top}" fill="#fff" stroke="#888"/>']
        ticks = nice_ticks(self.x0, self.x1)
        if self.integer_x:  # counts (epochs, iterations): whole numbers only
            ticks = [t for t in ticks if float(t).is_integer()] or ticks
        for t in ticks:
            x = self.px(t)
            out.append(f'<line x1="{x:.1f}" y1="{self.bottom}" x2="{x:.1f}" y2="{self.bottom + 4}" stroke="#888"/>')
            out.append(f'<text x="{x:.1f}" y="{self.bottom + 16}" text-anchor="middle" font-size="11">'
                       f'{_number(t)}</text>')
        for t in nice_ticks(self.y0, self.y1):
            y = self.py(t)
            out.append(f'<line x1="{self.left - 4}" y1="{y:.1f}" x2="{self.left}" y2="{y:.1f}" stroke="#888"/>')
            out.append(f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.right}" y2="{y:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{self.left - 7}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                       f'{_number(t)}</text>')
        out.append(bilingual_text(xlabel, (self.left + self.right) / 2, self.height - 8))
        out.append(bilingual_text(ylabel, 14, (self.top + self.bottom) / 2, rotate=True))
        return out


def _padded(low: float, high: float) -> tuple[float, float]:
    if not (math.isfinite(low) and math.isfinite(high)):
        return 0.0, 1.0
    # a constant (or constant up to rounding) series: a range of +-10% around its value, so
    # the line sits mid-chart at its own level instead of the range collapsing onto it
    size = max(abs(low), abs(high))
    if high - low <= 1e-9 * size:
        half = 0.1 * size if size > 0 else 0.5
        middle = 0.5 * (low + high)
        return middle - half, middle + half
    pad = 0.04 * (high - low)
    return low - pad, high + pad


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">'
                  + "".join(body) + "</svg>")


# ---------------------------------------------------------------------------- charts


def line_chart(series: Sequence[tuple[Sequence[str], np.ndarray, np.ndarray]], xlabel: Sequence[str],
               ylabel: Sequence[str], *, width: int = 560, height: int = 280, max_points: int = 400
               ) -> tuple[Markup, list[dict]]:
    """Curves of one or more series against a shared x axis, and the points a cursor can step through.

    Parameters
    ----------
    series : list of (label pair, x, y)
        Each curve; non-finite values are left out of the line.
    xlabel, ylabel : (English, Chinese)
    max_points : int
        Longer curves are thinned to this many evenly spaced points (the last kept).

    Returns
    -------
    svg : Markup
        The chart, with a legend when there is more than one series and a hidden
        cursor (``class="cursor"``) a slider moves.
    steps : list of dict
        For each step of the slider: ``{"x": pixel, "label": x value, "values": [[pixel y or
        None, text], ...]}`` (one entry per series).
    """
    thinned = []
    for label, x, y in series:
        x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
        if len(x) > max_points:
            keep = np.unique(np.round(np.linspace(0, len(x) - 1, max_points)).astype(int))
            x, y = x[keep], y[keep]
        thinned.append((label, x, y))
    xs = np.concatenate([x for _, x, _ in thinned]) if thinned else np.zeros(0)
    ys = np.concatenate([y[np.isfinite(y)] for _, _, y in thinned]) if thinned else np.zeros(0)
    xs = xs[np.isfinite(xs)]
    axes = _Axes(width, height, (float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0),
                 (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0),
                 integer_x=bool(xs.size) and bool(np.all(xs == np.round(xs))))
    body = axes.frame(xlabel, ylabel)
    for k, (label, x, y) in enumerate(thinned):
        colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
        segments, current = [], []
        for a, b in zip(x, y):
            if math.isfinite(a) and math.isfinite(b):
                current.append(f"{axes.px(a):.1f},{axes.py(b):.1f}")
            elif current:
                segments.append(current)
                current = []
        if current:
            segments.append(current)
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                body.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
            else:
                body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" '
                            f'points="{" ".join(points)}"/>')
    full_width = width
    if len(thinned) > 1:  # the legend, to the right of the plot
        full_width = width + 190
        for k, (label, _, _) in enumerate(thinned):
            colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
            y = axes.top + 14 + 16 * k
            body.append(f'<line x1="{width + 4}" y1="{y - 4}" x2="{width + 22}" y2="{y - 4}" '
                        f'stroke="{colour}" stroke-width="2.5"/>')
            body.append(bilingual_text(label, width + 28, y, anchor="start", size=11))
    # the slider's cursor: a vertical line and one dot per series, hidden until moved
    body.append(f'<g class="cursor"><line class="cursor-line" x1="0" y1="{axes.top}" x2="0" '
                f'y2="{axes.bottom}" stroke="#333" stroke-dasharray="3,3"/>'
                + "".join(f'<circle class="cursor-dot" r="4" cx="0" cy="0" fill="{CLASS_COLOURS[k % 10]}" '
                          f'stroke="#000"/>' for k in range(len(thinned)))
                + "</g>")
    steps = []
    if thinned:
        grid = np.unique(np.concatenate([x[np.isfinite(x)] for _, x, _ in thinned]))
        if len(grid) > max_points:
            grid = grid[np.unique(np.round(np.linspace(0, len(grid) - 1, max_points)).astype(int))]
        for value in grid:
            entry = {"x": round(axes.px(value), 1), "label": _number(float(value)), "values": []}
            for _, x, y in thinned:
                hits = np.flatnonzero(x == value)
                if hits.size and math.isfinite(y[hits[0]]):
                    entry["values"].append([round(axes.py(y[hits[0]]), 1), _number(float(y[hits[0]]))])
                else:
                    entry["values"].append([None, "-"])
            steps.append(entry)
    return _svg(full_width, height, body, ylabel[0]), steps


def scatter_chart(X: np.ndarray, classes: np.ndarray | None = None, *, sizes: np.ndarray | None = None,
                  centres: np.ndarray | None = None, paths: np.ndarray | None = None,
                  background: str | None = None, extent: tuple[float, float, float, float] | None = None,
                  xlabel: Sequence[str] = ("x1", "x1"), ylabel: Sequence[str] = ("x2", "x2"),
                  width: int = 420, height: int = 360, label: str = "scatter",
                  legend: Sequence[tuple[int, Sequence[str]]] | None = None,
                  size_max: float | None = None) -> Markup:
    """Points ``X (n, 2)`` coloured by ``classes``, sized by ``sizes`` (areas; ``size_max`` or the
    largest size gets the largest marker).

    ``centres (k, 2)`` are drawn as crosses in their class colour, ``paths (steps, k, 2)``
    as their trails; ``background`` is a PNG data URI drawn under the points over
    ``extent = (x_min, x_max, y_min, y_max)``; ``legend`` lists ``(class, label pair)``
    and is drawn to the right of the plot.
    """
    X = np.asarray(X, dtype=np.float64)
    finite = X[np.all(np.isfinite(X), axis=1)]
    lows = finite.min(axis=0) if finite.size else np.zeros(2)
    highs = finite.max(axis=0) if finite.size else np.ones(2)
    if extent is not None:
        lows = np.minimum(lows, [extent[0], extent[2]])
        highs = np.maximum(highs, [extent[1], extent[3]])
    full_width = width + (130 if legend else 0)
    axes = _Axes(width, height, (float(lows[0]), float(highs[0])), (float(lows[1]), float(highs[1])))
    body = axes.frame(xlabel, ylabel)
    for k, (j, pair) in enumerate(legend or ()):
        y = axes.top + 12 + 17 * k
        body.append(f'<circle cx="{width + 10}" cy="{y - 4}" r="5" fill="{CLASS_COLOURS[j % len(CLASS_COLOURS)]}"/>')
        body.append(bilingual_text(pair, width + 20, y, anchor="start", size=12))
    if background is not None and extent is not None:
        x0, x1, y0, y1 = (axes.px(extent[0]), axes.px(extent[1]), axes.py(extent[3]), axes.py(extent[2]))
        body.append(f'<image href="{background}" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
                    f'height="{y1 - y0:.1f}" preserveAspectRatio="none" opacity="0.35"/>')
    if sizes is not None:
        sizes = np.asarray(sizes, dtype=np.float64)
        top = size_max if size_max else (float(np.max(sizes)) if sizes.size and np.max(sizes) > 0 else 1.0)
        # marker area proportional to the size: radius = r_max sqrt(s / s_max)
        radii = 1.2 + 9.0 * np.sqrt(np.clip(sizes, 0, None) / top)
    else:
        radii = np.full(len(X), 2.6)
    for i, (a, b) in enumerate(X):
        if not (math.isfinite(a) and math.isfinite(b)):
            continue
        colour = "#555" if classes is None else CLASS_COLOURS[int(classes[i]) % len(CLASS_COLOURS)]
        body.append(f'<circle cx="{axes.px(a):.1f}" cy="{axes.py(b):.1f}" r="{radii[i]:.1f}" fill="{colour}" '
                    f'fill-opacity="0.75" stroke="#fff" stroke-width="0.4"/>')
    if paths is not None:
        paths = np.asarray(paths, dtype=np.float64)
        for j in range(paths.shape[1]):
            points = " ".join(f"{axes.px(p[0]):.1f},{axes.py(p[1]):.1f}" for p in paths[:, j])
            body.append(f'<polyline fill="none" stroke="#000" stroke-width="1.2" points="{points}"/>')
    if centres is not None:
        for j, (a, b) in enumerate(np.asarray(centres, dtype=np.float64)):
            x, y = axes.px(a), axes.py(b)
            colour = CLASS_COLOURS[j % len(CLASS_COLOURS)]
            body.append(f'<path d="M{x - 7:.1f},{y - 7:.1f}L{x + 7:.1f},{y + 7:.1f}M{x - 7:.1f},{y + 7:.1f}'
                        f'L{x + 7:.1f},{y - 7:.1f}" stroke="#000" stroke-width="5"/>'
                        f'<path d="M{x - 7:.1f},{y - 7:.1f}L{x + 7:.1f},{y + 7:.1f}M{x - 7:.1f},{y + 7:.1f}'
                        f'L{x + 7:.1f},{y - 7:.1f}" stroke="{colour}" stroke-width="3"/>')
    return _svg(full_width, height, body, label)
