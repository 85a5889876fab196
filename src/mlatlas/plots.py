"""Plotting helpers shared by the registry's figure functions.

Everything draws with matplotlib's non-interactive Agg backend and writes PNG files;
algorithm files never import this module.
"""

from __future__ import annotations

import os
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plt", "figure", "save", "decision_surface", "plot_decision_boundary", "scatter_classes"]


def figure(n_rows: int = 1, n_cols: int = 1, *, size: float = 4.0, **kwargs: Any):
    """A figure with an ``(n_rows, n_cols)`` grid of axes (always a 2-D array)."""
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows * 0.85),
                             squeeze=False, **kwargs)
    return fig, axes


def save(fig, path: str) -> str:
    """Write ``fig`` to ``path`` (PNG), close it and return the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def decision_surface(estimator: Any, X: np.ndarray, *, resolution: int = 200,
                     margin: float = 0.5, method: str = "predict"):
    """Evaluate ``estimator.<method>`` on a grid covering the first two columns of ``X``.

    Returns ``(xx, yy, values)`` with ``values`` shaped like the grid (for
    ``predict_proba`` the probability of the last class).
    """
    x_min, x_max = X[:, 0].min() - margin, X[:, 0].max() + margin
    y_min, y_max = X[:, 1].min() - margin, X[:, 1].max() + margin
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])  # (resolution^2, 2)
    values = getattr(estimator, method)(grid)
    if method == "predict_proba":
        values = values[:, -1]
    return xx, yy, np.asarray(values).reshape(xx.shape)


def scatter_classes(ax, X: np.ndarray, y: np.ndarray, **kwargs: Any) -> None:
    """Scatter 2-D points coloured by class."""
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=18, linewidths=0.5, **kwargs)


def plot_decision_boundary(ax, estimator: Any, X: np.ndarray, y: np.ndarray, *, title: str = "",
                           resolution: int = 200) -> None:
    """Filled predicted-class regions of a fitted 2-D classifier, with the points on top."""
    xx, yy, z = decision_surface(estimator, X, resolution=resolution)
    classes = np.unique(y)
    # map labels to 0..K-1 so that contourf colours line up with scatter colours
    z_index = np.searchsorted(classes, z)
    ax.contourf(xx, yy, z_index, levels=np.arange(len(classes) + 1) - 0.5, cmap="coolwarm", alpha=0.3)
    scatter_classes(ax, X, np.searchsorted(classes, y))
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
