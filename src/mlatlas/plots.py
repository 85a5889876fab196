"""Plotting helpers for the atlas's figures: they draw arrays, never estimators.

Everything draws with matplotlib's non-interactive Agg backend and writes PNG files;
algorithm files never import this module.  matplotlib itself is imported on first
use (``plots.plt`` included), so importing this module costs nothing: ``mlatlas list``
imports every family module without loading matplotlib.

Languages
---------
Figures are drawn in English (``"en"``) or Chinese (``"zh"``).  Chinese needs a CJK
font: :func:`cjk_font` looks for one that matplotlib knows (Noto Sans CJK, Source Han
Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang...), and also registers CJK font
files installed after matplotlib built its font cache.  When there is none, Chinese
figures fall back to English labels (so no text is drawn as empty boxes): one
warning says so and names the package to install (Debian: ``fonts-noto-cjk``).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from typing import Any, Iterator, Sequence

import numpy as np

from ._atomic import atomic_write

__all__ = ["figure", "save", "class_regions", "scatter_classes", "class_legend", "class_colour", "cjk_font",
           "language",
           "effective_language", "unlabelled_axes", "CLASS_COLOURS"]

#: Colours of classes and clusters, in order (matplotlib's tab10).
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")

#: CJK font families tried, most wanted first.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "Noto Sans CJK JP", "Noto Sans CJK TC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "Droid Sans Fallback",
                "AR PL UMing CN")
#: Parts of font file names that mark a CJK font (for fonts installed after matplotlib's cache).
_CJK_FILE_HINTS = ("cjk", "sourcehansans", "wqy", "simhei", "msyh", "pingfang", "droidsansfallback",
                   "notosanssc")
_DPI = 110
_cjk: list = []  # [family or None] once looked up
_warned: list = []


def __getattr__(name: str) -> Any:
    # ``plots.plt``: pyplot, imported (with the Agg backend) on first use
    if name == "plt":
        return _pyplot()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ---------------------------------------------------------------------- languages


def cjk_font() -> str | None:
    """The name of a CJK font family matplotlib can use, or None (looked up once)."""
    if _cjk:
        return _cjk[0]
    from matplotlib import font_manager

    def known() -> str | None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = known()
    if found is None:
        # matplotlib caches its font list; a font installed since is only on disk
        for path in font_manager.findSystemFonts():
            if any(hint in os.path.basename(path).lower() for hint in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    _cjk.append(found)
    return found


def effective_language(lang: str) -> str:
    """``lang``, or ``"en"`` when it is ``"zh"`` and no CJK font exists (warns once)."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh'; got {lang!r}.")
    if lang == "zh" and cjk_font() is None:
        if not _warned:
            _warned.append(True)
            warnings.warn("no CJK font found (Debian/Ubuntu: apt-get install fonts-noto-cjk); "
                          "Chinese figures are drawn with English labels.", UserWarning, stacklevel=2)
        return "en"
    return lang


@contextlib.contextmanager
def language(lang: str) -> Iterator[str]:
    """Draw in ``lang``: a CJK font first for Chinese, matplotlib's default font otherwise.

    Yields the language the labels should use (see :func:`effective_language`).
    """
    import matplotlib

    used = effective_language(lang)
    settings = {"font.family": ["sans-serif"]}
    if used == "zh":
        # CJK glyphs from the CJK font, anything it lacks from matplotlib's default
        settings = {"font.family": [cjk_font(), "DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(settings):
        yield used


# ---------------------------------------------------------------------- figures


def figure(n_rows: int = 1, n_cols: int = 1, *, size: float = 4.0, **kwargs: Any):
    """A figure with an ``(n_rows, n_cols)`` grid of axes (always a 2-D array)."""
    plt = _pyplot()
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows * 0.85),
                             squeeze=False, **kwargs)
    return fig, axes


def save(fig, path: str, *, tight: bool = True) -> str:
    """Write ``fig`` to ``path`` (PNG, atomically), close it and return the path.

    The PNG carries no software or date stamp, so the same figure drawn twice gives
    the same bytes.
    """
    plt = _pyplot()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        if tight:
            fig.tight_layout()
        atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=_DPI,
                                                      metadata={"Software": None}))
    finally:
        plt.close(fig)
    return path


def class_colour(k: int) -> str:
    """The colour of class (or cluster) number ``k``."""
    return CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]


def class_regions(ax, xs: np.ndarray, ys: np.ndarray, classes_grid: np.ndarray, n_classes: int,
                  alpha: float = 0.25) -> None:
    """Shade a grid of predicted class numbers (0..n_classes-1) in the class colours.

    ``xs`` (m,) and ``ys`` (r,) are the grid's coordinates, ``classes_grid`` (r, m).
    """
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([class_colour(k) for k in range(n_classes)])
    ax.contourf(xs, ys, classes_grid, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=alpha,
                vmin=-0.5, vmax=n_classes - 0.5)


def scatter_classes(ax, X: np.ndarray, codes: np.ndarray, names: Sequence[str], *, legend: bool = True,
                    title: str | None = None, s: float | np.ndarray = 18, **kwargs: Any) -> None:
    """Scatter 2-D points coloured by class number ``codes`` (0..K-1), one legend entry per class.

    ``s`` may be one marker area or one per point.
    """
    codes = np.asarray(codes)
    sizes = np.broadcast_to(np.asarray(s, dtype=float), codes.shape)
    style = {"edgecolors": "k", "linewidths": 0.5, **kwargs}
    for k, name in enumerate(names):
        mask = codes == k
        if not np.any(mask):
            continue
        ax.scatter(X[mask, 0], X[mask, 1], color=class_colour(k), s=sizes[mask], label=str(name), **style)
    if legend:
        ax.legend(title=title, fontsize=7, title_fontsize=7, loc="best", markerscale=0.8)


def class_legend(target, names: Sequence[str], *, title: str | None = None, marker: str = "o",
                 **kwargs: Any):
    """A legend of class (or cluster) colours on an axes or a figure: one entry per name."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], linestyle="none", marker=marker, markersize=6, markerfacecolor=class_colour(k),
                      markeredgecolor="k", markeredgewidth=0.5, label=str(name))
               for k, name in enumerate(names)]
    options = {"fontsize": 7, "title_fontsize": 7, **kwargs}
    return target.legend(handles=handles, title=title, **options)


def unlabelled_axes(fig) -> list[str]:
    """Panels of ``fig`` that lack an x or y label (for tests).

    Panels drawn without axes (``axis("off")``: diagrams, images) and colour bars
    need none; a twin panel may take its x label from its sibling.
    """
    problems = []
    for index, ax in enumerate(fig.axes):
        if not ax.axison or ax.get_label() == "<colorbar>" or hasattr(ax, "_colorbar"):
            continue
        name = f"panel {index} ({ax.get_title()!r})"
        siblings = ax.get_shared_x_axes().get_siblings(ax)
        if not any(other.get_xlabel() for other in siblings):
            problems.append(f"{name}: no x label")
        if not ax.get_ylabel():
            problems.append(f"{name}: no y label")
        if hasattr(ax, "get_zlabel") and not ax.get_zlabel():
            problems.append(f"{name}: no z label")
    return problems
