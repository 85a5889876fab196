"""The iterations of a run, as the report shows them: traces with a cursor, and slider frames.

A *trace* is a curve over iterations (a loss, an inertia, a dual objective, a weighted
error) drawn as an SVG line chart; its slider moves a cursor along the iterations and
reads the values.  A set of *frames* is one picture per recorded iteration (k-means
assignments, AdaBoost's sample weights, RBM filters, a DDPM reverse trajectory); its
slider shows one frame at a time.

What to draw comes from the entry's content (``"traces"`` and ``"frames"`` specs naming
record arrays; see :mod:`mlatlas.report.content`).  An entry without specs gets what
:func:`guess_traces` and :func:`guess_frames` find in its record by name and shape, so a
new entry's page shows its iterations before anyone writes its specs.  Specs naming
arrays a record lacks are skipped: an older record never breaks its page.
"""

from __future__ import annotations

import base64
import fnmatch
import re
from typing import Any

import numpy as np

from .svg import image_grid, line_chart, png_bytes, scatter_chart

__all__ = ["build_traces", "build_frames", "guess_traces", "guess_frames", "HISTORY_WORDS", "FRAME_WORDS"]

#: Last parts of array names that hold a quantity per iteration.
HISTORY_WORDS = ("loss", "log_likelihood", "loglik", "objective", "error", "alpha", "inertia", "kkt", "elbo",
                 "energy", "reconstruction", "kl", "pseudo_likelihood", "free_energy", "d_loss", "g_loss",
                 "fid", "nll", "history")
#: Words in the names of image stacks that run over iterations or sampling steps.
FRAME_WORDS = ("trajectory", "frames", "filters", "reverse", "chain", "snapshots", "history", "gibbs")
#: Names of arrays that give the x axis of a trace (epoch, step, ...).
X_WORDS = ("epoch", "epochs", "iteration", "iterations", "step", "steps", "round", "rounds", "t")
#: Per-epoch columns that are bookkeeping, not a quantity to follow (left out of globs).
SKIP_WORDS = ("seconds", "time", "layer")

_MAX_FRAMES = 40

#: Labels of common per-epoch columns (``history.<column>``), in English and Chinese.
COLUMN_LABELS = {
    "loss": ("loss", "损失"), "lr": ("learning rate", "学习率"), "kl": ("KL term", "KL 项"),
    "reconstruction": ("reconstruction loss", "重建损失"), "reconstruction_error": ("reconstruction error", "重建误差"),
    "pseudo_likelihood": ("pseudo-likelihood", "伪似然"), "log_likelihood": ("log-likelihood", "对数似然"),
    "loss_d": ("discriminator loss", "判别器损失"), "loss_g": ("generator loss", "生成器损失"),
    "d_real": ("D(x) on real digits", "真实数字上的 D(x)"), "d_fake": ("D(G(z)) on generated digits", "生成数字上的 D(G(z))"),
    "correlation_gap": ("correlation gap (data - model)", "相关性差距（数据 − 模型）"),
    "sparsity": ("sparsity penalty", "稀疏惩罚"), "elbo": ("ELBO", "ELBO"), "grad_norm": ("gradient norm", "梯度范数"),
}


def _pair(value: Any, default: str = "") -> tuple[str, str]:
    """A label as (English, Chinese); a plain string stands for both."""
    if value is None:
        return (default, default)
    if isinstance(value, str):
        return (value, value)
    return (str(value[0]), str(value[1]))


def _expand(pattern: str, arrays: dict) -> list[str]:
    return sorted(name for name in arrays if fnmatch.fnmatchcase(name, pattern))


def _varying(pattern: str, name: str) -> str:
    """The parts of ``name`` a glob's wildcards matched (``convergence.*.kkt`` -> ``"0"``)."""
    parts, wild = name.split("."), pattern.split(".")
    if len(parts) != len(wild):
        return name.rpartition(".")[2]
    shown = [p for p, w in zip(parts, wild) if any(c in w for c in "*?[")]
    return ".".join(shown) or parts[-1]


def _curve(array: np.ndarray) -> bool:
    return array.ndim == 1 and array.size >= 2 and array.dtype.kind in "iuf"


# ---------------------------------------------------------------------------- traces


def guess_traces(arrays: dict) -> list[dict]:
    """Trace specs for a record with none: one chart per name prefix of per-iteration curves."""
    groups: dict[str, list[str]] = {}
    for name in sorted(arrays):
        prefix, _, last = name.rpartition(".")
        words = set(re.split(r"[_.\-]", name.lower()))
        if _curve(arrays[name]) and (last.lower() in HISTORY_WORDS or words & set(HISTORY_WORDS)):
            if last.lower() in X_WORDS or last.lower() in SKIP_WORDS:
                continue
            groups.setdefault(prefix, []).append(name)
    specs = []
    for prefix, names in groups.items():
        x = next((f"{prefix}.{w}" if prefix else w for w in X_WORDS
                  if (f"{prefix}.{w}" if prefix else w) in arrays), None)
        specs.append({"series": [[n, n.rpartition(".")[2] if prefix else n] for n in names], "x": x,
                      "each": True})
    return specs


def build_traces(specs: list[dict], arrays: dict) -> list[dict]:
    """Charts for the page: each ``{"title", "svg", "steps", "xlabel"}`` (see :func:`line_chart`).

    A spec is ``{"series": [[array name or glob, label], ...], "x": name or None,
    "title": label, "xlabel": label, "ylabel": label, "each": bool, "offset": number}``; a
    glob adds one series per matching array, labelled by the parts its wildcards matched;
    ``"x"`` may name an array beside each series (``"iteration"`` for ``a.0.loss``:
    ``a.0.iteration``); ``"each"`` draws one chart per series; ``"offset"`` is added to
    the x values (for steps counted from 0); ``"label_format"`` (English, Chinese) labels a
    glob's series from what its wildcards matched (``("pair {}", "类别对 {}")``).
    """
    charts = []
    for spec in specs:
        series = []
        for item in spec["series"]:
            pattern, label = (item, None) if isinstance(item, str) else (item[0], item[1])
            names = _expand(pattern, arrays) if any(c in pattern for c in "*?[") else (
                [pattern] if pattern in arrays else [])
            for name in names:
                y = arrays[name]
                x_name = spec.get("x")
                last = name.rpartition(".")[2]
                if not _curve(y) or name == x_name or last in X_WORDS or (last in SKIP_WORDS and name != pattern):
                    continue
                if not np.any(np.isfinite(y.astype(np.float64))):  # a column never filled in (all NaN)
                    continue
                x = arrays.get(x_name) if x_name else None
                if x_name and x is None:  # a name relative to the series' own prefix
                    x = arrays.get(f"{name.rpartition('.')[0]}.{x_name}")
                if x is None or np.shape(x) != y.shape:
                    # iterations counted from 1 unless the record says otherwise
                    x = np.arange(1, y.size + 1)
                else:
                    x = np.asarray(x, dtype=np.float64) + spec.get("offset", 0)
                varying = _varying(pattern, name)
                if label is not None:
                    shown = _pair(label)
                elif len(names) == 1 and spec.get("ylabel") and not spec.get("each"):
                    shown = _pair(spec["ylabel"])  # a glob that matched one array: the chart's own label
                elif spec.get("label_format"):
                    english, chinese = _pair(spec["label_format"])
                    shown = (english.format(varying), chinese.format(varying))
                else:
                    shown = COLUMN_LABELS.get(varying, _pair(varying))
                series.append((shown, x, y.astype(np.float64)))
        groups = [[s] for s in series] if spec.get("each") else ([series] if series else [])
        for group in groups:
            xlabel = _pair(spec.get("xlabel")) if spec.get("xlabel") else ("iteration", "迭代")
            ylabel = _pair(spec.get("ylabel")) if spec.get("ylabel") and not spec.get("each") else group[0][0]
            svg, steps = line_chart(group, xlabel, ylabel)
            if len(steps) < 2:
                continue
            title = _pair(spec.get("title")) if spec.get("title") and not spec.get("each") else ylabel
            charts.append({"title": title, "svg": svg, "steps": steps, "xlabel": xlabel,
                           "series": [s[0] for s in group]})
    return charts


# ---------------------------------------------------------------------------- frames


def _stack(array: np.ndarray, smallest: int = 4) -> bool:
    """An image stack over steps: (T, H, W), (T, N, H, W) or (T, N, C, H, W) of small square-ish images."""
    if array.dtype.kind not in "iufb" or array.ndim not in (3, 4, 5):
        return False
    h, w = array.shape[-2:]
    return (2 <= array.shape[0] <= 1000 and smallest <= h <= 64 and smallest <= w <= 64
            and abs(h - w) <= h // 2)


def guess_frames(arrays: dict) -> list[dict]:
    """Frame specs for a record with none: image stacks named like iterations or sampling steps."""
    specs = []
    for name in sorted(arrays):
        words = set(re.split(r"[_.\-]", name.lower()))
        if _stack(arrays[name]) and (words & set(FRAME_WORDS) or arrays[name].ndim >= 4):
            specs.append({"kind": "images", "images": name, "title": name})
    return specs


def _data_uri(pixels: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(pixels)).decode("ascii")


def _steps(spec: dict, arrays: dict, count: int) -> list[str]:
    """The slider's labels: the record's step numbers (plus the spec's ``"offset"``), else 1, 2, ..."""
    steps = arrays.get(spec.get("steps", ""))
    if steps is not None and np.shape(steps) == (count,):
        steps = np.asarray(steps, dtype=np.float64) + spec.get("offset", 0)
        return [str(int(s)) if float(s).is_integer() else f"{float(s):.4g}" for s in steps]
    return [str(i + 1) for i in range(count)]


def _thin(count: int) -> list[int]:
    """At most :data:`_MAX_FRAMES` frame indices, first and last kept."""
    if count <= _MAX_FRAMES:
        return list(range(count))
    return sorted(set(np.round(np.linspace(0, count - 1, _MAX_FRAMES)).astype(int).tolist()))


def _image_frames(spec: dict, arrays: dict) -> list[dict] | None:
    stack = arrays.get(spec["images"])
    shape = tuple(spec.get("shape", ()))
    if stack is not None and shape and stack.ndim >= 2 and stack.shape[-1] == int(np.prod(shape)):
        stack = stack.reshape(stack.shape[:-1] + shape)  # flat pixels -> (H, W)
    if stack is None or not _stack(stack, smallest=2):
        return None
    steps = _steps(spec, arrays, stack.shape[0])
    value_range = tuple(spec["range"]) if "range" in spec else None
    frames = []
    for i in _thin(stack.shape[0]):
        images = stack[i] if stack.ndim >= 4 else stack[i][None]
        if images.ndim == 4:  # (N, C, H, W): the mean over channels
            images = images.mean(axis=1)
        images = images[:64]
        scale = max(1, min(16, 64 // images.shape[-1]))
        columns = len(images) if len(images) <= 12 else None
        frames.append({"step": steps[i], "image": _data_uri(image_grid(images, scale=scale, columns=columns, gap=2,
                                                                       value_range=value_range))})
    return frames


def _scatter_frames(spec: dict, arrays: dict) -> list[dict] | None:
    X = arrays.get(spec["points"])
    if X is None or X.ndim != 2 or X.shape[1] != 2:
        return None
    labels = arrays.get(spec.get("labels", ""))  # (T, n) classes per frame
    sizes = arrays.get(spec.get("sizes", ""))  # (T, n) marker areas per frame
    classes = arrays.get(spec.get("classes", ""))  # (n,) fixed classes
    regions = arrays.get(spec.get("background", ""))  # (T, gy, gx) classes on a grid
    for per_frame in (labels, sizes):
        if per_frame is not None and (per_frame.ndim != 2 or per_frame.shape[1] != X.shape[0]):
            return None
    if labels is None and sizes is None and (regions is None or regions.ndim != 3):
        return None
    count = (labels if labels is not None else sizes if sizes is not None else regions).shape[0]
    steps = _steps(spec, arrays, count)
    centres = arrays.get(spec.get("centres", ""))  # (all steps + 1, k, 2), indexed by the step number
    xs, ys = arrays.get(spec.get("xs", "")), arrays.get(spec.get("ys", ""))
    frames = []
    for i in _thin(count):
        background = extent = None
        if regions is not None and xs is not None and ys is not None and regions.shape[0] == count:
            grid = np.asarray(regions[i]).astype(int)[::-1]  # image rows run top-down, y runs up
            palette = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40]], dtype=np.uint8)
            background = _data_uri(palette[grid % len(palette)])
            extent = (float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max()))
        step_centres = paths = None
        if centres is not None and centres.ndim == 3 and centres.shape[2] == 2:
            raw = arrays.get(spec.get("steps", ""))
            at = int(raw[i]) if raw is not None and np.shape(raw) == (count,) else i
            at = min(max(at, 0), centres.shape[0] - 1)
            step_centres, paths = centres[at], centres[: at + 1]
        shown = labels[i] if labels is not None else classes
        legend = None
        if shown is not None:
            pattern = _pair(spec.get("legend", ("class {j}", "类别 {j}")))
            legend = [(int(j), (pattern[0].format(j=int(j), n=int(j) + 1), pattern[1].format(j=int(j), n=int(j) + 1)))
                      for j in np.unique(np.asarray(shown).astype(int))[:10]]
        size_max = float(np.max(sizes)) if sizes is not None and sizes.size and np.max(sizes) > 0 else None
        svg = scatter_chart(X, shown, legend=legend, size_max=size_max,
                            sizes=sizes[i] if sizes is not None else None, centres=step_centres, paths=paths,
                            background=background, extent=extent, label=f"{spec['points']} step {steps[i]}")
        frames.append({"step": steps[i], "svg": svg})
    return frames


def build_frames(specs: list[dict], arrays: dict) -> list[dict]:
    """Slider frame sets for the page: each ``{"title", "frames": [{"step", "svg" or "image"}], "step_label"}``.

    Specs: ``{"kind": "images", "images": name of (T, H, W), (T, N, H, W) or (T, N, C, H, W),
    "steps": name, "shape": (H, W) for flat pixels, "range": (low, high) to draw them as ink on
    paper}``
    or ``{"kind": "scatter", "points": (n, 2), "labels": (T, n) or "sizes": (T, n),
    "classes": (n,), "steps": (T,), "centres": (steps + 1, k, 2), "background": (T, gy, gx),
    "xs": (gx,), "ys": (gy,)}``; both take a ``"title"`` and a ``"step_label"``.
    """
    sets = []
    for spec in specs:
        build = _image_frames if spec.get("kind", "images") == "images" else _scatter_frames
        frames = build(spec, arrays)
        if frames and len(frames) >= 2:
            sets.append({"title": _pair(spec.get("title"), ""), "frames": frames,
                         "step_label": _pair(spec.get("step_label"), "") if spec.get("step_label")
                         else ("step", "步")})
    return sets
