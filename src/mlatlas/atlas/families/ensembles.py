"""Registry entries ``random-forest``, ``random-forest-regressor`` and ``adaboost``.

The forests run the standard side-by-side comparison with scikit-learn's forests (the
same number of trees and options; the bootstraps differ, so the comparison is on
scores, not tree by tree) and add both out-of-bag scores.  AdaBoost is compared stump
by stump with scikit-learn's ``AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))``:
the same stumps, errors and (twice our) weights where no two stumps tie.

Figures: the forests' feature importances next to scikit-learn's and the test score
as trees are added (one tree against the average of b trees); AdaBoost's weighted
error and alpha per round with the ensemble's train and test error, and, on the 2-D
moons, the sample weights (marker area) and the ensemble's boundary after 1, 3, 10
and all rounds.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ...supervised.boosting import AdaBoostClassifier
from ...supervised.forest import RandomForestClassifier, RandomForestRegressor
from ..registry import Entry, register
from ..runner import standard_run

_FOREST_PARAMS = ("n_estimators", "criterion", "max_depth", "min_samples_split", "min_samples_leaf",
                  "max_features", "min_impurity_decrease", "bootstrap", "oob_score", "max_samples",
                  "n_jobs", "random_state")


def _ref_forest_classifier(params: dict):
    from sklearn.ensemble import RandomForestClassifier as Reference

    return Reference(**{k: v for k, v in params.items() if k in _FOREST_PARAMS})


def _ref_forest_regressor(params: dict):
    from sklearn.ensemble import RandomForestRegressor as Reference

    return Reference(**{k: v for k, v in params.items() if k in _FOREST_PARAMS})


def _ref_adaboost(params: dict):
    from sklearn.ensemble import AdaBoostClassifier as Reference
    from sklearn.tree import DecisionTreeClassifier

    return Reference(DecisionTreeClassifier(max_depth=1), n_estimators=params.get("n_estimators", 50),
                     learning_rate=params.get("learning_rate", 1.0), random_state=params.get("random_state"))


def _run_forest(entry: Entry, ctx):
    result = standard_run(entry, ctx.dataset, ctx.params, ctx.seed, ctx)
    ours, ref = ctx.ours, ctx.reference
    if getattr(ours, "oob_score", False):
        result.rows[0].metrics["oob_score"] = float(ours.oob_score_)
        result.rows[1].metrics["oob_score"] = float(ref.oob_score_)
    result.comparison["max_feature_importance_difference"] = float(
        np.abs(ours.feature_importances_ - ref.feature_importances_).max())
    result.details["mean_tree_depth"] = {
        "mlatlas": float(np.mean([t.get_depth() for t in ours.estimators_])),
        "reference": float(np.mean([t.get_depth() for t in ref.estimators_]))}
    return result


def _run_adaboost(entry: Entry, ctx):
    result = standard_run(entry, ctx.dataset, ctx.params, ctx.seed, ctx)
    ours, ref = ctx.ours, ctx.reference
    m = min(len(ours.estimators_), len(ref.estimators_))
    same = [a.feature_[0] == b.tree_.feature[0] and abs(a.threshold_[0] - b.tree_.threshold[0]) < 1e-6
            for a, b in zip(ours.estimators_, ref.estimators_)]
    result.comparison.update({
        "rounds": f"{len(ours.estimators_)} vs {len(ref.estimators_)}",
        "same_stumps": f"{sum(same)}/{m}" + ("" if all(same) else " (the others tie: same errors below)"),
        "max_error_difference": float(np.abs(ours.estimator_errors_[:m] - ref.estimator_errors_[:m]).max()),
        "max_weight_difference_2alpha": float(
            np.abs(2 * ours.estimator_weights_[:m] - ref.estimator_weights_[:m]).max()),
        "max_decision_function_difference": float(
            np.abs(ours.decision_function(ctx.X_test) - ref.decision_function(ctx.X_test)).max()),
    })
    result.details["note"] = ("estimator_weights_ here are alpha = 1/2 ln((1-eps)/eps) (+ 1/2 ln(K-1)), "
                              "half of scikit-learn's; the votes and decisions are the same.")
    return result


# ----------------------------------------------------------------------------- figures


def _fig_importances(ctx):
    names = list(ctx.dataset.feature_names)
    ours, ref = ctx.ours.feature_importances_, ctx.reference.feature_importances_
    top = np.argsort(ours)[::-1][:15]
    fig, axes = plots.figure(1, 1, size=6.5)
    ax = axes[0, 0]
    pos = np.arange(len(top))
    ax.barh(pos - 0.2, ours[top], height=0.4, label="mlatlas", color="tab:blue")
    ax.barh(pos + 0.2, ref[top], height=0.4, label="scikit-learn", color="tab:orange")
    ax.set_yticks(pos)
    ax.set_yticklabels([names[j] for j in top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean decrease in impurity (normalised)")
    ax.set_title(f"{ctx.entry.name}: feature importances on {ctx.dataset.name}"
                 + (" (top 15)" if len(names) > 15 else ""))
    ax.legend()
    return plots.save(fig, ctx.path("forest-importances"))


def _fig_n_trees(ctx):
    """Test score of the average of the first b trees, b = 1..B, and of a lone tree."""
    forest, X, y = ctx.ours, ctx.X_test, ctx.y_test
    is_clf = ctx.entry.task == "classification"
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    total, scores, single = None, [], []
    for b, tree in enumerate(forest.estimators_, start=1):
        out = tree.predict_proba(X32, check_input=False) if is_clf else tree.predict(X32, check_input=False)
        total = out if total is None else total + out
        if is_clf:
            scores.append(np.mean(forest.classes_[np.argmax(total, axis=1)] == y))
            single.append(np.mean(forest.classes_[np.argmax(out, axis=1)] == y))
        else:
            scores.append(1 - np.sum((y - total / b) ** 2) / np.sum((y - y.mean()) ** 2))
            single.append(1 - np.sum((y - out) ** 2) / np.sum((y - y.mean()) ** 2))
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    b = np.arange(1, len(scores) + 1)
    ax.plot(b, scores, label="forest of the first b trees", color="tab:blue")
    ax.scatter(b, single, s=6, color="0.6", label="tree b alone")
    ax.axhline(np.mean(single), color="0.4", ls="--", lw=1, label="mean single tree")
    ax.set_xlabel("number of trees b")
    ax.set_ylabel("test accuracy" if is_clf else "test R$^2$")
    ax.set_title(f"averaging decorrelated trees ({ctx.dataset.name})")
    ax.legend(loc="lower right")
    return plots.save(fig, ctx.path("forest-n-trees"))


def _fig_rounds(ctx):
    boost = ctx.ours
    h = boost.history_
    rounds = h.column("round")
    fig, axes = plots.figure(1, 2, size=4.8)
    ax = axes[0, 0]
    ax.plot(rounds, h.column("error"), "o-", ms=3, color="tab:red", label=r"weighted error $\epsilon_t$")
    K = boost.n_classes_
    ax.axhline(1 - 1 / K, color="tab:red", ls=":", lw=1, label=f"chance 1 - 1/K = {1 - 1 / K:.2f}")
    ax.set_xlabel("round t")
    ax.set_ylabel(r"$\epsilon_t$", color="tab:red")
    ax2 = ax.twinx()
    ax2.plot(rounds, h.column("alpha"), "s-", ms=3, color="tab:blue", label=r"$\alpha_t$")
    ax2.set_ylabel(r"$\alpha_t = \frac{1}{2}\ln\frac{1-\epsilon_t}{\epsilon_t}$" + (" + ½ln(K-1)" if K > 2 else ""),
                   color="tab:blue")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("each stump: its weighted error and its vote")
    ax = axes[0, 1]
    test_err = [1 - s for s in boost.staged_score(ctx.X_test, ctx.y_test)]
    ax.plot(rounds, h.column("train_error"), label="train", color="tab:green")
    ax.plot(rounds, test_err, label="test", color="tab:purple")
    ax.set_xlabel("round t")
    ax.set_ylabel("error of the ensemble")
    ax.set_title(f"ensemble error on {ctx.dataset.name}")
    ax.legend()
    return plots.save(fig, ctx.path("adaboost-rounds"))


def _fig_weights(ctx):
    from ...datasets import load

    moons = load("moons", n_samples=150, noise=0.25, random_state=ctx.seed)
    X, y = moons.X, moons.y
    boost = AdaBoostClassifier(n_estimators=30, random_state=ctx.seed).fit(X, y)
    n_rounds = len(boost.estimators_)
    show = sorted({1, min(3, n_rounds), min(10, n_rounds), n_rounds})
    margin = 0.5
    xx, yy = np.meshgrid(np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, 150),
                         np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, 150))
    grid = np.column_stack([xx.ravel(), yy.ravel()])  # (150^2, 2)
    stages = list(boost.staged_decision_function(grid))
    fig, axes = plots.figure(1, len(show), size=3.6)
    for ax, t in zip(axes[0], show):
        z = stages[t - 1].reshape(xx.shape)
        ax.contourf(xx, yy, z > 0, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.25)
        # the weights the t-th stump was fitted with; area proportional to the weight
        w = boost.history_[t - 1]["sample_weight"]
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=8 + 2500 * w, edgecolors="k", linewidths=0.4)
        stump = boost.estimators_[t - 1]
        if stump.feature_[0] >= 0:
            draw = ax.axvline if stump.feature_[0] == 0 else ax.axhline
            draw(stump.threshold_[0], color="k", ls="--", lw=1)
        ax.set_title(f"round {t}: eps={boost.estimator_errors_[t - 1]:.2f}, "
                     f"alpha={boost.estimator_weights_[t - 1]:.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("AdaBoost on moons: marker area = sample weight for that round's stump (dashed), "
                 "shading = ensemble after that round", fontsize=9)
    return plots.save(fig, ctx.path("adaboost-weights"))


register(Entry(
    name="random-forest", family="ensembles",
    title="Random forest classifier: bootstrap + random features, soft vote, OOB score",
    estimator=RandomForestClassifier, reference=_ref_forest_classifier,
    reference_name="sklearn.ensemble.RandomForestClassifier",
    dataset="breast_cancer", datasets=("breast_cancer", "iris", "wine", "digits", "moons"),
    task="classification", params={"n_estimators": 100, "oob_score": True}, demo_params={},
    figures=(_fig_importances, _fig_n_trees), runner=_run_forest,
))

register(Entry(
    name="random-forest-regressor", family="ensembles",
    title="Random forest regressor: bootstrap-averaged regression trees, OOB R^2",
    estimator=RandomForestRegressor, reference=_ref_forest_regressor,
    reference_name="sklearn.ensemble.RandomForestRegressor",
    dataset="diabetes", datasets=("diabetes", "linear"), task="regression",
    params={"n_estimators": 100, "oob_score": True, "min_samples_leaf": 5}, demo_params={},
    figures=(_fig_importances, _fig_n_trees), runner=_run_forest,
))

register(Entry(
    name="adaboost", family="ensembles",
    title="AdaBoost (SAMME) with decision stumps: weighted errors, alphas, reweighting",
    estimator=AdaBoostClassifier, reference=_ref_adaboost,
    reference_name="sklearn AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))",
    dataset="breast_cancer", datasets=("breast_cancer", "iris", "wine", "digits", "moons"),
    task="classification", params={"n_estimators": 50}, demo_params={},
    figures=(_fig_rounds, _fig_weights), runner=_run_adaboost,
))
