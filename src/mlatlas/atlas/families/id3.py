"""Registry entry for ID3 (multiway categorical trees).

ID3 needs categorical features, so its run is custom: it fits the classic 14-day
"play tennis" table (the worked example: outlook at the root, humidity under sunny,
wind under rain) and a bundled dataset whose features are cut into three quantile
bins ("low", "mid", "high", edges from the training split).  The reference is
scikit-learn's entropy CART tree on the one-hot encoding of the same bins: binary
splits on indicator columns instead of one multiway split per feature.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ...supervised.id3 import ID3Classifier
from ..registry import Entry, register
from ..runner import ModelRow, RunResult, default_metrics, timed, warm_up

PLAY_TENNIS_FEATURES = ["outlook", "temperature", "humidity", "wind"]
PLAY_TENNIS = [
    # outlook, temperature, humidity, wind -> play
    ("sunny", "hot", "high", "weak", "no"),
    ("sunny", "hot", "high", "strong", "no"),
    ("overcast", "hot", "high", "weak", "yes"),
    ("rain", "mild", "high", "weak", "yes"),
    ("rain", "cool", "normal", "weak", "yes"),
    ("rain", "cool", "normal", "strong", "no"),
    ("overcast", "cool", "normal", "strong", "yes"),
    ("sunny", "mild", "high", "weak", "no"),
    ("sunny", "cool", "normal", "weak", "yes"),
    ("rain", "mild", "normal", "weak", "yes"),
    ("sunny", "mild", "normal", "strong", "yes"),
    ("overcast", "mild", "high", "strong", "yes"),
    ("overcast", "hot", "normal", "weak", "yes"),
    ("rain", "mild", "high", "strong", "no"),
]
BIN_LABELS = np.array(["low", "mid", "high"])


def play_tennis() -> tuple[np.ndarray, np.ndarray]:
    """The play-tennis table as (X (14, 4) strings, y (14,) "yes"/"no")."""
    table = np.array(PLAY_TENNIS)
    return table[:, :4], table[:, 4]


def discretize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut every feature at its training terciles into "low" / "mid" / "high"."""
    edges = np.quantile(X_train, [1 / 3, 2 / 3], axis=0)  # (2, n_features)

    def cut(X):
        codes = np.stack([np.searchsorted(edges[:, j], X[:, j], side="right") for j in range(X.shape[1])], axis=1)
        return BIN_LABELS[codes]

    return cut(X_train), cut(X_test)


def _reference(params: dict, seed: int):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    return make_pipeline(
        OneHotEncoder(handle_unknown="ignore"),
        DecisionTreeClassifier(criterion="entropy", max_depth=params.get("max_depth"),
                               min_samples_split=params.get("min_samples_split", 2), random_state=seed))


def _run(entry: Entry, ctx) -> RunResult:
    from sklearn.model_selection import train_test_split

    data, params, seed = ctx.dataset, ctx.params, ctx.seed
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=entry.test_size, random_state=seed, stratify=data.y)
    Xc_train, Xc_test = discretize(X_train, X_test)
    ctx.X_train, ctx.X_test, ctx.y_train, ctx.y_test = Xc_train, Xc_test, y_train, y_test

    warm_up(lambda: ID3Classifier(**params), Xc_train, y_train)
    ours = ID3Classifier(**params)
    _, fit_time = timed(ours.fit, Xc_train, y_train)
    pred_ours, predict_time = timed(ours.predict, Xc_test)
    warm_up(lambda: _reference(params, seed), Xc_train, y_train)
    ref = _reference(params, seed)
    _, ref_fit = timed(ref.fit, Xc_train, y_train)
    pred_ref, ref_predict = timed(ref.predict, Xc_test)
    ctx.ours, ctx.reference = ours, ref
    rows = [
        ModelRow("mlatlas ID3", default_metrics("classification", ours, Xc_test, y_test), fit_time, predict_time),
        ModelRow(entry.reference_name, default_metrics("classification", ref, Xc_test, y_test), ref_fit, ref_predict),
    ]

    X_pt, y_pt = play_tennis()
    tennis = ID3Classifier().fit(X_pt, y_pt)
    ctx.extra["play_tennis"] = tennis
    root = PLAY_TENNIS_FEATURES[int(tennis.tree_["feature"][0])]
    comparison = {
        "prediction_agreement": float(np.mean(pred_ours == pred_ref)),
        "play_tennis_root": root,
        "play_tennis_training_accuracy": float(np.mean(tennis.predict(X_pt) == y_pt)),
    }
    details = {
        "play_tennis_root_gains_bits": dict(zip(PLAY_TENNIS_FEATURES, np.round(tennis.information_gain_, 4).tolist())),
        "play_tennis_tree": tennis.export_text(PLAY_TENNIS_FEATURES),
        "binning": "training terciles per feature -> low / mid / high",
        "tree_depth": ours.get_depth(),
        "tree_leaves": ours.get_n_leaves(),
    }
    return RunResult(entry.name, data.name, params, seed, rows, comparison, details=details)


def draw_tree(ax, clf: ID3Classifier, feature_names: list[str], title: str = "") -> None:
    """Draw a fitted ID3 tree: tested features in boxes, categories on the edges, leaves coloured."""
    t = clf.tree_
    n_nodes = len(t["feature"])
    x = np.zeros(n_nodes)
    next_leaf = [0.0]

    def kids(node):
        j = t["feature"][node]
        if j < 0:
            return []
        slots = t["children"][t["child_start"][node]: t["child_start"][node] + len(clf.categories_[j])]
        return [(code, c) for code, c in enumerate(slots) if c >= 0]

    def place(node):  # leaves left to right, a parent centred over its children
        children = kids(node)
        if not children:
            x[node] = next_leaf[0]
            next_leaf[0] += 1
            return
        for _, child in children:
            place(child)
        x[node] = np.mean([x[c] for _, c in children])

    place(0)
    y = -t["depth"].astype(float)
    colours = plots.plt.get_cmap("Set2")
    for node in range(n_nodes):
        for code, child in kids(node):
            ax.plot([x[node], x[child]], [y[node], y[child]], color="0.6", zorder=1)
            ax.text((x[node] + x[child]) / 2, (y[node] + y[child]) / 2,
                    str(clf.categories_[t["feature"][node]][code]), ha="center", va="center", fontsize=8,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"), zorder=2)
        counts = t["value"][node]
        k = int(np.argmax(counts))
        if t["feature"][node] >= 0:
            text = f"{feature_names[t['feature'][node]]}?\ngain {t['gain'][node]:.3f}"
            face = "white"
        else:
            text = f"{clf.classes_[k]}\n{'/'.join(f'{c:g}' for c in counts)}"
            face = colours(k % 8)
        ax.text(x[node], y[node], text, ha="center", va="center", fontsize=8, zorder=3,
                bbox=dict(boxstyle="round,pad=0.3", fc=face, ec="0.3"))
    ax.set_xlim(x.min() - 0.7, x.max() + 0.7)
    ax.set_ylim(y.min() - 0.5, 0.5)
    ax.axis("off")
    ax.set_title(title)


def _fig_play_tennis(ctx):
    clf = ctx.extra.get("play_tennis") or ID3Classifier().fit(*play_tennis())
    fig, axes = plots.figure(1, 2, size=4.5)
    draw_tree(axes[0, 0], clf, PLAY_TENNIS_FEATURES, title="ID3 on the play-tennis table")
    ax = axes[0, 1]
    order = np.argsort(clf.information_gain_)[::-1]
    ax.bar([PLAY_TENNIS_FEATURES[j] for j in order], clf.information_gain_[order], color="tab:blue")
    for i, j in enumerate(order):
        ax.text(i, clf.information_gain_[j], f"{clf.information_gain_[j]:.3f}", ha="center", va="bottom")
    ax.set_ylabel("information gain at the root (bits)")
    ax.set_title("root candidates: the largest gain wins")
    return plots.save(fig, ctx.path("id3-play-tennis"))


def _fig_dataset_tree(ctx):
    names = list(ctx.dataset.feature_names)
    shallow = ID3Classifier(max_depth=2).fit(ctx.X_train, ctx.y_train)
    leaves = shallow.get_n_leaves()
    fig, axes = plots.figure(1, 1, size=max(6.0, 0.9 * leaves))
    draw_tree(axes[0, 0], shallow, names,
              title=f"ID3 (max_depth=2) on {ctx.dataset.name}, features cut into low/mid/high")
    return plots.save(fig, ctx.path(f"id3-tree-{ctx.dataset.name}"))


register(Entry(
    name="id3", family="trees", title="ID3: multiway categorical tree by information gain",
    estimator=ID3Classifier,
    reference=lambda p: _reference(p, 0),
    reference_name="sklearn DecisionTreeClassifier(entropy) on one-hot bins",
    dataset="iris", datasets=("iris", "wine", "breast_cancer"), task="classification",
    params={}, demo_params={},
    figures=(_fig_play_tennis, _fig_dataset_tree), runner=_run,
))
