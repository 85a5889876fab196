"""Registry entries of the NumPy neural-net core: ``worked-example``, ``mlp``, ``mlp-regressor``.

worked-example
    The notes' two-layer network (notes 02, section 1.1): every forward value, every
    gradient and one gradient-descent step, computed with the ``mlatlas.nn`` modules,
    by PyTorch's autograd (when installed) and by hand (the notes' numbers with the
    errata applied), one row per scalar.  Record: ``values.*`` (every quantity) and
    ``network.*`` (the notes' weights and input).
mlp / mlp-regressor
    :class:`~mlatlas.nn.MLPClassifier` / :class:`~mlatlas.nn.MLPRegressor` against
    scikit-learn's with the same architecture, optimizer, batch size and epochs.
    Record: ``loss.*`` (both loss curves); for 2-D data ``grid.*`` (both models'
    classes on a grid), for digits ``weights`` (16 first-layer units as 8x8 images);
    ``test.*`` (regression: targets and both predictions).

``nn-concepts`` (norms, upsampling, transposed convolution, schedules) is in nn_concepts.py.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..runner import compare_on_split, decision_grid
from ..strings import translator


def _torch():
    try:
        import torch
    except ImportError:  # torch is an optional extra
        return None
    return torch


# ---------------------------------------------------------------------------- worked-example

#: The notes' values with the errata applied, typed in by hand (eta = 0.1 for the update).
HAND_VALUES = {
    "z1": (-0.4, 1.7), "a1": (0.0, 1.7), "z2": -0.18, "y_hat": -0.18, "L": 0.6962,
    "dL/dy_hat": -1.18, "dL/dz2": -1.18, "dL/dW2": (0.0, -2.006), "dL/db2": -1.18,
    "dL/da1": (-0.236, 0.472), "dL/dz1": (0.0, 0.472), "dL/dW1": ((0.0, 0.0), (0.472, 0.944)),
    "dL/db1": (0.0, 0.472),
    "W1_new": ((0.5, -0.5), (0.2528, 0.7056)), "b1_new": (0.1, -0.2472), "W2_new": (0.2, -0.1994),
    "b2_new": 0.618, "z1_new": (-0.4, 1.4168), "a1_new": (0.0, 1.4168), "y_hat_new": 0.33549008,
    "L_new": 0.2207867168892032,
}
HAND_LEARNING_RATE = 0.1


@dataclass
class WorkedExampleConfig:
    """Settings of the ``worked-example`` run.

    Attributes
    ----------
    learning_rate : float
        eta of the one gradient-descent step (the notes use 0.1; the hand-computed
        column is only compared at that value).
    """

    learning_rate: float = HAND_LEARNING_RATE


def _array_key(quantity: str) -> str:
    """``"dL/dW1"`` -> ``"dL_dW1"`` (record array names have no slashes)."""
    return quantity.replace("/", "_")


def run_worked_example(ctx):
    """Our modules, torch's autograd and the hand-computed values, scalar by scalar."""
    from ...nn.worked_example import NOTES_NETWORK, QUANTITIES, scalar_rows, torch_worked_example, worked_example

    eta = float(ctx.config.learning_rate)
    ours = worked_example(learning_rate=eta)
    rows = [ModelRow("mlatlas.nn", scalar_rows(ours))]
    comparison = {}
    torch = _torch()
    if torch is not None:
        ref = torch_worked_example(learning_rate=eta)
        rows.append(ModelRow("torch autograd", scalar_rows(ref)))
        comparison["max_abs_difference_vs_torch"] = max(float(np.max(np.abs(ours[k] - ref[k]))) for k in QUANTITIES)
    if eta == HAND_LEARNING_RATE:
        hand = scalar_rows({k: np.asarray(v) for k, v in HAND_VALUES.items()})
        rows.append(ModelRow("by hand (notes + errata)", hand))
        comparison["max_abs_difference_vs_hand"] = max(abs(v - hand[k]) for k, v in rows[0].metrics.items())
    comparison["torch_available"] = torch is not None
    record = ctx.record(rows, params=asdict(ctx.config), dataset="notes-02", comparison=comparison)
    record.add("values", **{_array_key(k): np.asarray(v, dtype=float) for k, v in ours.items()})
    record.add("network", **{k: np.asarray(v, dtype=float) for k, v in NOTES_NETWORK.items()})
    record.info["learning_rate"] = eta
    return record


GRAD_COLOR = "#c0392b"


def _draw_network(ax, W1, b1, W2, b2, x, z1, a1, y_hat, loss, t, grads=None, title=""):
    """Nodes with their values (black), edges with their weights, gradients dL/d. in red."""
    pos = {"x0": (0.0, 1.2), "x1": (0.0, -1.2), "h0": (2.4, 1.2), "h1": (2.4, -1.2), "out": (4.8, 0.0),
           "loss": (6.6, 0.0)}
    # (from, to, weight, gradient index, where along the edge to write)
    edges = [("x0", "h0", W1[0, 0], (0, 0), 0.5), ("x1", "h1", W1[1, 1], (1, 1), 0.5),
             ("x1", "h0", W1[0, 1], (0, 1), 0.3), ("x0", "h1", W1[1, 0], (1, 0), 0.3),
             ("h0", "out", W2[0], (0,), 0.5), ("h1", "out", W2[1], (1,), 0.5)]

    def pair(xx, yy, value_text, grad_text, size=7):
        ax.text(xx, yy, value_text, ha="center", va="bottom", fontsize=size, zorder=4,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
        if grad_text:
            ax.text(xx, yy, grad_text, ha="center", va="top", fontsize=size, color=GRAD_COLOR, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))

    for a, b, w, index, s in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.plot([xa, xb], [ya, yb], color="0.65", lw=1.2, zorder=1)
        g = None if grads is None else (grads["dL_dW1"] if a.startswith("x") else grads["dL_dW2"])[index]
        pair(xa + s * (xb - xa), ya + s * (yb - ya), f"w={w:.4g}", None if g is None else f"∂={g:.4g}")
    ax.plot([pos["out"][0], pos["loss"][0]], [0, 0], color="0.65", lw=1.2, zorder=1)

    def node(key, lines, grad_line, color):
        xx, yy = pos[key]
        ax.add_patch(plots.plt.Circle((xx, yy), 0.5, fc=color, ec="k", zorder=2))
        pair(xx, yy + (0.0 if grad_line else -0.15), "\n".join(lines), grad_line)

    for i in range(2):
        node(f"x{i}", [f"x{i + 1}", f"{x[i]:.4g}"], None, "#dbe9f6")
        node(f"h{i}", [f"z={z1[i]:.4g}", f"a={a1[i]:.4g}"],
             None if grads is None else f"∂z={grads['dL_dz1'][i]:.4g}", "#fde2c8" if a1[i] > 0 else "#eeeeee")
        offset = 0.75 if i == 0 else -0.95
        pair(pos[f"h{i}"][0], pos[f"h{i}"][1] + offset, f"b1[{i}]={b1[i]:.4g}",
             None if grads is None else f"∂={grads['dL_db1'][i]:.4g}")
    node("out", [f"ŷ={y_hat:.4g}"], None if grads is None else f"∂={grads['dL_dy_hat']:.4g}", "#d5f0d5")
    pair(pos["out"][0], -0.95, f"b2={b2:.4g}", None if grads is None else f"∂={grads['dL_db2']:.4g}")
    node("loss", ["L", f"{loss:.4g}"], None, "#f6d5d5")
    ax.text(pos["loss"][0], -0.75, "½(ŷ − y)², y = 1", ha="center", va="center", fontsize=7, color="0.25")
    ax.set_xlim(-0.7, 7.3)
    ax.set_ylim(-2.3, 2.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def draw_worked_example(record, lang):
    """The network before (values and gradients) and after one gradient step."""
    t = translator(lang)
    v = {key.split(".", 1)[1]: value for key, value in record.arrays.items() if key.startswith("values.")}
    net = {key.split(".", 1)[1]: value for key, value in record.arrays.items() if key.startswith("network.")}
    eta = record.info["learning_rate"]
    fig, axes = plots.figure(1, 2, size=5.6)
    _draw_network(axes[0, 0], net["W1"], net["b1"], net["W2"], float(net["b2"]), net["x"], v["z1"], v["a1"],
                  float(v["y_hat"]), float(v["L"]), t, grads=v, title=t("worked.before"))
    _draw_network(axes[0, 1], v["W1_new"], v["b1_new"], v["W2_new"], float(v["b2_new"]), net["x"], v["z1_new"],
                  v["a1_new"], float(v["y_hat_new"]), float(v["L_new"]), t,
                  title=t("worked.after", eta=eta, before=float(v["L"]), after=float(v["L_new"])))
    return plots.save(fig, record.figure_path("worked-example", lang))


register(Entry(
    name="worked-example", family="nn",
    title="The notes' 2-layer ReLU network: forward, backward and one gradient step, every value",
    run=run_worked_example, config=WorkedExampleConfig, references=("torch autograd", "the notes by hand"),
    # the network and its input are the notes' own; no dataset is loaded
    task="other", optional=("torch",), figures=(draw_worked_example,), primary_metric="L",
))


# ---------------------------------------------------------------------------- mlp / mlp-regressor


def _sklearn_mlp(kind: str, p: dict):
    from sklearn import neural_network

    cls = neural_network.MLPClassifier if kind == "classification" else neural_network.MLPRegressor
    activation = p.get("activation", "relu")
    batch_size = p.get("batch_size", 200)
    return cls(
        hidden_layer_sizes=tuple(int(h) for h in np.atleast_1d(p.get("hidden_layer_sizes", (100,)))),
        activation={"sigmoid": "logistic"}.get(activation, activation),
        solver="sgd" if p.get("optimizer", "adam") == "sgd" else "adam",
        alpha=p.get("weight_decay", 1e-4),
        batch_size=2**31 - 1 if batch_size == "full" else batch_size,  # clipped to n by sklearn
        learning_rate_init=p.get("learning_rate", 1e-3),
        momentum=p.get("momentum", 0.9), nesterovs_momentum=p.get("nesterov", False),
        max_iter=p.get("max_epochs", 200), tol=p.get("tol", 1e-4),
        n_iter_no_change=p.get("n_iter_no_change", 10), early_stopping=p.get("early_stopping", False),
        validation_fraction=p.get("validation_fraction", 0.1), shuffle=p.get("shuffle", True),
        random_state=p.get("random_state"),
    )


def run_mlp(ctx):
    """Ours against scikit-learn's MLP on one split; loss curves and what the network learned."""
    from ...base import ConvergenceWarning

    task = ctx.entry.task
    with warnings.catch_warnings():
        # the demo's short runs stop at max_epochs on purpose; the sklearn clipping notice is expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*batch_size.*clipped.*")
        warnings.filterwarnings("ignore", message=".*Stochastic Optimizer.*")
        record, fit = compare_on_split(ctx, _sklearn_mlp(task, ctx.params), preprocess="standardize")
    ours, ref = fit.ours, fit.reference
    record.comparison.update({
        "epochs_mlatlas": int(ours.n_iter_), "epochs_sklearn": int(ref.n_iter_),
        "final_training_loss_mlatlas": float(ours.loss_curve_[-1]),
        "final_training_loss_sklearn": float(ref.loss_curve_[-1]),
    })
    record.add("loss", mlatlas=ours.loss_curve_, sklearn=ref.loss_curve_)
    hidden = tuple(int(h) for h in np.atleast_1d(ctx.params.get("hidden_layer_sizes", (100,))))
    record.info.update(hidden=str(hidden), batch_size=str(ctx.params.get("batch_size", 200)),
                       score={"mlatlas": float(ours.score(fit.X_test, fit.y_test)),
                              "sklearn": float(ref.score(fit.X_test, fit.y_test))})
    if task == "regression":
        record.add("test", y=fit.y_test, mlatlas=fit.pred_ours, sklearn=fit.pred_reference)
        return record
    classes = ours.classes_
    if fit.X_test.shape[1] == 2:
        # the decision regions of both networks over all the points
        X = np.vstack([fit.X_train, fit.X_test])
        y = np.concatenate([fit.y_train, fit.y_test])
        xs, ys, points = decision_grid(X, resolution=120)
        record.add("grid", X=X, y=np.searchsorted(classes, y), xs=xs, ys=ys,
                   mlatlas=np.searchsorted(classes, ours.predict(points)).reshape(ys.size, xs.size),
                   sklearn=np.searchsorted(classes, ref.predict(points)).reshape(ys.size, xs.size))
        record.info["view"] = "regions"
    elif fit.X_test.shape[1] == 64:
        # digits: what 16 first-layer units respond to, as 8x8 images
        record.add("weights", first_layer=ours.coefs_[0][:, :16].T.reshape(-1, 8, 8))
        record.info["view"] = "digits"
    else:
        record.info["view"] = "confusion"
    return record


def _loss_panel(ax, record, t):
    ours, ref = record.array("loss.mlatlas"), record.array("loss.sklearn")
    ax.plot(np.arange(1, len(ours) + 1), ours, label="mlatlas")
    ax.plot(np.arange(1, len(ref) + 1), ref, "--", label="scikit-learn")
    ax.set_yscale("log")
    ax.set_xlabel(t("axis.epoch"))
    ax.set_ylabel(t("mlp.loss"))
    ax.set_title(t("mlp.loss_title", dataset=record.dataset, hidden=record.info["hidden"],
                   batch=record.info["batch_size"]), fontsize=9)
    ax.legend(fontsize=8)


def _confusion_panel(ax, matrix, classes, title, t, fontsize=8):
    ax.imshow(matrix, cmap="Blues")
    for (i, j), n in np.ndenumerate(matrix):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=fontsize)
    ax.set_xticks(np.arange(len(classes)), classes, fontsize=7)
    ax.set_yticks(np.arange(len(classes)), classes, fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(t("axis.predicted_class"))
    ax.set_ylabel(t("axis.true_class"))


def draw_mlp(record, lang):
    """Both loss curves; decision regions (2-D data), first-layer weights (digits) or confusion matrices."""
    t = translator(lang)
    score = record.info["score"]
    classes = record.info["classes"]
    fig, axes = plots.figure(1, 3, size=4.2)
    _loss_panel(axes[0, 0], record, t)
    view = record.info["view"]
    if view == "regions":
        names = [t("knn.class_name", name=c) for c in classes]
        for ax, key, name in ((axes[0, 1], "mlatlas", "mlatlas"), (axes[0, 2], "sklearn", "scikit-learn")):
            plots.class_regions(ax, record.array("grid.xs"), record.array("grid.ys"), record.array(f"grid.{key}"),
                                len(classes))
            plots.scatter_classes(ax, record.array("grid.X"), record.array("grid.y"), names, title=t("legend.class"))
            ax.set_title(t("mlp.regions_title", name=name, accuracy=score[key]), fontsize=9)
            ax.set_xlabel(t("axis.x1"))
            ax.set_ylabel(t("axis.x2"))
    elif view == "digits":
        weights = record.array("weights.first_layer")
        grid = np.full((4 * 9 - 1, 4 * 9 - 1), np.nan)
        for k, w in enumerate(weights):
            r, c = divmod(k, 4)
            grid[9 * r:9 * r + 8, 9 * c:9 * c + 8] = w / max(np.max(np.abs(w)), 1e-12)
        axes[0, 1].imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1)
        axes[0, 1].set_title(t("mlp.weights_title"), fontsize=9)
        axes[0, 1].axis("off")
        _confusion_panel(axes[0, 2], record.array("confusion.mlatlas"), classes,
                         t("mlp.confusion_digits", ours=score["mlatlas"], sklearn=score["sklearn"]), t, fontsize=6)
    else:
        for ax, key, name in ((axes[0, 1], "mlatlas", "mlatlas"), (axes[0, 2], "reference", "scikit-learn")):
            score_key = "mlatlas" if key == "mlatlas" else "sklearn"
            _confusion_panel(ax, record.array(f"confusion.{key}"), classes,
                             t("mlp.confusion", name=name, accuracy=score[score_key]), t)
    return plots.save(fig, record.figure_path("mlp", lang))


def draw_mlp_regressor(record, lang):
    """Both loss curves; predicted against observed on the test split."""
    t = translator(lang)
    score = record.info["score"]
    fig, axes = plots.figure(1, 2, size=4.4)
    _loss_panel(axes[0, 0], record, t)
    ax = axes[0, 1]
    y = record.array("test.y")
    ax.scatter(record.array("test.mlatlas"), y, s=12, alpha=0.7, label=f"mlatlas (R² {score['mlatlas']:.3f})")
    ax.scatter(record.array("test.sklearn"), y, s=12, alpha=0.5, marker="x",
               label=f"scikit-learn (R² {score['sklearn']:.3f})")
    lo, hi = float(np.min(y)), float(np.max(y))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel(t("axis.predicted"))
    ax.set_ylabel(t("axis.observed"))
    ax.set_title(t("mlp.test_set"), fontsize=9)
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path("mlp-regressor", lang))


register(Entry(
    name="mlp", family="nn",
    title="Multi-layer perceptron classifier (NumPy modules, hand-written backprop, Adam)",
    run=run_mlp, config="mlatlas.nn:MLPClassifier", references=("sklearn.neural_network.MLPClassifier",),
    dataset="digits", datasets=("digits", "iris", "wine", "breast_cancer", "moons"), task="classification",
    params={"hidden_layer_sizes": (100,), "learning_rate": 1e-3, "batch_size": 200, "max_epochs": 200},
    demo_params={"max_epochs": 40}, figures=(draw_mlp,), primary_metric="accuracy",
))

register(Entry(
    name="mlp-regressor", family="nn",
    title="Multi-layer perceptron regressor (NumPy modules, hand-written backprop, Adam)",
    run=run_mlp, config="mlatlas.nn:MLPRegressor", references=("sklearn.neural_network.MLPRegressor",),
    dataset="diabetes", datasets=("diabetes", "linear"), task="regression",
    params={"hidden_layer_sizes": (16,), "learning_rate": 1e-2, "batch_size": 32, "weight_decay": 10.0,
            "max_epochs": 300},
    demo_params={"max_epochs": 100}, figures=(draw_mlp_regressor,), primary_metric="r2",
))
