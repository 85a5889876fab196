"""Registry entries of the NumPy neural-net core: ``worked-example``, ``mlp``, ``mlp-regressor``, ``nn-concepts``.

worked-example
    The notes' two-layer network (notes 02, section 1.1): every forward value, every
    gradient and one gradient-descent step, computed with the ``mlatlas.nn`` modules,
    by PyTorch's autograd and by hand (the notes' numbers with the errata applied), one
    row per scalar.  Figure ``worked-example``: the network with its values before and
    after the step.
mlp / mlp-regressor
    :class:`~mlatlas.nn.MLPClassifier` / :class:`~mlatlas.nn.MLPRegressor` against
    scikit-learn's with the same architecture, optimizer, batch size and epochs.
    Figures: both loss curves; decision regions (2-D data), first-layer weights (digits)
    or confusion matrices; predicted against observed (regression).
nn-concepts
    Checks our norms, upsampling modes, transposed convolution and schedules against
    PyTorch (the table lists the largest absolute differences) and draws the concepts
    of notes 02: full-batch / mini-batch / stochastic loss curves, every learning-rate
    schedule, the axes each normalisation averages over, a transposed convolution step
    by step, and a digit upsampled four ways.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import plots
from ...base import ConvergenceWarning
from ...nn import schedules as sch
from ...nn.mlp import MLPClassifier, MLPRegressor
from ...nn.worked_example import NOTES_NETWORK, QUANTITIES, scalar_rows, torch_worked_example, worked_example
from ..registry import Entry, register
from ..runner import ModelRow, RunResult, standard_run


def _torch():
    try:
        import torch
    except ImportError:  # torch is an optional extra
        return None
    return torch


# ---------------------------------------------------------------------------
# worked-example
# ---------------------------------------------------------------------------

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


def _run_worked_example(entry: Entry, ctx) -> RunResult:
    eta = 0.1
    ours = worked_example(learning_rate=eta)
    rows = [ModelRow("mlatlas.nn", scalar_rows(ours))]
    comparison = {}
    torch = _torch()
    if torch is not None:
        ref = torch_worked_example(learning_rate=eta)
        rows.append(ModelRow("torch autograd", scalar_rows(ref)))
        comparison["max_abs_difference_vs_torch"] = max(float(np.max(np.abs(ours[k] - ref[k]))) for k in QUANTITIES)
    hand = scalar_rows({k: np.asarray(v) for k, v in HAND_VALUES.items()})
    rows.append(ModelRow("by hand (notes + errata)", hand))
    comparison["max_abs_difference_vs_hand"] = max(abs(v - hand[k]) for k, v in rows[0].metrics.items())
    ctx.extra["values"] = ours
    ctx.extra["learning_rate"] = eta
    details = {"network": {k: np.asarray(v).tolist() for k, v in NOTES_NETWORK.items()}, "learning_rate": eta,
               "torch_available": torch is not None}
    return RunResult(entry.name, "notes-02", {"learning_rate": eta}, ctx.seed, rows, comparison, details=details)


GRAD_COLOR = "#c0392b"


def _draw_network(ax, W1, b1, W2, b2, x, z1, a1, y_hat, loss, grads=None, title=""):
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

    for a, b, w, index, t in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.plot([xa, xb], [ya, yb], color="0.65", lw=1.2, zorder=1)
        g = None if grads is None else (grads["dL/dW1"] if a.startswith("x") else grads["dL/dW2"])[index]
        pair(xa + t * (xb - xa), ya + t * (yb - ya), f"w={w:.4g}", None if g is None else f"∂={g:.4g}")
    ax.plot([pos["out"][0], pos["loss"][0]], [0, 0], color="0.65", lw=1.2, zorder=1)

    def node(key, lines, grad_line, color):
        xx, yy = pos[key]
        ax.add_patch(plots.plt.Circle((xx, yy), 0.5, fc=color, ec="k", zorder=2))
        pair(xx, yy + (0.0 if grad_line else -0.15), "\n".join(lines), grad_line)

    for i in range(2):
        node(f"x{i}", [f"x{i + 1}", f"{x[i]:.4g}"], None, "#dbe9f6")
        node(f"h{i}", [f"z={z1[i]:.4g}", f"a={a1[i]:.4g}"],
             None if grads is None else f"∂z={grads['dL/dz1'][i]:.4g}", "#fde2c8" if a1[i] > 0 else "#eeeeee")
        offset = 0.75 if i == 0 else -0.95
        pair(pos[f"h{i}"][0], pos[f"h{i}"][1] + offset, f"b1[{i}]={b1[i]:.4g}",
             None if grads is None else f"∂={grads['dL/db1'][i]:.4g}")
    node("out", [f"ŷ={y_hat:.4g}"], None if grads is None else f"∂={grads['dL/dy_hat']:.4g}", "#d5f0d5")
    pair(pos["out"][0], -0.95, f"b2={b2:.4g}", None if grads is None else f"∂={grads['dL/db2']:.4g}")
    node("loss", ["L", f"{loss:.4g}"], None, "#f6d5d5")
    ax.text(pos["loss"][0], -0.75, "½(ŷ − y)², y = 1", ha="center", va="center", fontsize=7, color="0.25")
    ax.set_xlim(-0.7, 7.3)
    ax.set_ylim(-2.3, 2.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def _fig_worked_example(ctx):
    v = ctx.extra.get("values") or worked_example()
    eta = ctx.extra.get("learning_rate", 0.1)
    net = {k: np.asarray(val, dtype=float) for k, val in NOTES_NETWORK.items()}
    fig, axes = plots.figure(1, 2, size=5.6)
    _draw_network(axes[0, 0], net["W1"], net["b1"], net["W2"], float(net["b2"]), net["x"], v["z1"], v["a1"],
                  float(v["y_hat"]), float(v["L"]), grads=v,
                  title="forward values (black) and gradients ∂L/∂· (red)")
    _draw_network(axes[0, 1], v["W1_new"], v["b1_new"], v["W2_new"], float(v["b2_new"]), net["x"], v["z1_new"],
                  v["a1_new"], float(v["y_hat_new"]), float(v["L_new"]),
                  title=f"after one step θ ← θ − {eta:g}·∂L/∂θ: "
                        f"L {float(v['L']):.4f} → {float(v['L_new']):.4f}")
    return plots.save(fig, ctx.path("worked-example"))


register(Entry(
    name="worked-example", family="nn",
    title="The notes' 2-layer ReLU network: forward, backward and one gradient step, every value",
    estimator=None, reference=None, reference_name="torch autograd",
    # the network and its input are the notes' own; no dataset is loaded
    dataset="", datasets=(), task="other", primary_metric="L",
    figures=(_fig_worked_example,), runner=_run_worked_example,
))


# ---------------------------------------------------------------------------
# mlp / mlp-regressor
# ---------------------------------------------------------------------------


def _sklearn_mlp(kind: str):
    def make(p: dict):
        from sklearn import neural_network

        cls = neural_network.MLPClassifier if kind == "classifier" else neural_network.MLPRegressor
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
    return make


def _run_mlp(entry: Entry, ctx) -> RunResult:
    with warnings.catch_warnings():
        # the demo's short runs stop at max_epochs on purpose; the sklearn clipping notice is expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*batch_size.*clipped.*")
        result = standard_run(entry, ctx.dataset, ctx.params, ctx.seed, ctx)
    ours, ref = ctx.ours, ctx.reference
    result.comparison["epochs (mlatlas, sklearn)"] = f"{ours.n_iter_}, {ref.n_iter_}"
    result.comparison["final training loss (mlatlas, sklearn)"] = \
        f"{ours.loss_curve_[-1]:.4g}, {ref.loss_curve_[-1]:.4g}"
    result.details["loss_curve_mlatlas"] = list(map(float, ours.loss_curve_))
    result.details["loss_curve_sklearn"] = list(map(float, ref.loss_curve_))
    return result


def _loss_panel(ax, ctx):
    ours, ref = ctx.ours, ctx.reference
    ax.plot(np.arange(1, len(ours.loss_curve_) + 1), ours.loss_curve_, label="mlatlas")
    ax.plot(np.arange(1, len(ref.loss_curve_) + 1), ref.loss_curve_, "--", label="scikit-learn")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (data + L2 term)")
    hidden = tuple(int(h) for h in np.atleast_1d(ctx.params.get("hidden_layer_sizes", (100,))))
    ax.set_title(f"{ctx.dataset.name}: hidden {hidden}, "
                 f"batch {ctx.params.get('batch_size', 200)}", fontsize=9)
    ax.legend(fontsize=8)


def _fig_mlp(ctx):
    from sklearn.metrics import confusion_matrix

    ours, ref = ctx.ours, ctx.reference
    fig, axes = plots.figure(1, 3, size=4.2)
    _loss_panel(axes[0, 0], ctx)
    X, y = ctx.X_test, ctx.y_test
    if X.shape[1] == 2:
        Xy = np.vstack([ctx.X_train, X]), np.concatenate([ctx.y_train, y])
        plots.plot_decision_boundary(axes[0, 1], ours, *Xy, title=f"mlatlas (test acc {ours.score(X, y):.3f})",
                                     resolution=120)
        plots.plot_decision_boundary(axes[0, 2], ref, *Xy, title=f"scikit-learn (test acc {ref.score(X, y):.3f})",
                                     resolution=120)
    elif X.shape[1] == 64:
        # digits: what 16 first-layer units respond to, drawn as 8x8 images
        W = ours.coefs_[0][:, :16].T.reshape(-1, 8, 8)
        grid = np.ones((4 * 9 - 1, 4 * 9 - 1)) * np.nan
        for k, w in enumerate(W):
            r, c = divmod(k, 4)
            grid[9 * r:9 * r + 8, 9 * c:9 * c + 8] = w / max(np.max(np.abs(w)), 1e-12)
        axes[0, 1].imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1)
        axes[0, 1].set_title("first-layer weights of 16 hidden units", fontsize=9)
        axes[0, 1].axis("off")
        cm = confusion_matrix(y, ours.predict(X), labels=ours.classes_)
        axes[0, 2].imshow(cm, cmap="Blues")
        for (i, j), n in np.ndenumerate(cm):
            if n:
                axes[0, 2].text(j, i, str(n), ha="center", va="center", fontsize=6)
        axes[0, 2].set_title(f"mlatlas test confusion (acc {ours.score(X, y):.3f}; "
                             f"sklearn {ref.score(X, y):.3f})", fontsize=9)
        axes[0, 2].set_xlabel("predicted")
        axes[0, 2].set_ylabel("true")
    else:
        for ax, model, name in ((axes[0, 1], ours, "mlatlas"), (axes[0, 2], ref, "scikit-learn")):
            cm = confusion_matrix(y, model.predict(X), labels=ours.classes_)
            ax.imshow(cm, cmap="Blues")
            for (i, j), n in np.ndenumerate(cm):
                ax.text(j, i, str(n), ha="center", va="center", fontsize=8)
            ax.set_title(f"{name} test confusion (acc {model.score(X, y):.3f})", fontsize=9)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
    return plots.save(fig, ctx.path("mlp"))


def _fig_mlp_regressor(ctx):
    ours, ref = ctx.ours, ctx.reference
    fig, axes = plots.figure(1, 2, size=4.4)
    _loss_panel(axes[0, 0], ctx)
    ax = axes[0, 1]
    X, y = ctx.X_test, ctx.y_test
    ax.scatter(ours.predict(X), y, s=12, alpha=0.7, label=f"mlatlas (R² {ours.score(X, y):.3f})")
    ax.scatter(ref.predict(X), y, s=12, alpha=0.5, marker="x", label=f"scikit-learn (R² {ref.score(X, y):.3f})")
    lo, hi = float(np.min(y)), float(np.max(y))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("predicted")
    ax.set_ylabel("observed")
    ax.set_title("test set", fontsize=9)
    ax.legend(fontsize=8)
    return plots.save(fig, ctx.path("mlp-regressor"))


register(Entry(
    name="mlp", family="nn",
    title="Multi-layer perceptron classifier (NumPy modules, hand-written backprop, Adam)",
    estimator=MLPClassifier, reference=_sklearn_mlp("classifier"),
    reference_name="sklearn.neural_network.MLPClassifier",
    dataset="digits", datasets=("digits", "iris", "wine", "breast_cancer", "moons"), task="classification",
    params={"hidden_layer_sizes": (100,), "learning_rate": 1e-3, "batch_size": 200, "max_epochs": 200},
    demo_params={"max_epochs": 40},
    preprocess="standardize", figures=(_fig_mlp,), runner=_run_mlp,
))

register(Entry(
    name="mlp-regressor", family="nn",
    title="Multi-layer perceptron regressor (NumPy modules, hand-written backprop, Adam)",
    estimator=MLPRegressor, reference=_sklearn_mlp("regressor"),
    reference_name="sklearn.neural_network.MLPRegressor",
    dataset="diabetes", datasets=("diabetes", "linear"), task="regression",
    params={"hidden_layer_sizes": (16,), "learning_rate": 1e-2, "batch_size": 32, "weight_decay": 10.0,
            "max_epochs": 300},
    demo_params={"max_epochs": 100},
    preprocess="standardize", figures=(_fig_mlp_regressor,), runner=_run_mlp,
))


# ---------------------------------------------------------------------------
# nn-concepts: checks against PyTorch and the figures of notes 02
# ---------------------------------------------------------------------------

N_STEPS = 100
BASE_LR = 0.1
#: A made-up validation loss for ReduceLROnPlateau: it falls, then stalls around 0.3.
PLATEAU_LOSS = [max(1.0 / (1.0 + t / 8.0), 0.3) + 0.002 * ((t * 7) % 3) for t in range(N_STEPS)]


def _schedule_specs():
    """``(title, build(optimizer, module) -> schedule)`` for every schedule in mlatlas.nn.schedules.

    ``module`` is :mod:`mlatlas.nn.schedules` or ``torch.optim.lr_scheduler``: both take
    the same constructor arguments.
    """
    return [
        ("StepLR(step_size=30, γ=0.5)", lambda o, m: m.StepLR(o, step_size=30, gamma=0.5)),
        ("MultiStepLR([30, 60, 80], γ=0.5)", lambda o, m: m.MultiStepLR(o, milestones=[30, 60, 80], gamma=0.5)),
        ("ExponentialLR(γ=0.97)", lambda o, m: m.ExponentialLR(o, gamma=0.97)),
        ("ConstantLR(0.5, 20 steps)", lambda o, m: m.ConstantLR(o, factor=0.5, total_iters=20)),
        ("LinearLR(0.1 → 1, 25 steps)", lambda o, m: m.LinearLR(o, start_factor=0.1, total_iters=25)),
        ("CosineAnnealingLR(T_max=100)", lambda o, m: m.CosineAnnealingLR(o, T_max=N_STEPS)),
        ("CosineAnnealingWarmRestarts(10, ×2)", lambda o, m: m.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2)),
        ("OneCycleLR(max_lr=0.1)", lambda o, m: m.OneCycleLR(o, max_lr=BASE_LR, total_steps=N_STEPS)),
        ("ReduceLROnPlateau(0.5, patience 5)", lambda o, m: m.ReduceLROnPlateau(o, factor=0.5, patience=5)),
        ("SequentialLR: warm-up then cosine", lambda o, m: m.SequentialLR(
            o, [m.LinearLR(o, start_factor=0.1, total_iters=10), m.CosineAnnealingLR(o, T_max=N_STEPS - 10)],
            milestones=[10])),
    ]


def _lr_trace(build, module, make_optimizer) -> np.ndarray:
    """The learning rate in force at each of N_STEPS optimizer steps."""
    opt = make_optimizer()
    schedule = build(opt, module)
    on_plateau = type(schedule).__name__ == "ReduceLROnPlateau"
    rates = []
    for t in range(N_STEPS):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        if t == N_STEPS - 1:
            break
        if on_plateau:
            schedule.step(PLATEAU_LOSS[t])
        else:
            schedule.step()
    return np.asarray(rates)


def _all_lr_traces(torch) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    from ...nn import SGD, Parameter

    traces = []
    for title, build in _schedule_specs():
        ours = _lr_trace(build, sch, lambda: SGD([Parameter(np.zeros(1))], lr=BASE_LR, momentum=0.9))
        ref = None
        if torch is not None:
            ref = _lr_trace(build, torch.optim.lr_scheduler,
                            lambda: torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR, momentum=0.9))
        traces.append((title, ours, ref))
    return traces


def _bilinear_kernel(factor: int) -> np.ndarray:
    """The (2f - f%2) square kernel with which a stride-f transposed convolution interpolates bilinearly."""
    size = 2 * factor - factor % 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    # w[a, b] = (1 - |a - c| / f) (1 - |b - c| / f)
    ramp = 1 - np.abs(np.arange(size) - center) / factor
    return np.outer(ramp, ramp)


def _digit(ctx) -> np.ndarray:
    images, y = ctx.dataset.images, ctx.dataset.y
    if images is None:
        return np.arange(64.0).reshape(8, 8) / 63
    index = int(np.flatnonzero(y == 3)[0]) if np.any(y == 3) else 0
    image = np.asarray(images[index], dtype=np.float64)
    return image / max(float(image.max()), 1e-12)  # intensities in [0, 1]


def _upsampled(image: np.ndarray, factor: int = 4) -> dict[str, np.ndarray]:
    from ...nn import ConvTranspose2d, Upsample

    x = image[None, None]  # (1, 1, 8, 8)
    out = {mode: Upsample(scale_factor=factor, mode=mode, align_corners=None if mode == "nearest" else False)(x)[0, 0]
           for mode in ("nearest", "bilinear", "bicubic")}
    kernel = _bilinear_kernel(factor)
    up = ConvTranspose2d(1, 1, kernel.shape[0], stride=factor, padding=(kernel.shape[0] - factor) // 2, bias=False)
    up.weight.data[0, 0] = kernel
    out["transposed conv"] = up(x)[0, 0]
    return out


#: The transposed-convolution example: a 2x2 input, a 2x2 kernel, stride 1 -> 3x3.
TCONV_X = np.array([[1.0, 2.0], [3.0, 4.0]])
TCONV_K = np.array([[1.0, 2.0], [0.0, 1.0]])


def _norm_modules():
    from ...nn import BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm

    return {"BatchNorm2d": BatchNorm2d(6), "LayerNorm": LayerNorm([6, 5, 4]),
            "InstanceNorm2d": InstanceNorm2d(6), "GroupNorm": GroupNorm(2, 6)}


def _run_concepts(entry: Entry, ctx) -> RunResult:
    """Our norms, upsampling modes, transposed convolution and schedules against PyTorch (float64)."""
    from ...nn.conv import conv_transpose2d

    torch = _torch()
    rng = np.random.default_rng(ctx.seed)
    diffs: dict[str, float] = {}
    own: dict[str, float] = {}
    # transposed convolution: the stamping picture equals the library op
    stamped = np.zeros((3, 3))
    for (i, j), value in np.ndenumerate(TCONV_X):
        stamped[i:i + 2, j:j + 2] += value * TCONV_K
    ours_tconv = conv_transpose2d(TCONV_X[None, None], TCONV_K[None, None])[0, 0]
    own["tconv stamping vs conv_transpose2d"] = float(np.max(np.abs(stamped - ours_tconv)))
    x = rng.standard_normal((4, 6, 5, 4))
    g = rng.standard_normal(x.shape)
    norm_out = {}
    for name, module in _norm_modules().items():
        norm_out[name] = (module(x), module.backward(g))
    image = _digit(ctx)
    ups = _upsampled(image)
    traces = _all_lr_traces(torch)
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)
        references = {"BatchNorm2d": torch.nn.BatchNorm2d(6).double(),
                      "LayerNorm": torch.nn.LayerNorm([6, 5, 4]).double(),
                      "InstanceNorm2d": torch.nn.InstanceNorm2d(6).double(),
                      "GroupNorm": torch.nn.GroupNorm(2, 6).double()}
        for name, module in references.items():
            tx.grad = None
            y = module(tx)
            y.backward(torch.tensor(g))
            diffs[f"{name} forward"] = float(np.max(np.abs(norm_out[name][0] - y.detach().numpy())))
            diffs[f"{name} input grad"] = float(np.max(np.abs(norm_out[name][1] - tx.grad.numpy())))
        timg = torch.tensor(image[None, None])
        F = torch.nn.functional
        for mode in ("nearest", "bilinear", "bicubic"):
            ref = F.interpolate(timg, scale_factor=4, mode=mode, align_corners=None if mode == "nearest" else False)
            diffs[f"Upsample {mode} x4"] = float(np.max(np.abs(ups[mode] - ref[0, 0].numpy())))
        kernel = torch.tensor(_bilinear_kernel(4)[None, None])
        ref = F.conv_transpose2d(timg, kernel, stride=4, padding=2)
        diffs["ConvTranspose2d bilinear x4"] = float(np.max(np.abs(ups["transposed conv"] - ref[0, 0].numpy())))
        ref = F.conv_transpose2d(torch.tensor(TCONV_X[None, None]), torch.tensor(TCONV_K[None, None]))
        diffs["ConvTranspose2d 2x2 example"] = float(np.max(np.abs(ours_tconv - ref[0, 0].numpy())))
        for title, ours_lr, ref_lr in traces:
            diffs[f"lr: {title.split('(')[0].split(':')[0]}"] = float(np.max(np.abs(ours_lr - ref_lr)))
    metrics = dict(own)
    metrics.update(diffs)
    metrics["max_abs_difference"] = max(metrics.values())
    ctx.extra.update(norm_out=norm_out, x_norm=x, upsampled=ups, image=image, traces=traces, tconv=ours_tconv)
    rows = [ModelRow("max |mlatlas - torch|" if torch is not None else "mlatlas self-checks", metrics)]
    return RunResult(entry.name, ctx.dataset.name, ctx.params, ctx.seed, rows,
                     {"torch_available": torch is not None}, details={"n_schedule_steps": N_STEPS})


def _fig_batch_modes(ctx):
    """Full-batch, mini-batch and stochastic training of the same network on 200 digits."""
    from sklearn.preprocessing import StandardScaler

    X = StandardScaler().fit_transform(ctx.dataset.X[:200])
    y = ctx.dataset.y[:200]
    modes = [("full batch (1 step / epoch)", "full"), ("mini-batch 32 (7 steps / epoch)", 32),
             ("stochastic, batch 1 (200 steps / epoch)", 1)]
    epochs = 12
    fig, axes = plots.figure(1, 2, size=4.6)
    for label, batch_size in modes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = MLPClassifier((32,), batch_size=batch_size, learning_rate=1e-3, max_epochs=epochs,
                                  n_iter_no_change=epochs, weight_decay=0.0, random_state=ctx.seed).fit(X, y)
        loss = model.history_.column("loss")
        steps = np.arange(1, len(loss) + 1) * -(-X.shape[0] // (X.shape[0] if batch_size == "full" else batch_size))
        axes[0, 0].plot(np.arange(1, len(loss) + 1), loss, marker=".", label=label)
        axes[0, 1].plot(steps, loss, marker=".", label=label)
    axes[0, 0].set_xlabel("epoch (passes over the 200 samples)")
    axes[0, 1].set_xlabel("parameter updates")
    axes[0, 1].set_xscale("log")
    for ax in axes[0]:
        ax.set_ylabel("mean training loss over the epoch")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
    axes[0, 0].set_title("Adam, lr 1e-3: per epoch, smaller batches learn faster", fontsize=9)
    axes[0, 1].set_title("the same epochs against the number of parameter updates", fontsize=9)
    return plots.save(fig, ctx.path("batch-modes"))


def _fig_schedules(ctx):
    traces = ctx.extra.get("traces") or _all_lr_traces(_torch())
    fig, axes = plots.figure(2, 5, size=3.0)
    for ax, (title, ours, ref) in zip(axes.ravel(), traces):
        ax.plot(np.arange(N_STEPS), ours, lw=1.6, label="mlatlas")
        if ref is not None:
            ax.plot(np.arange(N_STEPS)[::4], ref[::4], "o", ms=2.5, color="C3", label="torch")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("step", fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0, 0].set_ylabel("learning rate", fontsize=7)
    axes[1, 0].set_ylabel("learning rate", fontsize=7)
    axes[0, 0].legend(fontsize=6)
    return plots.save(fig, ctx.path("schedules"))


def _fig_norm_axes(ctx):
    """The (N, C, H*W) block; shaded: the values one mean/variance is computed over."""
    N, C, HW = 4, 6, 5
    specs = [("BatchNorm: per channel,\nover (N, H, W)", lambda n, c, s: c == 1),
             ("LayerNorm: per sample,\nover (C, H, W)", lambda n, c, s: n == 1),
             ("InstanceNorm: per sample and channel,\nover (H, W)", lambda n, c, s: (n == 1) & (c == 1)),
             ("GroupNorm (2 groups): per sample and\ngroup of 3 channels, over (C/G, H, W)",
              lambda n, c, s: (n == 1) & (c < 3))]
    norm_out = ctx.extra.get("norm_out")
    axes_of = {0: (0, 2, 3), 1: (1, 2, 3), 2: (2, 3), 3: None}
    fig = plots.plt.figure(figsize=(16, 5.0))
    n, c, s = np.indices((N, C, HW))
    for k, (title, rule) in enumerate(specs):
        ax = fig.add_subplot(1, 4, k + 1, projection="3d")
        shaded = rule(n, c, s)
        # the shaded voxels solid, the rest of the block as faint ghosts
        ax.voxels(~shaded, facecolors="#d9d9d922", edgecolor="#9a9a9a44", linewidth=0.3)
        ax.voxels(shaded, facecolors="#3b7dd8", edgecolor="#1b3d6b", linewidth=0.4)
        ax.set_xlabel("N (samples)", fontsize=7, labelpad=-8)
        ax.set_ylabel("C (channels)", fontsize=7, labelpad=-8)
        ax.set_zlabel("H·W (positions)", fontsize=7, labelpad=-8)
        ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
        ax.view_init(elev=22, azim=-58)
        ax.set_box_aspect((N, C, HW))
        subtitle = ""
        if norm_out is not None:
            # our module's output has mean 0 over exactly these axes, for every slice
            name = ["BatchNorm2d", "LayerNorm", "InstanceNorm2d", "GroupNorm"][k]
            y = norm_out[name][0]
            means = (y.reshape(4, 2, -1).mean(axis=2) if k == 3 else y.mean(axis=axes_of[k]))
            subtitle = f"\nmlatlas {name}: max |mean| over them {np.max(np.abs(means)):.0e}"
        ax.set_title(title + subtitle, fontsize=8)
    return plots.save(fig, ctx.path("norm-axes"))


def _fig_transposed_conv(ctx):
    """Each input value scales the kernel and adds it into its output window; the sum is the output."""
    fig, axes = plots.figure(1, 6, size=2.6)
    out = np.zeros((3, 3))
    ax = axes[0, 0]
    _grid(ax, np.pad(TCONV_X, ((0, 1), (0, 1)), constant_values=np.nan), "input X (2x2)   kernel K\n"
          f"K = {TCONV_K.astype(int).tolist()}", cmap="Greens")
    for k, ((i, j), value) in enumerate(np.ndenumerate(TCONV_X)):
        stamp = np.full((3, 3), np.nan)
        stamp[i:i + 2, j:j + 2] = value * TCONV_K
        out[i:i + 2, j:j + 2] += value * TCONV_K
        _grid(axes[0, k + 1], stamp, f"X[{i},{j}]={value:g} · K → window ({i}:{i + 2}, {j}:{j + 2})")
    tconv = ctx.extra.get("tconv")
    check = "" if tconv is None else f"\n= conv_transpose2d(X, K) (max diff {np.max(np.abs(tconv - out)):.0e})"
    _grid(axes[0, 5], out, "output (3x3): sum of the stamps" + check, cmap="Oranges")
    return plots.save(fig, ctx.path("transposed-conv"))


def _grid(ax, values, title, cmap="Blues"):
    shown = np.ma.masked_invalid(values)
    ax.imshow(shown, cmap=cmap, vmin=min(0.0, float(np.nanmin(values))), vmax=float(np.nanmax(values)) * 1.3)
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=10)
    ax.set_xticks(np.arange(-0.5, values.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, values.shape[0]), minor=True)
    ax.grid(which="minor", color="k", lw=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=7)


def _fig_upsampling(ctx):
    image = ctx.extra.get("image")
    ups = ctx.extra.get("upsampled")
    if image is None:
        image = _digit(ctx)
        ups = _upsampled(image)
    fig, axes = plots.figure(1, 5, size=3.0)
    axes[0, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
    axes[0, 0].set_title("digit, 8x8", fontsize=9)
    titles = {"nearest": "nearest: copy the closest pixel", "bilinear": "bilinear: 2x2 weighted mean",
              "bicubic": "bicubic: 4x4 cubic weights\n(can overshoot [0, 1])",
              "transposed conv": "transposed conv, stride 4,\nbilinear 8x8 kernel (zero-padded edges)"}
    for ax, (mode, values) in zip(axes[0, 1:], ups.items()):
        ax.imshow(values, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{titles[mode]}, {values.shape[0]}x{values.shape[1]}", fontsize=8)
    for ax in axes[0]:
        ax.axis("off")
    return plots.save(fig, ctx.path("upsampling"))


register(Entry(
    name="nn-concepts", family="nn",
    title="Notes 02 concepts: batch sizes, schedules, norm axes, transposed conv, upsampling (checked vs PyTorch)",
    estimator=None, reference=None, reference_name="torch (norms, interpolate, conv_transpose2d, lr_scheduler)",
    dataset="digits", datasets=("digits",), task="other", primary_metric="max_abs_difference",
    figures=(_fig_batch_modes, _fig_schedules, _fig_norm_axes, _fig_transposed_conv, _fig_upsampling),
    runner=_run_concepts,
))
