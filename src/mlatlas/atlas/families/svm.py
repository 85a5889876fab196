"""Registry entry ``svm``: the support vector classifier (our SMO) against libsvm's SVC.

Figures: the margins and support vectors of the fitted model on a 2-D view of the
data, hard against soft margins, the boundary each kernel draws on moons and
circles, and SMO's convergence (dual objective and KKT violation).
"""

from __future__ import annotations

import numpy as np

from ... import datasets as ds
from ... import plots
from ...supervised.svm import SVC
from ..registry import Entry, register
from ..runner import standard_run, default_metrics

_SHARED = ("C", "kernel", "degree", "gamma", "coef0", "tol", "cache_size", "max_iter",
           "decision_function_shape")


def _reference(params: dict):
    from sklearn.svm import SVC as ReferenceSVC

    return ReferenceSVC(**{k: v for k, v in params.items() if k in _SHARED})


def _metrics(estimator, X, y) -> dict:
    return {**default_metrics("classification", estimator, X, y),
            "n_support_vectors": int(len(estimator.support_))}


def _run(entry: Entry, ctx) -> object:
    """The standard side-by-side run, plus how close our SMO's solution is to libsvm's."""
    result = standard_run(entry, ctx.dataset, ctx.params, ctx.seed, ctx)
    ours, ref = ctx.ours, ctx.reference
    same = bool(np.array_equal(ours.support_, ref.support_))
    result.comparison["same_support_vectors"] = same
    if same:
        result.comparison["max_dual_coef_difference"] = float(np.abs(ours.dual_coef_ - ref.dual_coef_).max())
    result.comparison["max_intercept_difference"] = float(np.abs(ours.intercept_ - ref.intercept_).max())
    result.details["n_support"] = {"mlatlas": ours.n_support_.tolist(), "reference": ref.n_support_.tolist()}
    result.details["n_iter"] = {"mlatlas": ours.n_iter_.tolist(), "reference": ref.n_iter_.tolist()}
    return result


# ---------------------------------------------------------------------- drawing helpers
def _draw_margins(ax, clf: SVC, X: np.ndarray, y: np.ndarray, title: str, resolution: int = 150) -> None:
    """Decision function shaded, the lines f = -1, 0, 1, the points, support vectors ringed."""
    xx, yy, f = plots.decision_surface(clf, X, resolution=resolution, method="decision_function")
    limit = max(1.0, float(np.percentile(np.abs(f), 98)))
    ax.contourf(xx, yy, np.clip(f, -limit, limit), levels=20, cmap="coolwarm", alpha=0.35)
    ax.contour(xx, yy, f, levels=[-1.0, 0.0, 1.0], colors="k", linestyles=["--", "-", "--"],
               linewidths=[1.0, 1.6, 1.0])
    plots.scatter_classes(ax, X, np.searchsorted(clf.classes_, y))
    sv = clf.support_vectors_
    ax.scatter(sv[:, 0], sv[:, 1], s=90, facecolors="none", edgecolors="k", linewidths=1.2)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def _two_d_binary(ctx) -> tuple[np.ndarray, np.ndarray, str]:
    """The run's training data as a binary 2-D problem (first two principal components
    and the first two classes when the data have more)."""
    X, y = ctx.X_train, ctx.y_train
    classes = np.unique(y)
    note = ""
    if len(classes) > 2:
        keep = np.isin(y, classes[:2])
        X, y = X[keep], y[keep]
        note = f", classes {classes[0]} vs {classes[1]}"
    if X.shape[1] > 2:
        centred = X - X.mean(axis=0)
        # principal axes from the SVD of the centred data: X = U S V^T
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        X = centred @ vt[:2].T  # (n, 2)
        X = X / X.std(axis=0)
        note = " (first 2 principal components" + note + ")"
    elif note:
        note = f" ({note[2:]})"
    return X, y, note


# ---------------------------------------------------------------------- figures
def _fig_margins(ctx):
    X, y, note = _two_d_binary(ctx)
    clf = ctx.estimator().fit(X, y)
    fig, axes = plots.figure(1, 1, size=5.0)
    title = (f"{ctx.dataset.name}{note}\nkernel={clf.kernel}, C={clf.C:g}: "
             f"{len(clf.support_)} support vectors; lines f = -1, 0, 1")
    _draw_margins(axes[0, 0], clf, X, y, title)
    return plots.save(fig, ctx.path("svm-margins"))


def _hard_soft_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two separable clouds plus one class-0 point close to class 1."""
    rng = np.random.default_rng(seed)
    X0 = rng.normal([-2.0, 0.0], 0.6, size=(30, 2))
    X1 = rng.normal([2.0, 0.5], 0.6, size=(30, 2))
    outlier = np.array([[0.9, 0.5]])
    X = np.vstack([X0, outlier, X1])
    y = np.array([0] * 31 + [1] * 30)
    # keep it separable: move class-1 points that crowd the outlier further right
    X[31:, 0] = np.maximum(X[31:, 0], 1.6)
    return X, y


def _fig_hard_soft(ctx):
    X, y = _hard_soft_data(ctx.seed)
    fig, axes = plots.figure(1, 3, size=4.0)
    for ax, C in zip(axes[0], (float("inf"), 1.0, 0.05)):
        clf = SVC(kernel="linear", C=C).fit(X, y)
        width = 2.0 / np.linalg.norm(clf.coef_[0])  # margin = 2 / ||w||
        name = "hard margin (C = inf)" if np.isinf(C) else f"soft margin, C = {C:g}"
        _draw_margins(ax, clf, X, y, f"{name}\nmargin 2/||w|| = {width:.2f}, {len(clf.support_)} SVs")
    fig.suptitle("One point near the other class: the hard margin bends to it, a small C "
                 "lets it violate the margin", fontsize=10)
    return plots.save(fig, ctx.path("svm-hard-vs-soft"))


def _fig_kernels(ctx):
    kernels = (("linear", {}), ("poly", {"coef0": 1.0}), ("rbf", {}), ("sigmoid", {"coef0": -1.0}))
    fig, axes = plots.figure(2, 4, size=3.2)
    for row, name in enumerate(("moons", "circles")):
        data = ds.load(name, n_samples=200, random_state=ctx.seed)
        X = (data.X - data.X.mean(axis=0)) / data.X.std(axis=0)
        for col, (kernel, extra) in enumerate(kernels):
            clf = SVC(kernel=kernel, C=1.0, **extra).fit(X, data.y)
            _draw_margins(axes[row, col], clf, X, data.y,
                          f"{name}, {kernel}: train acc {clf.score(X, data.y):.2f}", resolution=120)
    return plots.save(fig, ctx.path("svm-kernels"))


def _fig_convergence(ctx):
    history = ctx.ours.history_
    pairs = list(dict.fromkeys(row["pair"] for row in history))[:10]
    fig, axes = plots.figure(1, 2, size=4.5)
    for pair in pairs:
        rows = [r for r in history if r["pair"] == pair]
        it = [r["iteration"] for r in rows]
        label = f"classes {pair[0]} vs {pair[1]}" if len(pairs) > 1 else None
        axes[0, 0].plot(it, [r["dual_objective"] for r in rows], marker=".", label=label)
        axes[0, 1].semilogy(it, [max(r["kkt_violation"], 1e-16) for r in rows], marker=".")
    axes[0, 0].set_xlabel("SMO iteration")
    axes[0, 0].set_title("dual objective  e'a - a'Qa/2  (rises)", fontsize=9)
    axes[0, 1].axhline(ctx.ours.tol, color="k", linestyle="--", linewidth=1, label="tol")
    axes[0, 1].set_xlabel("SMO iteration")
    axes[0, 1].set_title("largest KKT violation  m(a) - M(a)", fontsize=9)
    axes[0, 1].legend(fontsize=8)
    if len(pairs) > 1:
        axes[0, 0].legend(fontsize=7)
    return plots.save(fig, ctx.path("svm-convergence"))


register(Entry(
    name="svm",
    family="svm",
    title="Support vector classifier: SMO with second-order working sets, kernels, hard/soft margin",
    estimator=SVC,
    reference=_reference,
    reference_name="sklearn.svm.SVC",
    dataset="breast_cancer",
    datasets=("breast_cancer", "moons", "circles", "iris", "wine", "digits"),
    task="classification",
    params={"C": 1.0, "kernel": "rbf", "gamma": "scale"},
    demo_params={},
    preprocess="standardize",
    metrics=_metrics,
    figures=(_fig_margins, _fig_hard_soft, _fig_kernels, _fig_convergence),
    runner=_run,
))
