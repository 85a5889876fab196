"""Registry entries ``decision-tree`` and ``decision-tree-regressor`` (CART).

Each run fits our tree and scikit-learn's with the same parameters on the same split,
then reports whether the two trees are identical node by node (they are unless two
splits tie somewhere, which scikit-learn breaks at random and we by the lowest
feature index) and, walking both trees together, how many splits agree, how many
differ only by a tie, and how many differ for real (none, unless something is wrong).

Figures: train and test score against ``max_depth`` (shallow trees underfit, deep
ones overfit), the fitted tree drawn as boxes and arrows (its first levels), and the
feature importances of both implementations side by side.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ...supervised.tree import DecisionTreeClassifier, DecisionTreeRegressor
from ..registry import Entry, register
from ..runner import standard_run

_SHARED = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf", "max_features",
           "min_impurity_decrease", "random_state")
_DRAW_DEPTH = 3  # levels of the tree drawn; deeper subtrees become one "..." box


def _reference_classifier(params: dict):
    from sklearn.tree import DecisionTreeClassifier as Reference

    return Reference(**{k: v for k, v in params.items() if k in _SHARED})


def _reference_regressor(params: dict):
    from sklearn.tree import DecisionTreeRegressor as Reference

    return Reference(**{k: v for k, v in params.items() if k in _SHARED})


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


def _run(entry: Entry, ctx):
    """The standard side-by-side run, plus the node-by-node comparison of the trees."""
    result = standard_run(entry, ctx.dataset, ctx.params, ctx.seed, ctx)
    ours, ref = ctx.ours, ctx.reference
    result.comparison["same_tree_node_by_node"] = same_tree(ours, ref)
    # where they differ, is every difference a tie (broken at random by scikit-learn)?
    result.comparison.update(compare_trees(ours, ref, ctx.X_train))
    result.comparison["max_feature_importance_difference"] = float(
        np.abs(ours.feature_importances_ - ref.feature_importances_).max())
    result.details["depth"] = {"mlatlas": ours.get_depth(), "reference": int(ref.get_depth())}
    result.details["leaves"] = {"mlatlas": ours.get_n_leaves(), "reference": int(ref.get_n_leaves())}
    names = list(ctx.dataset.feature_names)
    result.details["tree_text_first_levels"] = ours.export_text(names, max_depth=2)
    result.details["explain_first_test_sample"] = ours.explain(ctx.X_test[0], names)
    return result


# ----------------------------------------------------------------------------- figures


def _fig_depth_curve(ctx):
    """Train and test score of trees limited to depth 1, 2, ... (ours, and sklearn's test)."""
    is_clf = ctx.entry.task == "classification"
    full = ctx.ours.get_depth() if ctx.ours is not None else 12
    depths = np.arange(1, max(2, min(full, 20)) + 1)
    train, test, ref_test = [], [], []
    for d in depths:
        model = ctx.estimator(max_depth=int(d), random_state=ctx.seed).fit(ctx.X_train, ctx.y_train)
        train.append(model.score(ctx.X_train, ctx.y_train))
        test.append(model.score(ctx.X_test, ctx.y_test))
        ref = ctx.entry.reference({**ctx.params, "max_depth": int(d), "random_state": ctx.seed})
        ref_test.append(ref.fit(ctx.X_train, ctx.y_train).score(ctx.X_test, ctx.y_test))
    best = int(depths[int(np.argmax(test))])
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    ax.plot(depths, train, "o-", color="tab:blue", label="train (mlatlas)")
    ax.plot(depths, test, "o-", color="tab:orange", label="test (mlatlas)")
    ax.plot(depths, ref_test, "x--", color="0.4", label="test (scikit-learn)")
    ax.axvline(best, color="tab:green", ls=":", label=f"best test depth = {best}")
    ax.set_xlabel("max_depth")
    ax.set_ylabel("accuracy" if is_clf else "R$^2$")
    ax.set_title(f"{ctx.dataset.name}: shallow trees underfit, deep trees overfit")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return plots.save(fig, ctx.path(f"{ctx.entry.name}-depth-{ctx.dataset.name}"))


def draw_tree(ax, tree, feature_names, class_names=None, max_depth: int = _DRAW_DEPTH,
              decimals: int = 2) -> tuple[int, int]:
    """Draw a fitted tree of ours: a box per node, arrows to the children.

    Internal nodes show their test, impurity, sample count and prediction; leaves are
    coloured by their class (classifier) or value (regressor); subtrees below
    ``max_depth`` are collapsed into one "..." box.  Returns the number of boxes on
    the widest level and the number of levels drawn (to size the figure).
    """
    left, right = tree.children_left_, tree.children_right_
    is_clf = hasattr(tree, "classes_")
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
        edges.append((node, int(left[node]), "yes"))
        edges.append((node, int(right[node]), "no"))
        xs[node] = (xs[int(left[node])] + xs[int(right[node])]) / 2.0

    place(0, 0)
    cmap = plots.plt.get_cmap("tab10") if is_clf else plots.plt.get_cmap("viridis")
    values = tree.value_[:, 0]
    v_min, v_max = float(values.min()), float(values.max())
    criterion = tree.criterion
    for parent, child, label in edges:
        ax.annotate("", xy=(xs[child], ys[child] + 0.18), xytext=(xs[parent], ys[parent] - 0.2),
                    arrowprops=dict(arrowstyle="->", color="0.45", lw=1.0), zorder=1)
        ax.text((xs[parent] * 0.4 + xs[child] * 0.6), (ys[parent] * 0.4 + ys[child] * 0.6), label,
                fontsize=7, ha="center", va="center", color="0.3", zorder=2,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    for node in xs:
        if is_clf:
            k = int(np.argmax(tree.value_[node]))
            name = class_names[k] if class_names is not None else tree.classes_[k]
            prediction = f"class = {name} ({tree.value_[node, k]:.2f})"
            colour = cmap(k % 10)
            alpha = 0.15 + 0.6 * float(tree.value_[node, k])
        else:
            prediction = f"value = {tree.value_[node, 0]:.{decimals}f}"
            share = 0.5 if v_max == v_min else (tree.value_[node, 0] - v_min) / (v_max - v_min)
            colour = cmap(share)
            alpha = 0.55
        stats = f"{criterion} = {tree.impurity_[node]:.3f}\nsamples = {tree.n_node_samples_[node]}\n{prediction}"
        if node in collapsed:
            text = f"... {tree._subtree_leaves(node)} leaves below\n{stats}"
            face, alpha = "0.9", 1.0
        elif left[node] == -1:
            text = stats
            face = colour
        else:
            text = f"{feature_names[tree.feature_[node]]} <= {tree.threshold_[node]:.4g}\n{stats}"
            face, alpha = "white", 1.0
        ax.text(xs[node], ys[node], text, ha="center", va="center", fontsize=7, zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="0.3", alpha=alpha))
    ax.set_xlim(-0.7, max(xs.values()) + 0.7)
    ax.set_ylim(min(ys.values()) - 0.6, 0.6)
    ax.axis("off")
    return int(next_slot[0]), int(-min(ys.values())) + 1


def _fig_tree(ctx):
    """Our fitted tree drawn (its first levels)."""
    tree = ctx.ours
    fig, axes = plots.figure(1, 1)
    slots, levels = draw_tree(axes[0, 0], tree, list(ctx.dataset.feature_names), ctx.dataset.target_names)
    fig.set_size_inches(float(np.clip(2.1 * slots, 6.0, 22.0)), 1.7 * levels + 0.8)
    shown = "" if tree.get_depth() <= _DRAW_DEPTH else f" (first {_DRAW_DEPTH} of {tree.get_depth()} levels)"
    axes[0, 0].set_title(f"{ctx.entry.name} on {ctx.dataset.name}{shown}: go left when the test holds")
    return plots.save(fig, ctx.path(f"{ctx.entry.name}-tree-{ctx.dataset.name}"))


def _fig_importances(ctx):
    """Feature importances (normalised impurity decrease), ours against scikit-learn's."""
    ours = ctx.ours.feature_importances_
    ref = ctx.reference.feature_importances_ if ctx.reference is not None else np.zeros_like(ours)
    names = np.asarray(ctx.dataset.feature_names)
    top = np.argsort(np.maximum(ours, ref))[::-1][: min(12, len(ours))]
    fig, axes = plots.figure(1, 1, size=5.5)
    ax = axes[0, 0]
    pos = np.arange(len(top))
    ax.barh(pos - 0.2, ours[top], height=0.4, color="tab:blue", label="mlatlas")
    ax.barh(pos + 0.2, ref[top], height=0.4, color="0.6", label="scikit-learn")
    ax.set_yticks(pos)
    ax.set_yticklabels(names[top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("importance (share of the total impurity decrease)")
    ax.set_title(f"{ctx.dataset.name}: feature importances")
    ax.legend(fontsize=8)
    return plots.save(fig, ctx.path(f"{ctx.entry.name}-importances-{ctx.dataset.name}"))


_FIGURES = (_fig_depth_curve, _fig_tree, _fig_importances)

register(Entry(
    name="decision-tree", family="trees",
    title="CART classification tree (Gini or entropy), compared node by node with scikit-learn",
    estimator=DecisionTreeClassifier, reference=_reference_classifier,
    reference_name="sklearn.tree.DecisionTreeClassifier",
    dataset="iris", datasets=("iris", "breast_cancer", "wine", "digits"), task="classification",
    params={"criterion": "gini"}, demo_params={},
    figures=_FIGURES, runner=_run,
))

register(Entry(
    name="decision-tree-regressor", family="trees",
    title="CART regression tree (squared error), compared node by node with scikit-learn",
    estimator=DecisionTreeRegressor, reference=_reference_regressor,
    reference_name="sklearn.tree.DecisionTreeRegressor",
    dataset="diabetes", datasets=("diabetes",), task="regression",
    params={"min_samples_leaf": 10}, demo_params={},
    figures=_FIGURES, runner=_run,
))
