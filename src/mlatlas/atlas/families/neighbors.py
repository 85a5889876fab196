"""Registry entries ``knn-classifier`` and ``knn-regressor`` against scikit-learn's.

Both compare on one split of standardized features (KNN measures distances, so a
feature in large units would otherwise decide alone).  The figures show what the
notes stress about KNN: how much the result depends on k.

Record
------
knn-classifier
    ``k_curve.{k,train,test}`` (ours at every k), ``k_curve.{reference_k,reference_test}``
    (scikit-learn at every 8th k); ``moons.*``: two moons, the training points and the
    predicted class on a 150 x 150 grid for k = 1, 7, 30, 120 with the test accuracies.
knn-regressor
    ``k_curve.{k,uniform,distance}`` (test R^2 of both weightings at every k) and
    ``test.{y,predicted}``.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..registry import Entry, register
from ..runner import compare_on_split, decision_grid
from ..strings import translator

_SHARED = ("n_neighbors", "weights", "p")
_BOUNDARY_KS = (1, 7, 30, 120)


def _reference_params(params: dict) -> dict:
    """The parameters scikit-learn understands the same way (``n_jobs`` differs)."""
    return {key: params[key] for key in _SHARED if key in params}


def _k_grid(n_train: int, largest: int = 40) -> np.ndarray:
    """1, 2, ..., ``largest`` (capped by the training-set size)."""
    return np.arange(1, min(largest, n_train) + 1)


# ---------------------------------------------------------------------------- runs


def run_classifier(ctx):
    """Ours against scikit-learn on the split; accuracy against k; boundaries on two moons."""
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsClassifier as Reference

    from ... import datasets as ds

    record, fit = compare_on_split(ctx, Reference(**_reference_params(ctx.params)), preprocess="standardize")
    ks = _k_grid(fit.X_train.shape[0])
    train_acc, test_acc = [], []
    for k in ks:
        model = ctx.estimator(n_neighbors=int(k)).fit(fit.X_train, fit.y_train)
        train_acc.append(np.mean(model.predict(fit.X_train) == fit.y_train))
        test_acc.append(np.mean(model.predict(fit.X_test) == fit.y_test))
    ref_ks = ks[::8]  # scikit-learn at every 8th k, to show that the curves coincide
    ref_acc = [np.mean(Reference(**{**_reference_params(ctx.params), "n_neighbors": int(k)})
                       .fit(fit.X_train, fit.y_train).predict(fit.X_test) == fit.y_test) for k in ref_ks]
    record.add("k_curve", k=ks, train=train_acc, test=test_acc, reference_k=ref_ks, reference_test=ref_acc)

    # decision regions on two moons, from jagged (k = 1) to over-smooth (k = 120)
    moons = ds.load("moons", n_samples=300, noise=0.3, random_state=ctx.seed)
    X_train, X_test, y_train, y_test = train_test_split(
        moons.X, moons.y, test_size=0.3, random_state=ctx.seed, stratify=moons.y)
    xs, ys, points = decision_grid(X_train)
    regions, accuracy = [], []
    for k in _BOUNDARY_KS:
        model = ctx.estimator(n_neighbors=k).fit(X_train, y_train)
        regions.append(model.predict(points).reshape(ys.size, xs.size))
        accuracy.append(np.mean(model.predict(X_test) == y_test))
    record.add("moons", X_train=X_train, y_train=y_train, xs=xs, ys=ys, k=list(_BOUNDARY_KS),
               regions=np.stack(regions), test_accuracy=accuracy)
    record.info["weights"] = str(ctx.params.get("weights", "uniform"))
    return record


def run_regressor(ctx):
    """Ours against scikit-learn on the split; test R^2 against k for both weightings."""
    from sklearn.metrics import r2_score
    from sklearn.neighbors import KNeighborsRegressor as Reference

    record, fit = compare_on_split(ctx, Reference(**_reference_params(ctx.params)), preprocess="standardize")
    ks = _k_grid(fit.X_train.shape[0], largest=60)
    curves = {}
    for weights in ("uniform", "distance"):
        curves[weights] = [r2_score(fit.y_test, ctx.estimator(n_neighbors=int(k), weights=weights)
                                    .fit(fit.X_train, fit.y_train).predict(fit.X_test)) for k in ks]
    record.add("k_curve", k=ks, **curves)
    record.add("test", y=fit.y_test, predicted=fit.pred_ours)
    record.info["n_neighbors"] = int(fit.ours.n_neighbors)
    return record


# ---------------------------------------------------------------------------- figures


def draw_boundaries(record, lang):
    """Decision regions on two moons for k = 1, 7, 30, 120: from jagged to over-smooth."""
    t = translator(lang)
    a = record.arrays
    ks = record.array("moons.k")
    names = [t("knn.class_name", name=c) for c in (0, 1)]
    fig, axes = plots.figure(1, len(ks), size=3.4)
    for i, ax in enumerate(axes[0]):
        plots.class_regions(ax, a["moons.xs"], a["moons.ys"], a["moons.regions"][i], 2)
        plots.scatter_classes(ax, a["moons.X_train"], a["moons.y_train"], names, legend=False)
        ax.set_title(t("knn.boundary_panel", k=int(ks[i]), accuracy=float(a["moons.test_accuracy"][i])),
                     fontsize=9)
        ax.set_xlabel(t("axis.x1"))
        ax.set_ylabel(t("axis.x2"))
    plots.class_legend(axes[0, 0], names, title=t("legend.class"), loc="lower left")
    fig.suptitle(t("knn.boundary_title", weights=record.info["weights"]), fontsize=10)
    return plots.save(fig, record.figure_path("knn-boundaries-moons", lang))


def draw_accuracy_vs_k(record, lang):
    """Train and test accuracy against k on the run's split (ours, with scikit-learn's on top)."""
    t = translator(lang)
    ks = record.array("k_curve.k")
    test = record.array("k_curve.test")
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    ax.plot(ks, record.array("k_curve.train"), "-", color="tab:blue", label=t("legend.train_ours"))
    ax.plot(ks, test, "-", color="tab:red", label=t("legend.test_ours"))
    ax.plot(record.array("k_curve.reference_k"), record.array("k_curve.reference_test"), "x", color="black",
            markersize=5, label=t("legend.test_sklearn"))
    best = int(ks[int(np.argmax(test))])
    ax.axvline(best, color="grey", linestyle=":", label=t("knn.best_k", k=best))
    ax.set_xlabel(t("knn.axis_k"))
    ax.set_ylabel(t("axis.accuracy"))
    ax.set_title(t("knn.accuracy_title", dataset=record.dataset, weights=record.info["weights"]), fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    return plots.save(fig, record.figure_path("knn-accuracy-vs-k", lang))


def draw_regression_vs_k(record, lang):
    """Test R^2 against k for both weightings, and predicted against true targets."""
    t = translator(lang)
    ks = record.array("k_curve.k")
    fig, axes = plots.figure(1, 2, size=4.8)
    ax = axes[0, 0]
    for weights, colour in (("uniform", "tab:blue"), ("distance", "tab:orange")):
        ax.plot(ks, record.array(f"k_curve.{weights}"), "-", color=colour, label=f'weights="{weights}"')
    ax.set_xlabel(t("knn.axis_k"))
    ax.set_ylabel(t("axis.test_r2"))
    ax.set_title(t("knn.r2_title", dataset=record.dataset), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)

    ax = axes[0, 1]
    y, predicted = record.array("test.y"), record.array("test.predicted")
    ax.scatter(y, predicted, s=12, alpha=0.7, edgecolors="none")
    low, high = float(np.min(y)), float(np.max(y))
    ax.plot([low, high], [low, high], "k--", linewidth=1)
    ax.set_xlabel(t("axis.true_target"))
    ax.set_ylabel(t("axis.predicted"))
    ax.set_title(t("knn.predictions_title", k=record.info["n_neighbors"]), fontsize=10)
    return plots.save(fig, record.figure_path("knn-regression-vs-k", lang))


register(Entry(
    name="knn-classifier", family="neighbors",
    title="k-nearest neighbours classifier (exact brute-force search, majority or distance-weighted vote)",
    run=run_classifier, config="mlatlas.supervised:KNeighborsClassifier",
    references=("sklearn.neighbors.KNeighborsClassifier",),
    dataset="digits", datasets=("digits", "iris", "moons", "wine", "breast_cancer"), task="classification",
    params={"n_neighbors": 5, "weights": "uniform", "p": 2},
    figures=(draw_boundaries, draw_accuracy_vs_k), primary_metric="accuracy",
))

register(Entry(
    name="knn-regressor", family="neighbors",
    title="k-nearest neighbours regressor (mean or distance-weighted mean of the neighbours)",
    run=run_regressor, config="mlatlas.supervised:KNeighborsRegressor",
    references=("sklearn.neighbors.KNeighborsRegressor",),
    dataset="diabetes", datasets=("diabetes", "linear"), task="regression",
    params={"n_neighbors": 5, "weights": "uniform", "p": 2},
    figures=(draw_regression_vs_k,), primary_metric="r2",
))
