"""Registry entries ``random-forest``, ``random-forest-regressor`` and ``adaboost``.

The forests compare with scikit-learn's forests (the same number of trees and options;
the bootstraps differ, so the comparison is on scores, not tree by tree) and add both
out-of-bag scores.  AdaBoost is compared stump by stump with scikit-learn's
``AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))``: the same stumps, errors
and normalised weights where no two stumps tie.

Record
------
forests
    ``importances.*`` (both libraries), ``n_trees.{b,forest,single}``: the test score of
    the average of the first b trees and of tree b alone.
adaboost
    ``rounds.*``: per round the weighted error, alpha (the notes' 1/2 ln((1-eps)/eps)),
    the ensemble's train and test error; ``moons.*``: AdaBoost on 150 two-moons points,
    for rounds 1, 3, 10 and the last, the ensemble's side of the boundary on a grid, the
    sample weights that round's stump was fitted with, and the stump itself.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..registry import Entry, register
from ..runner import compare_on_split, decision_grid
from ..strings import translator

_FOREST_PARAMS = ("n_estimators", "criterion", "max_depth", "min_samples_split", "min_samples_leaf",
                  "max_features", "min_impurity_decrease", "bootstrap", "oob_score", "max_samples",
                  "n_jobs", "random_state")


def _forest_reference(task: str, params: dict):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return cls(**{k: v for k, v in params.items() if k in _FOREST_PARAMS})


def run_forest(ctx):
    """The side-by-side run, both OOB scores, importances, and the score as trees are added."""
    task = ctx.entry.task
    record, fit = compare_on_split(ctx, _forest_reference(task, ctx.params))
    ours, ref = fit.ours, fit.reference
    if getattr(ours, "oob_score", False):
        record.rows[0].metrics["oob_score"] = float(ours.oob_score_)
        record.rows[1].metrics["oob_score"] = float(ref.oob_score_)
    record.comparison["max_feature_importance_difference"] = float(
        np.abs(ours.feature_importances_ - ref.feature_importances_).max())
    record.info["mean_tree_depth"] = {"mlatlas": float(np.mean([t.get_depth() for t in ours.estimators_])),
                                      "reference": float(np.mean([t.get_depth() for t in ref.estimators_]))}
    record.add("importances", mlatlas=ours.feature_importances_, reference=ref.feature_importances_)

    # test score of the average of the first b trees, b = 1..B, and of each tree alone
    is_clf = task == "classification"
    X32 = np.ascontiguousarray(fit.X_test, dtype=np.float32)
    y = fit.y_test
    total, scores, single = None, [], []
    for b, tree in enumerate(ours.estimators_, start=1):
        out = tree.predict_proba(X32, check_input=False) if is_clf else tree.predict(X32, check_input=False)
        total = out if total is None else total + out
        if is_clf:
            scores.append(np.mean(ours.classes_[np.argmax(total, axis=1)] == y))
            single.append(np.mean(ours.classes_[np.argmax(out, axis=1)] == y))
        else:
            # R^2 = 1 - sum (y - mean of b trees)^2 / sum (y - y_bar)^2
            scores.append(1 - np.sum((y - total / b) ** 2) / np.sum((y - y.mean()) ** 2))
            single.append(1 - np.sum((y - out) ** 2) / np.sum((y - y.mean()) ** 2))
    record.add("n_trees", b=np.arange(1, len(scores) + 1), forest=scores, single=single)
    record.info["classification"] = is_clf
    return record


def _adaboost_reference(params: dict):
    from sklearn.ensemble import AdaBoostClassifier as Reference
    from sklearn.tree import DecisionTreeClassifier

    return Reference(DecisionTreeClassifier(max_depth=1), n_estimators=params.get("n_estimators", 50),
                     learning_rate=params.get("learning_rate", 1.0), random_state=params.get("random_state"))


#: The rounds of AdaBoost drawn on two moons (the last one is added).
_MOONS_ROUNDS = (1, 3, 10)


def run_adaboost(ctx):
    """Stump by stump against scikit-learn; the rounds on the run's data; the reweighting on moons."""
    from ... import datasets as ds
    from ...supervised import AdaBoostClassifier

    record, fit = compare_on_split(ctx, _adaboost_reference(ctx.params))
    ours, ref = fit.ours, fit.reference
    m = min(len(ours.estimators_), len(ref.estimators_))
    same = [a.feature_[0] == b.tree_.feature[0] and abs(a.threshold_[0] - b.tree_.threshold[0]) < 1e-6
            for a, b in zip(ours.estimators_, ref.estimators_)]
    # the two libraries scale alpha differently (the notes' 1/2 or not): compare shares of the vote
    w_ours = ours.estimator_weights_[:m] / np.sum(ours.estimator_weights_[:m])
    w_ref = ref.estimator_weights_[:m] / np.sum(ref.estimator_weights_[:m])
    record.comparison.update({
        "rounds_mlatlas": len(ours.estimators_), "rounds_reference": len(ref.estimators_),
        "same_stumps": int(sum(same)), "stumps_compared": m,
        "max_error_difference": float(np.abs(ours.estimator_errors_[:m] - ref.estimator_errors_[:m]).max()),
        "max_normalised_weight_difference": float(np.abs(w_ours - w_ref).max()),
        "max_decision_function_difference": float(
            np.abs(ours.decision_function(fit.X_test) - ref.decision_function(fit.X_test)).max()),
    })
    h = ours.history_
    record.add("rounds", round=h.column("round"), error=h.column("error"), alpha=h.column("alpha"),
               train_error=h.column("train_error"),
               test_error=[1 - s for s in ours.staged_score(fit.X_test, fit.y_test)])
    record.info["n_classes"] = int(ours.n_classes_)

    # the reweighting on 2-D data: which points the next stump is made to care about
    moons = ds.load("moons", n_samples=150, noise=0.25, random_state=ctx.seed)
    X, y = moons.X, moons.y
    boost = AdaBoostClassifier(n_estimators=30, random_state=ctx.seed).fit(X, y)
    n_rounds = len(boost.estimators_)
    shown = sorted({min(r, n_rounds) for r in _MOONS_ROUNDS} | {n_rounds})
    xs, ys, points = decision_grid(X)
    stages = list(boost.staged_decision_function(points))
    record.add("moons", X=X, y=y, xs=xs, ys=ys, rounds=shown,
               side=np.stack([stages[t - 1].reshape(ys.size, xs.size) > 0 for t in shown]),
               weights=np.stack([boost.history_[t - 1]["sample_weight"] for t in shown]),
               stump_feature=[int(boost.estimators_[t - 1].feature_[0]) for t in shown],
               stump_threshold=[float(boost.estimators_[t - 1].threshold_[0]) for t in shown],
               error=[float(boost.history_[t - 1]["error"]) for t in shown],
               alpha=[float(boost.history_[t - 1]["alpha"]) for t in shown])
    return record


# ---------------------------------------------------------------------------- figures


def draw_importances(record, lang):
    """Feature importances of our forest next to scikit-learn's (the 15 largest)."""
    t = translator(lang)
    names = record.info["feature_names"]
    ours, ref = record.array("importances.mlatlas"), record.array("importances.reference")
    top = np.argsort(ours)[::-1][:15]
    fig, axes = plots.figure(1, 1, size=6.5)
    ax = axes[0, 0]
    pos = np.arange(len(top))
    ax.barh(pos - 0.2, ours[top], height=0.4, label="mlatlas", color="tab:blue")
    ax.barh(pos + 0.2, ref[top], height=0.4, label="scikit-learn", color="tab:orange")
    ax.set_yticks(pos)
    ax.set_yticklabels([names[j] for j in top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(t("forest.importance"))
    ax.set_ylabel(t("axis.feature"))
    ax.set_title(t("forest.importances_title", entry=record.entry, dataset=record.dataset)
                 + (t("forest.top15") if len(names) > 15 else ""), fontsize=10)
    ax.legend()
    return plots.save(fig, record.figure_path("forest-importances", lang))


def draw_n_trees(record, lang):
    """Test score of the average of the first b trees, b = 1..B, and of a lone tree."""
    t = translator(lang)
    b = record.array("n_trees.b")
    single = record.array("n_trees.single")
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    ax.plot(b, record.array("n_trees.forest"), label=t("forest.first_b"), color="tab:blue")
    ax.scatter(b, single, s=6, color="0.6", label=t("forest.tree_alone"))
    ax.axhline(np.mean(single), color="0.4", ls="--", lw=1, label=t("forest.mean_single"))
    ax.set_xlabel(t("forest.n_trees"))
    ax.set_ylabel(t("axis.test_accuracy") if record.info["classification"] else t("axis.test_r2"))
    ax.set_title(t("forest.n_trees_title", dataset=record.dataset))
    ax.legend(loc="lower right")
    return plots.save(fig, record.figure_path("forest-n-trees", lang))


def draw_rounds(record, lang):
    """Each stump's weighted error and alpha; the ensemble's train and test error by round."""
    t = translator(lang)
    rounds = record.array("rounds.round")
    K = record.info["n_classes"]
    fig, axes = plots.figure(1, 2, size=4.8)
    ax = axes[0, 0]
    ax.plot(rounds, record.array("rounds.error"), "o-", ms=3, color="tab:red", label=t("adaboost.error"))
    ax.axhline(1 - 1 / K, color="tab:red", ls=":", lw=1, label=t("adaboost.chance", value=1 - 1 / K))
    ax.set_xlabel(t("adaboost.round"))
    ax.set_ylabel(r"$\epsilon_t$", color="tab:red")
    ax2 = ax.twinx()
    ax2.plot(rounds, record.array("rounds.alpha"), "s-", ms=3, color="tab:blue", label=r"$\alpha_t$")
    ax2.set_ylabel(r"$\alpha_t = \frac{1}{2}\ln\frac{1-\epsilon_t}{\epsilon_t}$" + (" + ½ln(K-1)" if K > 2 else ""),
                   color="tab:blue")
    ax.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="upper right", fontsize=8)
    ax.set_title(t("adaboost.rounds_title"), fontsize=10)
    ax = axes[0, 1]
    ax.plot(rounds, record.array("rounds.train_error"), label=t("legend.train"), color="tab:green")
    ax.plot(rounds, record.array("rounds.test_error"), label=t("legend.test"), color="tab:purple")
    ax.set_xlabel(t("adaboost.round"))
    ax.set_ylabel(t("adaboost.ensemble_error"))
    ax.set_title(t("adaboost.ensemble_title", dataset=record.dataset), fontsize=10)
    ax.legend()
    return plots.save(fig, record.figure_path("adaboost-rounds", lang))


def draw_weights(record, lang):
    """Sample weights (marker area) and the ensemble's boundary after rounds 1, 3, 10 and the last."""
    t = translator(lang)
    a = record.arrays
    shown = record.array("moons.rounds")
    X, y = a["moons.X"], a["moons.y"]
    names = [t("knn.class_name", name=c) for c in (0, 1)]
    fig, axes = plots.figure(1, len(shown), size=3.6)
    for i, (ax, round_) in enumerate(zip(axes[0], shown)):
        plots.class_regions(ax, a["moons.xs"], a["moons.ys"], a["moons.side"][i].astype(int), 2)
        # the weights the stump of this round was fitted with; area proportional to the weight
        plots.scatter_classes(ax, X, y, names, legend=False, s=8 + 2500 * a["moons.weights"][i], linewidths=0.4)
        feature = int(a["moons.stump_feature"][i])
        if feature >= 0:
            line = ax.axvline if feature == 0 else ax.axhline
            line(float(a["moons.stump_threshold"][i]), color="k", ls="--", lw=1)
        ax.set_title(t("adaboost.weights_panel", round=int(round_), error=float(a["moons.error"][i]),
                       alpha=float(a["moons.alpha"][i])), fontsize=9)
        ax.set_xlabel(t("axis.x1"))
        ax.set_ylabel(t("axis.x2"))
    plots.class_legend(axes[0, 0], names, title=t("legend.class"), loc="lower left")
    fig.suptitle(t("adaboost.weights_title"), fontsize=9)
    return plots.save(fig, record.figure_path("adaboost-weights", lang))


register(Entry(
    name="random-forest", family="ensembles",
    title="Random forest classifier: bootstrap + random features, soft vote, OOB score",
    run=run_forest, config="mlatlas.supervised:RandomForestClassifier",
    references=("sklearn.ensemble.RandomForestClassifier",),
    dataset="breast_cancer", datasets=("breast_cancer", "iris", "wine", "digits", "moons"),
    task="classification", params={"n_estimators": 100, "oob_score": True},
    figures=(draw_importances, draw_n_trees), primary_metric="accuracy",
))

register(Entry(
    name="random-forest-regressor", family="ensembles",
    title="Random forest regressor: bootstrap-averaged regression trees, OOB R^2",
    run=run_forest, config="mlatlas.supervised:RandomForestRegressor",
    references=("sklearn.ensemble.RandomForestRegressor",),
    dataset="diabetes", datasets=("diabetes", "linear"), task="regression",
    params={"n_estimators": 100, "oob_score": True, "min_samples_leaf": 5},
    figures=(draw_importances, draw_n_trees), primary_metric="r2",
))

register(Entry(
    name="adaboost", family="ensembles",
    title="AdaBoost (SAMME) with decision stumps: weighted errors, alphas, reweighting",
    run=run_adaboost, config="mlatlas.supervised:AdaBoostClassifier",
    references=("sklearn AdaBoostClassifier(DecisionTreeClassifier(max_depth=1))",),
    dataset="breast_cancer", datasets=("breast_cancer", "iris", "wine", "digits", "moons"),
    task="classification", params={"n_estimators": 50},
    figures=(draw_rounds, draw_weights), primary_metric="accuracy",
))
