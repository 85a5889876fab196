"""Registry entries ``decision-tree`` and ``decision-tree-regressor`` (CART) against scikit-learn's.

Each run fits our tree and scikit-learn's with the same parameters on the same split,
then reports whether the two trees are identical node by node (they are unless two
splits tie somewhere, which scikit-learn breaks at random and we by the lowest
feature index) and, walking both trees together, how many splits agree, how many
differ only by a tie, and how many differ for real (none, unless something is wrong).

Record
------
``depth.*``: train and test score of our trees limited to depth 1, 2, ... and
scikit-learn's test score at the same depths; ``tree.*``: our fitted tree as arrays
(children, feature, threshold, impurity, samples, value per node) for drawing;
``importances.*``: both libraries' feature importances.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..registry import Entry, register
from ..runner import compare_on_split
from ..strings import translator

_SHARED = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf", "max_features",
           "min_impurity_decrease", "random_state")
_DRAW_DEPTH = 3  # levels of the tree drawn; deeper subtrees become one "..." box


def _reference(task: str, params: dict):
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    cls = DecisionTreeClassifier if task == "classification" else DecisionTreeRegressor
    return cls(**{k: v for k, v in params.items() if k in _SHARED})


def same_tree(ours, ref) -> bool:
    """True when both trees have the same nodes, tests and thresholds (exactly)."""
    t = ref.tree_
    return bool(ours.children_left_.shape[0] == t.node_count
                and np.array_equal(ours.children_left_, t.children_left)
                and np.array_equal(ours.children_right_, t.children_right)
                and np.array_equal(ours.feature_, t.feature)
                and np.array_equal(ours.threshold_, t.threshold))


def compare_trees(ours, ref, X_train) -> dict:
    """Walk our tree and scikit-learn's together; count agreements and ties.

    At each pair of nodes the splits either agree (same feature and threshold), or tie
    (the same weighted child impurity W_L I_L + W_R I_R, up to 1e-9 relative) and send
    the training samples the same way (the walk goes on), or tie with a different
    partition (the subtrees are no longer comparable; the walk stops there), or differ
    for real (``untied_differences``, which should stay 0).
    """
    t = ref.tree_
    X32 = np.asarray(X_train, dtype=np.float32)
    counts = {"identical_splits": 0, "tied_splits_same_partition": 0,
              "tied_splits_other_partition": 0, "untied_differences": 0, "leaves_reached": 0}
    stack = [(0, 0, np.arange(X32.shape[0]))]
    while stack:
        a, b, rows = stack.pop()
        leaf_a, leaf_b = ours.children_left_[a] == -1, t.children_left[b] == -1
        if leaf_a or leaf_b:
            counts["leaves_reached" if leaf_a and leaf_b else "untied_differences"] += 1
            continue
        la, ra = int(ours.children_left_[a]), int(ours.children_right_[a])
        lb, rb = int(t.children_left[b]), int(t.children_right[b])
        go_a = X32[rows, ours.feature_[a]] <= ours.threshold_[a]
        if ours.feature_[a] == t.feature[b] and ours.threshold_[a] == t.threshold[b]:
            counts["identical_splits"] += 1
        else:
            w_a, w_b = ours.weighted_n_node_samples_, t.weighted_n_node_samples
            cost_a = w_a[la] * ours.impurity_[la] + w_a[ra] * ours.impurity_[ra]
            cost_b = w_b[lb] * t.impurity[lb] + w_b[rb] * t.impurity[rb]
            if not np.isclose(cost_a, cost_b, rtol=1e-9, atol=1e-12):
                counts["untied_differences"] += 1
                continue
            go_b = X32[rows, t.feature[b]] <= t.threshold[b]
            if not np.array_equal(go_a, go_b):
                counts["tied_splits_other_partition"] += 1
                continue
            counts["tied_splits_same_partition"] += 1
        stack.append((ra, rb, rows[~go_a]))
        stack.append((la, lb, rows[go_a]))
    return counts


def tree_arrays(tree) -> dict:
    """A fitted tree of ours as the arrays :func:`draw_tree` reads (one row per node).

    ``value`` is (n_nodes, n_classes) class shares for a classifier, (n_nodes, 1) means
    for a regressor.
    """
    return {"children_left": tree.children_left_, "children_right": tree.children_right_,
            "feature": tree.feature_, "threshold": tree.threshold_, "impurity": tree.impurity_,
            "n_node_samples": tree.n_node_samples_, "value": tree.value_}


def run(ctx):
    """The side-by-side run, the node-by-node comparison, and the score against depth."""
    task = ctx.entry.task
    record, fit = compare_on_split(ctx, _reference(task, ctx.params))
    ours, ref = fit.ours, fit.reference
    record.comparison["same_tree_node_by_node"] = same_tree(ours, ref)
    # where they differ, is every difference a tie (broken at random by scikit-learn)?
    record.comparison.update(compare_trees(ours, ref, fit.X_train))
    record.comparison["max_feature_importance_difference"] = float(
        np.abs(ours.feature_importances_ - ref.feature_importances_).max())
    names = record.info["feature_names"]
    record.info.update(
        depth={"mlatlas": int(ours.get_depth()), "reference": int(ref.get_depth())},
        leaves={"mlatlas": int(ours.get_n_leaves()), "reference": int(ref.get_n_leaves())},
        tree_text_first_levels=ours.export_text(names, max_depth=2),
        explain_first_test_sample=ours.explain(fit.X_test[0], names),
        criterion=str(ours.criterion),
        class_names=[str(c) for c in (ctx.data.target_names or ours.classes_)] if task == "classification" else None,
    )
    record.add("tree", **tree_arrays(ours))
    record.add("importances", mlatlas=ours.feature_importances_, reference=ref.feature_importances_)

    # train and test score of trees limited to depth 1, 2, ... (ours, and scikit-learn's test)
    depths = np.arange(1, max(2, min(ours.get_depth(), 20)) + 1)
    train, test, ref_test = [], [], []
    for d in depths:
        model = ctx.estimator(max_depth=int(d), random_state=ctx.seed).fit(fit.X_train, fit.y_train)
        train.append(model.score(fit.X_train, fit.y_train))
        test.append(model.score(fit.X_test, fit.y_test))
        reference = _reference(task, {**ctx.params, "max_depth": int(d), "random_state": ctx.seed})
        ref_test.append(reference.fit(fit.X_train, fit.y_train).score(fit.X_test, fit.y_test))
    record.add("depth", depth=depths, train=train, test=test, reference_test=ref_test)
    return record


# ---------------------------------------------------------------------------- figures


def draw_depth_curve(record, lang):
    """Train and test score of trees limited to depth 1, 2, ... (ours, and scikit-learn's test)."""
    t = translator(lang)
    depths, test = record.array("depth.depth"), record.array("depth.test")
    best = int(depths[int(np.argmax(test))])
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    ax.plot(depths, record.array("depth.train"), "o-", color="tab:blue", label=t("legend.train_ours"))
    ax.plot(depths, test, "o-", color="tab:orange", label=t("legend.test_ours"))
    ax.plot(depths, record.array("depth.reference_test"), "x--", color="0.4", label=t("legend.test_sklearn"))
    ax.axvline(best, color="tab:green", ls=":", label=t("trees.best_depth", depth=best))
    ax.set_xlabel("max_depth")
    ax.set_ylabel(t("axis.accuracy") if record.info["class_names"] is not None else t("axis.r2"))
    ax.set_title(t("trees.depth_title", dataset=record.dataset), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    entry = record.entry
    return plots.save(fig, record.figure_path(f"{entry}-depth-{record.dataset}", lang))


def subtree_leaves(children_left: np.ndarray, children_right: np.ndarray, node: int) -> int:
    """The number of leaves below ``node`` (the node itself when it is a leaf)."""
    stack, leaves = [node], 0
    while stack:
        n = stack.pop()
        if children_left[n] == -1:
            leaves += 1
        else:
            stack.extend((int(children_left[n]), int(children_right[n])))
    return leaves


def draw_tree(ax, tree: dict, feature_names, class_names, criterion: str, t, max_depth: int = _DRAW_DEPTH,
              decimals: int = 2) -> tuple[int, int]:
    """Draw a tree given as arrays (:func:`tree_arrays`): a box per node, arrows to the children.

    Internal nodes show their test, impurity, sample count and prediction; leaves are
    coloured by their class (classifier) or value (regressor); subtrees below
    ``max_depth`` are collapsed into one "..." box.  Returns the number of boxes on
    the widest level and the number of levels drawn (to size the figure).
    """
    left, right = tree["children_left"], tree["children_right"]
    value = tree["value"]
    is_clf = class_names is not None
    xs: dict[int, float] = {}
    ys: dict[int, float] = {}
    edges: list[tuple[int, int, str]] = []
    collapsed: set[int] = set()
    next_slot = [0.0]

    def place(node: int, depth: int) -> None:  # leaves left to right, parents centred above
        ys[node] = -float(depth)
        if left[node] == -1 or depth >= max_depth:
            if left[node] != -1:
                collapsed.add(node)
            xs[node] = next_slot[0]
            next_slot[0] += 1.0
            return
        place(int(left[node]), depth + 1)
        place(int(right[node]), depth + 1)
        edges.append((node, int(left[node]), t("trees.yes")))
        edges.append((node, int(right[node]), t("trees.no")))
        xs[node] = (xs[int(left[node])] + xs[int(right[node])]) / 2.0

    place(0, 0)
    cmap = plots.plt.get_cmap("viridis")
    v_min, v_max = float(value[:, 0].min()), float(value[:, 0].max())
    for parent, child, label in edges:
        ax.annotate("", xy=(xs[child], ys[child] + 0.18), xytext=(xs[parent], ys[parent] - 0.2),
                    arrowprops=dict(arrowstyle="->", color="0.45", lw=1.0), zorder=1)
        ax.text((xs[parent] * 0.4 + xs[child] * 0.6), (ys[parent] * 0.4 + ys[child] * 0.6), label,
                fontsize=7, ha="center", va="center", color="0.3", zorder=2,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    for node in xs:
        if is_clf:
            k = int(np.argmax(value[node]))
            prediction = t("trees.class_prediction", name=class_names[k], share=float(value[node, k]))
            colour = plots.class_colour(k)
            alpha = 0.15 + 0.6 * float(value[node, k])
        else:
            prediction = t("trees.value_prediction", value=f"{value[node, 0]:.{decimals}f}")
            share = 0.5 if v_max == v_min else (value[node, 0] - v_min) / (v_max - v_min)
            colour = cmap(share)
            alpha = 0.55
        stats = (f"{criterion} = {tree['impurity'][node]:.3f}\n"
                 f"{t('trees.samples', n=int(tree['n_node_samples'][node]))}\n{prediction}")
        if node in collapsed:
            text = f"{t('trees.collapsed', n=subtree_leaves(left, right, node))}\n{stats}"
            face, alpha = "0.9", 1.0
        elif left[node] == -1:
            text = stats
            face = colour
        else:
            text = f"{feature_names[tree['feature'][node]]} <= {tree['threshold'][node]:.4g}\n{stats}"
            face, alpha = "white", 1.0
        ax.text(xs[node], ys[node], text, ha="center", va="center", fontsize=7, zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="0.3", alpha=alpha))
    ax.set_xlim(-0.7, max(xs.values()) + 0.7)
    ax.set_ylim(min(ys.values()) - 0.6, 0.6)
    ax.axis("off")
    return int(next_slot[0]), int(-min(ys.values())) + 1


def draw_fitted_tree(record, lang):
    """Our fitted tree drawn (its first levels)."""
    t = translator(lang)
    tree = {key.split(".", 1)[1]: value for key, value in record.arrays.items() if key.startswith("tree.")}
    class_names = record.info["class_names"]
    fig, axes = plots.figure(1, 1)
    slots, levels = draw_tree(axes[0, 0], tree, record.info["feature_names"], class_names,
                              record.info["criterion"], t)
    if class_names is not None:
        plots.class_legend(axes[0, 0], class_names, title=t("trees.leaf_colour"), marker="s", loc="upper right")
    fig.set_size_inches(float(np.clip(2.1 * slots, 6.0, 22.0)), 1.7 * levels + 0.8)
    depth = record.info["depth"]["mlatlas"]
    shown = "" if depth <= _DRAW_DEPTH else t("trees.first_levels", shown=_DRAW_DEPTH, depth=depth)
    axes[0, 0].set_title(t("trees.tree_title", entry=record.entry, dataset=record.dataset, shown=shown))
    return plots.save(fig, record.figure_path(f"{record.entry}-tree-{record.dataset}", lang))


def draw_importances(record, lang):
    """Feature importances (normalised impurity decrease), ours against scikit-learn's."""
    t = translator(lang)
    ours, ref = record.array("importances.mlatlas"), record.array("importances.reference")
    names = np.asarray(record.info["feature_names"])
    top = np.argsort(np.maximum(ours, ref))[::-1][: min(12, len(ours))]
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    pos = np.arange(len(top))
    ax.barh(pos - 0.2, ours[top], height=0.4, color="tab:blue", label="mlatlas")
    ax.barh(pos + 0.2, ref[top], height=0.4, color="0.6", label="scikit-learn")
    ax.set_yticks(pos)
    ax.set_yticklabels(names[top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(t("axis.importance"))
    ax.set_ylabel(t("axis.feature"))
    ax.set_title(t("trees.importances_title", dataset=record.dataset))
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path(f"{record.entry}-importances-{record.dataset}", lang))


_FIGURES = (draw_depth_curve, draw_fitted_tree, draw_importances)

register(Entry(
    name="decision-tree", family="trees",
    title="CART classification tree (Gini or entropy), compared node by node with scikit-learn",
    run=run, config="mlatlas.supervised:DecisionTreeClassifier",
    references=("sklearn.tree.DecisionTreeClassifier",),
    dataset="iris", datasets=("iris", "breast_cancer", "wine", "digits"), task="classification",
    params={"criterion": "gini"}, figures=_FIGURES, primary_metric="accuracy",
))

register(Entry(
    name="decision-tree-regressor", family="trees",
    title="CART regression tree (squared error), compared node by node with scikit-learn",
    run=run, config="mlatlas.supervised:DecisionTreeRegressor",
    references=("sklearn.tree.DecisionTreeRegressor",),
    dataset="diabetes", datasets=("diabetes",), task="regression",
    params={"min_samples_leaf": 10}, figures=_FIGURES, primary_metric="r2",
))
