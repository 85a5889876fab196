"""Registry entry ``svm``: the support vector classifier (our SMO) against libsvm's SVC.

Record
------
``margins.*``: our SVC refitted on a 2-D binary view of the run's training data
(first two principal components and classes when there are more), its decision
function on a grid and its support vectors; ``hard_soft.{0,1,2}.*``: the same for a
linear SVC at C = inf, 1 and 0.05 on two clouds with one awkward point;
``kernels.{moons,circles}.{kernel}.*``: each kernel on moons and circles;
``convergence.{i}.*``: SMO's dual objective and KKT violation per block of
iterations for (up to) the first 10 class pairs.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..registry import Entry, register
from ..runner import compare_on_split, decision_grid
from ..strings import translator

_SHARED = ("C", "kernel", "degree", "gamma", "coef0", "tol", "cache_size", "max_iter",
           "decision_function_shape")
_KERNELS = (("linear", {}), ("poly", {"coef0": 1.0}), ("rbf", {}), ("sigmoid", {"coef0": -1.0}))
_HARD_SOFT_C = (float("inf"), 1.0, 0.05)


def _metrics(estimator, X, y) -> dict:
    from ..runner import default_metrics

    return {**default_metrics("classification", estimator, X, y), "n_support_vectors": int(len(estimator.support_))}


def margin_arrays(clf, X: np.ndarray, y: np.ndarray, resolution: int = 150) -> dict:
    """What a margin panel draws: the points, f(x) on a grid, the support vectors."""
    xs, ys, points = decision_grid(X, resolution=resolution)
    f = clf.decision_function(points).reshape(ys.size, xs.size)
    return {"X": X, "y": np.searchsorted(clf.classes_, y), "xs": xs, "ys": ys, "f": f,
            "support_vectors": clf.support_vectors_}


def _two_d_binary(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """A binary 2-D view of (X, y): the first two classes, the first two principal components."""
    classes = np.unique(y)
    view = {"classes": [str(c) for c in classes[:2]], "subset": len(classes) > 2, "projected": False}
    if len(classes) > 2:
        keep = np.isin(y, classes[:2])
        X, y = X[keep], y[keep]
    if X.shape[1] > 2:
        centred = X - X.mean(axis=0)
        # principal axes from the SVD of the centred data: X = U S V^T
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        X = centred @ vt[:2].T  # (n, 2)
        X = X / X.std(axis=0)
        view["projected"] = True
    return X, y, view


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


def run(ctx):
    """The side-by-side run, how close our SMO's solution is to libsvm's, and the 2-D pictures."""
    from sklearn.svm import SVC as Reference

    from ... import datasets as ds
    from ...supervised import SVC

    reference = Reference(**{k: v for k, v in ctx.params.items() if k in _SHARED})
    record, fit = compare_on_split(ctx, reference, preprocess="standardize", metrics=_metrics)
    ours, ref = fit.ours, fit.reference
    same = bool(np.array_equal(ours.support_, ref.support_))
    record.comparison["same_support_vectors"] = same
    if same:
        record.comparison["max_dual_coef_difference"] = float(np.abs(ours.dual_coef_ - ref.dual_coef_).max())
    record.comparison["max_intercept_difference"] = float(np.abs(ours.intercept_ - ref.intercept_).max())
    record.info["n_support"] = {"mlatlas": ours.n_support_.tolist(), "reference": ref.n_support_.tolist()}
    record.info["n_iter"] = {"mlatlas": ours.n_iter_.tolist(), "reference": ref.n_iter_.tolist()}

    # the run's model on a 2-D binary view of its training data
    X2, y2, view = _two_d_binary(fit.X_train, fit.y_train)
    clf = ctx.estimator().fit(X2, y2)
    record.add("margins", **margin_arrays(clf, X2, y2))
    record.info["margins"] = {**view, "kernel": str(clf.kernel), "C": float(clf.C),
                              "n_support": int(len(clf.support_))}

    # hard against soft margins on two clouds with one point near the other class
    X, y = _hard_soft_data(ctx.seed)
    hard_soft = []
    for i, C in enumerate(_HARD_SOFT_C):
        clf = SVC(kernel="linear", C=C).fit(X, y)
        record.add(f"hard_soft.{i}", **margin_arrays(clf, X, y))
        # margin = 2 / ||w||
        hard_soft.append({"C": C, "width": float(2.0 / np.linalg.norm(clf.coef_[0])),
                          "n_support": int(len(clf.support_))})
    record.info["hard_soft"] = hard_soft

    # the boundary each kernel draws on moons and circles
    accuracy = {}
    for name in ("moons", "circles"):
        data = ds.load(name, n_samples=200, random_state=ctx.seed)
        X = (data.X - data.X.mean(axis=0)) / data.X.std(axis=0)
        for kernel, extra in _KERNELS:
            clf = SVC(kernel=kernel, C=1.0, **extra).fit(X, data.y)
            record.add(f"kernels.{name}.{kernel}", **margin_arrays(clf, X, data.y, resolution=120))
            accuracy[f"{name}.{kernel}"] = float(clf.score(X, data.y))
    record.info["kernel_accuracy"] = accuracy

    # SMO's convergence for (up to) the first 10 class pairs of the run's model
    history = ours.history_
    pairs = list(dict.fromkeys(tuple(row["pair"]) for row in history))[:10]
    for i, pair in enumerate(pairs):
        rows = [r for r in history if tuple(r["pair"]) == pair]
        record.add(f"convergence.{i}", iteration=[r["iteration"] for r in rows],
                   dual_objective=[r["dual_objective"] for r in rows],
                   kkt_violation=[r["kkt_violation"] for r in rows])
    record.info["convergence"] = {"pairs": [[str(c) for c in pair] for pair in pairs], "tol": float(ours.tol)}
    return record


# ---------------------------------------------------------------------------- figures


def _draw_margins(ax, record, prefix: str, names: list[str], title: str, t, legend: bool = True) -> None:
    """f(x) shaded, the lines f = -1, 0, 1, the points by class, support vectors ringed."""
    a = record.arrays
    xs, ys, f = a[f"{prefix}.xs"], a[f"{prefix}.ys"], a[f"{prefix}.f"]
    limit = max(1.0, float(np.percentile(np.abs(f), 98)))
    ax.contourf(xs, ys, np.clip(f, -limit, limit), levels=20, cmap="coolwarm", alpha=0.35)
    ax.contour(xs, ys, f, levels=[-1.0, 0.0, 1.0], colors="k", linestyles=["--", "-", "--"],
               linewidths=[1.0, 1.6, 1.0])
    plots.scatter_classes(ax, a[f"{prefix}.X"], a[f"{prefix}.y"], names, legend=False)
    sv = a[f"{prefix}.support_vectors"]
    ax.scatter(sv[:, 0], sv[:, 1], s=90, facecolors="none", edgecolors="k", linewidths=1.2,
               label=t("legend.support_vectors"))
    if legend:
        ax.legend(fontsize=7, loc="best", title=t("legend.class"), title_fontsize=7)
    ax.set_title(title, fontsize=9)


def draw_margins(record, lang):
    """The run's model on a 2-D binary view of its data: margins and support vectors."""
    t = translator(lang)
    m = record.info["margins"]
    names = [t("knn.class_name", name=c) for c in m["classes"]]
    note = ""
    if m["subset"]:
        note = t("svm.classes_note", first=m["classes"][0], second=m["classes"][1])
    fig, axes = plots.figure(1, 1, size=5.0)
    title = t("svm.margins_title", dataset=record.dataset, note=note, kernel=m["kernel"], C=m["C"],
              n=m["n_support"])
    _draw_margins(axes[0, 0], record, "margins", names, title, t)
    axes[0, 0].set_xlabel(t("axis.pc1") if m["projected"] else record.info["feature_names"][0])
    axes[0, 0].set_ylabel(t("axis.pc2") if m["projected"] else record.info["feature_names"][1])
    return plots.save(fig, record.figure_path("svm-margins", lang))


def draw_hard_soft(record, lang):
    """A hard margin bends to one awkward point; a small C lets it violate the margin."""
    t = translator(lang)
    names = [t("knn.class_name", name=c) for c in (0, 1)]
    fig, axes = plots.figure(1, 3, size=4.0)
    for i, (ax, panel) in enumerate(zip(axes[0], record.info["hard_soft"])):
        C = panel["C"]
        kind = t("svm.hard") if np.isinf(C) else t("svm.soft", C=C)
        _draw_margins(ax, record, f"hard_soft.{i}", names,
                      t("svm.hard_soft_panel", kind=kind, width=panel["width"], n=panel["n_support"]), t,
                      legend=i == 0)
        ax.set_xlabel(t("axis.x1"))
        ax.set_ylabel(t("axis.x2"))
    fig.suptitle(t("svm.hard_soft_title"), fontsize=10)
    return plots.save(fig, record.figure_path("svm-hard-vs-soft", lang))


def draw_kernels(record, lang):
    """Each kernel's boundary on moons (top) and circles (bottom)."""
    t = translator(lang)
    names = [t("knn.class_name", name=c) for c in (0, 1)]
    accuracy = record.info["kernel_accuracy"]
    fig, axes = plots.figure(2, 4, size=3.2)
    for row, name in enumerate(("moons", "circles")):
        for col, (kernel, _) in enumerate(_KERNELS):
            ax = axes[row, col]
            _draw_margins(ax, record, f"kernels.{name}.{kernel}", names,
                          t("svm.kernel_panel", data=name, kernel=kernel, accuracy=accuracy[f"{name}.{kernel}"]),
                          t, legend=col == 0)
            ax.set_xlabel(t("axis.x1"))
            ax.set_ylabel(t("axis.x2"))
    return plots.save(fig, record.figure_path("svm-kernels", lang))


def draw_convergence(record, lang):
    """SMO's dual objective (rising) and largest KKT violation (falling to tol) per pair of classes."""
    t = translator(lang)
    info = record.info["convergence"]
    pairs = info["pairs"]
    fig, axes = plots.figure(1, 2, size=4.5)
    for i, pair in enumerate(pairs):
        it = record.array(f"convergence.{i}.iteration")
        label = t("svm.pair", first=pair[0], second=pair[1]) if len(pairs) > 1 else None
        axes[0, 0].plot(it, record.array(f"convergence.{i}.dual_objective"), marker=".", label=label)
        axes[0, 1].semilogy(it, np.maximum(record.array(f"convergence.{i}.kkt_violation"), 1e-16), marker=".")
    for ax in axes[0]:
        ax.set_xlabel(t("svm.iteration"))
    axes[0, 0].set_ylabel(t("svm.dual"))
    axes[0, 0].set_title(t("svm.dual_title"), fontsize=9)
    axes[0, 1].axhline(info["tol"], color="k", linestyle="--", linewidth=1, label="tol")
    axes[0, 1].set_ylabel(t("svm.kkt"))
    axes[0, 1].set_title(t("svm.kkt_title"), fontsize=9)
    axes[0, 1].legend(fontsize=8)
    if len(pairs) > 1:
        axes[0, 0].legend(fontsize=7)
    return plots.save(fig, record.figure_path("svm-convergence", lang))


register(Entry(
    name="svm", family="svm",
    title="Support vector classifier: SMO with second-order working sets, kernels, hard/soft margin",
    run=run, config="mlatlas.supervised:SVC", references=("sklearn.svm.SVC",),
    dataset="breast_cancer", datasets=("breast_cancer", "moons", "circles", "iris", "wine", "digits"),
    task="classification", params={"C": 1.0, "kernel": "rbf", "gamma": "scale"},
    figures=(draw_margins, draw_hard_soft, draw_kernels, draw_convergence), primary_metric="accuracy",
))
