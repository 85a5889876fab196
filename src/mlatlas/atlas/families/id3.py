"""Registry entry ``id3`` (multiway categorical trees).

ID3 needs categorical features, so its run cuts a bundled dataset's features into three
quantile bins ("low", "mid", "high", edges from the training split) and compares ours
with scikit-learn's entropy CART tree on the one-hot encoding of the same bins (binary
splits on indicator columns instead of one multiway split per feature).  It also fits
the classic 14-day "play tennis" table (the notes' worked example: outlook at the root,
humidity under sunny, wind under rain).

Record
------
``tennis.*``: the play-tennis tree as arrays (ID3Classifier.tree_) and the root's
information gains; ``shallow.*``: an ID3 tree of depth 2 on the run's binned data;
both trees' categories and classes in ``info``.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..registry import Entry, register
from ..runner import compare_on_split
from ..strings import translator

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
_TREE_KEYS = ("feature", "child_start", "children", "value", "depth", "gain")


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


def _record_tree(record, prefix: str, clf) -> None:
    record.add(prefix, **{key: clf.tree_[key] for key in _TREE_KEYS})
    record.info[prefix] = {"categories": [[str(c) for c in cats] for cats in clf.categories_],
                           "classes": [str(c) for c in clf.classes_]}


def run(ctx):
    """Ours against the one-hot CART tree on binned data; the play-tennis tree."""
    from ...supervised import ID3Classifier

    record, fit = compare_on_split(ctx, _reference(ctx.params, ctx.seed), preprocess=discretize,
                                   reference_name="sklearn DecisionTreeClassifier(entropy) on one-hot bins")
    record.rows[0].model = "mlatlas ID3"
    ours = fit.ours
    record.info.update(binning="training terciles per feature -> low / mid / high",
                       tree_depth=int(ours.get_depth()), tree_leaves=int(ours.get_n_leaves()))
    shallow = ID3Classifier(max_depth=2).fit(fit.X_train, fit.y_train)
    _record_tree(record, "shallow", shallow)
    record.info["shallow_leaves"] = int(shallow.get_n_leaves())

    X_pt, y_pt = play_tennis()
    tennis = ID3Classifier().fit(X_pt, y_pt)
    _record_tree(record, "tennis", tennis)
    record.add("tennis", information_gain=tennis.information_gain_)
    record.info["play_tennis_root_gains_bits"] = dict(zip(PLAY_TENNIS_FEATURES,
                                                          np.round(tennis.information_gain_, 4).tolist()))
    record.comparison["play_tennis_root"] = PLAY_TENNIS_FEATURES[int(tennis.tree_["feature"][0])]
    record.comparison["play_tennis_training_accuracy"] = float(np.mean(tennis.predict(X_pt) == y_pt))
    record.info["play_tennis_tree"] = tennis.export_text(PLAY_TENNIS_FEATURES)
    return record


# ---------------------------------------------------------------------------- figures


def draw_tree(ax, record, prefix: str, feature_names: list[str], t, title: str = "") -> list[str]:
    """Draw an ID3 tree from the record: tested features in boxes, categories on the edges.

    Leaves are coloured by their majority class; returns the class names (for a legend).
    """
    tree = {key: record.array(f"{prefix}.{key}") for key in _TREE_KEYS}
    info = record.info[prefix]
    categories, classes = info["categories"], info["classes"]
    n_nodes = len(tree["feature"])
    x = np.zeros(n_nodes)
    next_leaf = [0.0]

    def kids(node):
        j = tree["feature"][node]
        if j < 0:
            return []
        slots = tree["children"][tree["child_start"][node]: tree["child_start"][node] + len(categories[j])]
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
    y = -tree["depth"].astype(float)
    for node in range(n_nodes):
        for code, child in kids(node):
            ax.plot([x[node], x[child]], [y[node], y[child]], color="0.6", zorder=1)
            ax.text((x[node] + x[child]) / 2, (y[node] + y[child]) / 2, categories[tree["feature"][node]][code],
                    ha="center", va="center", fontsize=8, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"),
                    zorder=2)
        counts = tree["value"][node]
        k = int(np.argmax(counts))
        if tree["feature"][node] >= 0:
            text = f"{feature_names[tree['feature'][node]]}?\n{t('id3.gain', gain=float(tree['gain'][node]))}"
            face = "white"
        else:
            text = f"{classes[k]}\n{'/'.join(f'{c:g}' for c in counts)}"
            face = plots.class_colour(k)
        ax.text(x[node], y[node], text, ha="center", va="center", fontsize=8, zorder=3,
                bbox=dict(boxstyle="round,pad=0.3", fc=face, ec="0.3", alpha=0.8 if face != "white" else 1.0))
    ax.set_xlim(x.min() - 0.7, x.max() + 0.7)
    ax.set_ylim(y.min() - 0.5, 0.5)
    ax.axis("off")
    ax.set_title(title)
    return classes


def draw_play_tennis(record, lang):
    """The play-tennis tree, and the information gain of each root candidate."""
    t = translator(lang)
    fig, axes = plots.figure(1, 2, size=4.5)
    classes = draw_tree(axes[0, 0], record, "tennis", PLAY_TENNIS_FEATURES, t, title=t("id3.tennis_title"))
    plots.class_legend(axes[0, 0], [t("id3.play", answer=c) for c in classes], marker="s", loc="lower left")
    ax = axes[0, 1]
    gain = record.array("tennis.information_gain")
    order = np.argsort(gain)[::-1]
    ax.bar([PLAY_TENNIS_FEATURES[j] for j in order], gain[order], color="tab:blue")
    for i, j in enumerate(order):
        ax.text(i, gain[j], f"{gain[j]:.3f}", ha="center", va="bottom")
    ax.set_xlabel(t("id3.root_feature"))
    ax.set_ylabel(t("id3.root_gain"))
    ax.set_title(t("id3.root_title"))
    return plots.save(fig, record.figure_path("id3-play-tennis", lang))


def draw_dataset_tree(record, lang):
    """An ID3 tree of depth 2 on the run's binned data."""
    t = translator(lang)
    fig, axes = plots.figure(1, 1, size=max(6.0, 0.9 * record.info["shallow_leaves"]))
    classes = draw_tree(axes[0, 0], record, "shallow", record.info["feature_names"], t,
                        title=t("id3.dataset_title", dataset=record.dataset))
    plots.class_legend(axes[0, 0], classes, title=t("trees.leaf_colour"), marker="s", loc="upper right")
    return plots.save(fig, record.figure_path(f"id3-tree-{record.dataset}", lang))


register(Entry(
    name="id3", family="trees", title="ID3: multiway categorical tree by information gain",
    run=run, config="mlatlas.supervised:ID3Classifier",
    references=("sklearn DecisionTreeClassifier(entropy) on one-hot bins",),
    dataset="iris", datasets=("iris", "wine", "breast_cancer"), task="classification",
    figures=(draw_play_tennis, draw_dataset_tree), primary_metric="accuracy",
))
