"""Registry entry ``nn-concepts`` of the NumPy neural-net core.

nn-concepts
    Checks our norms, upsampling modes, transposed convolution and schedules against
    PyTorch (the table lists the largest absolute differences) and records the concepts
    of notes 02: full-batch / mini-batch / stochastic loss curves (``batch_modes.*``),
    every learning-rate schedule (``schedules.*``), the norms' means over their axes,
    a transposed convolution step by step (``tconv.*``), and a digit upsampled four
    ways (``upsampling.*``).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..strings import translator
from .nn import _torch

# ---------------------------------------------------------------------------- nn-concepts

N_STEPS = 100
BASE_LR = 0.1
#: A made-up validation loss for ReduceLROnPlateau: it falls, then stalls around 0.3.
PLATEAU_LOSS = [max(1.0 / (1.0 + t / 8.0), 0.3) + 0.002 * ((t * 7) % 3) for t in range(N_STEPS)]
#: The transposed-convolution example: a 2x2 input, a 2x2 kernel, stride 1 -> 3x3.
TCONV_X = np.array([[1.0, 2.0], [3.0, 4.0]])
TCONV_K = np.array([[1.0, 2.0], [0.0, 1.0]])
_NORMS = ("BatchNorm2d", "LayerNorm", "InstanceNorm2d", "GroupNorm")
_BATCH_MODES = (("full", "full"), ("minibatch", 32), ("stochastic", 1))
_UPSAMPLING = ("nearest", "bilinear", "bicubic", "transposed")


@dataclass
class ConceptsConfig:
    """Settings of the ``nn-concepts`` run.

    Attributes
    ----------
    epochs : int
        Training epochs of each batch-size mode.
    n_samples : int
        Digits the batch-size modes train on.
    """

    epochs: int = 12
    n_samples: int = 200


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


def _bilinear_kernel(factor: int) -> np.ndarray:
    """The (2f - f%2) square kernel with which a stride-f transposed convolution interpolates bilinearly."""
    size = 2 * factor - factor % 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    # w[a, b] = (1 - |a - c| / f) (1 - |b - c| / f)
    ramp = 1 - np.abs(np.arange(size) - center) / factor
    return np.outer(ramp, ramp)


def _digit(data) -> np.ndarray:
    images, y = data.images, data.y
    if images is None:
        return np.arange(64.0).reshape(8, 8) / 63
    index = int(np.flatnonzero(y == 3)[0]) if np.any(y == 3) else 0
    image = np.asarray(images[index], dtype=np.float64)
    return image / max(float(image.max()), 1e-12)  # intensities in [0, 1]


def run_concepts(ctx):
    """Our norms, upsampling modes, transposed convolution and schedules against PyTorch (float64)."""
    from sklearn.preprocessing import StandardScaler

    from ...base import ConvergenceWarning
    from ...nn import (SGD, BatchNorm2d, ConvTranspose2d, GroupNorm, InstanceNorm2d, LayerNorm, MLPClassifier,
                       Parameter, Upsample)
    from ...nn import schedules as sch
    from ...nn.conv import conv_transpose2d

    config = ctx.config
    torch = _torch()
    rng = np.random.default_rng(ctx.seed)
    diffs: dict[str, float] = {}
    own: dict[str, float] = {}

    # transposed convolution: each input value stamps value * K into its output window
    stamps = np.full((TCONV_X.size, 3, 3), np.nan)
    stamped = np.zeros((3, 3))
    for k, ((i, j), value) in enumerate(np.ndenumerate(TCONV_X)):
        stamps[k, i:i + 2, j:j + 2] = value * TCONV_K
        stamped[i:i + 2, j:j + 2] += value * TCONV_K
    ours_tconv = conv_transpose2d(TCONV_X[None, None], TCONV_K[None, None])[0, 0]
    own["tconv stamping vs conv_transpose2d"] = float(np.max(np.abs(stamped - ours_tconv)))

    # norms: our output has mean 0 over exactly the axes each one normalises
    x = rng.standard_normal((4, 6, 5, 4))
    g = rng.standard_normal(x.shape)
    modules = {"BatchNorm2d": BatchNorm2d(6), "LayerNorm": LayerNorm([6, 5, 4]),
               "InstanceNorm2d": InstanceNorm2d(6), "GroupNorm": GroupNorm(2, 6)}
    norm_out = {name: (module(x), module.backward(g)) for name, module in modules.items()}
    axes_of = {"BatchNorm2d": (0, 2, 3), "LayerNorm": (1, 2, 3), "InstanceNorm2d": (2, 3)}
    norm_means = {}
    for name, (y, _) in norm_out.items():
        means = y.reshape(4, 2, -1).mean(axis=2) if name == "GroupNorm" else y.mean(axis=axes_of[name])
        norm_means[name] = float(np.max(np.abs(means)))

    # a digit upsampled four ways
    image = _digit(ctx.data)
    ups = {mode: Upsample(scale_factor=4, mode=mode, align_corners=None if mode == "nearest" else False)(
        image[None, None])[0, 0] for mode in ("nearest", "bilinear", "bicubic")}
    kernel = _bilinear_kernel(4)
    up = ConvTranspose2d(1, 1, kernel.shape[0], stride=4, padding=(kernel.shape[0] - 4) // 2, bias=False)
    up.weight.data[0, 0] = kernel
    ups["transposed"] = up(image[None, None])[0, 0]

    # every schedule, ours and torch's
    specs = _schedule_specs()
    traces = []
    for title, build in specs:
        ours_lr = _lr_trace(build, sch, lambda: SGD([Parameter(np.zeros(1))], lr=BASE_LR, momentum=0.9))
        ref_lr = None
        if torch is not None:
            ref_lr = _lr_trace(build, torch.optim.lr_scheduler,
                               lambda: torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR,
                                                       momentum=0.9))
        traces.append((title, ours_lr, ref_lr))

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
        ref = F.conv_transpose2d(timg, torch.tensor(kernel[None, None]), stride=4, padding=2)
        diffs["ConvTranspose2d bilinear x4"] = float(np.max(np.abs(ups["transposed"] - ref[0, 0].numpy())))
        ref = F.conv_transpose2d(torch.tensor(TCONV_X[None, None]), torch.tensor(TCONV_K[None, None]))
        diffs["ConvTranspose2d 2x2 example"] = float(np.max(np.abs(ours_tconv - ref[0, 0].numpy())))
        for title, ours_lr, ref_lr in traces:
            diffs[f"lr: {title.split('(')[0].split(':')[0]}"] = float(np.max(np.abs(ours_lr - ref_lr)))
    metrics = {**own, **diffs}
    metrics["max_abs_difference"] = max(metrics.values())
    rows = [ModelRow("max |mlatlas - torch|" if torch is not None else "mlatlas self-checks", metrics)]
    record = ctx.record(rows, params=asdict(config), comparison={"torch_available": torch is not None})

    # full-batch, mini-batch and stochastic training of the same network on the first digits
    X = StandardScaler().fit_transform(ctx.data.X[:config.n_samples])
    y = ctx.data.y[:config.n_samples]
    for key, batch_size in _BATCH_MODES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = MLPClassifier((32,), batch_size=batch_size, learning_rate=1e-3, max_epochs=config.epochs,
                                  n_iter_no_change=config.epochs, weight_decay=0.0, random_state=ctx.seed).fit(X, y)
        loss = model.history_.column("loss")
        # parameter updates per epoch = ceil(n / batch size)
        per_epoch = -(-X.shape[0] // (X.shape[0] if batch_size == "full" else batch_size))
        record.add(f"batch_modes.{key}", loss=loss, updates=np.arange(1, len(loss) + 1) * per_epoch)
    record.info["batch_modes"] = {"n": int(X.shape[0]),
                                  "steps_per_epoch": {key: int(record.arrays[f"batch_modes.{key}.updates"][0])
                                                      for key, _ in _BATCH_MODES}}
    for i, (_, ours_lr, ref_lr) in enumerate(traces):
        record.add(f"schedules.{i}", mlatlas=ours_lr)
        if ref_lr is not None:
            record.add(f"schedules.{i}", torch=ref_lr)
    record.info["schedules"] = [title for title, _ in specs]
    record.info["norm_max_mean"] = norm_means
    record.add("tconv", x=TCONV_X, kernel=TCONV_K, stamps=stamps, output=stamped, library=ours_tconv)
    record.add("upsampling", image=image, **ups)
    return record


def draw_batch_modes(record, lang):
    """Full-batch, mini-batch and stochastic training of the same network."""
    t = translator(lang)
    info = record.info["batch_modes"]
    fig, axes = plots.figure(1, 2, size=4.6)
    for key, _ in _BATCH_MODES:
        loss = record.array(f"batch_modes.{key}.loss")
        label = t(f"concepts.mode_{key}", steps=info["steps_per_epoch"][key])
        axes[0, 0].plot(np.arange(1, len(loss) + 1), loss, marker=".", label=label)
        axes[0, 1].plot(record.array(f"batch_modes.{key}.updates"), loss, marker=".", label=label)
    axes[0, 0].set_xlabel(t("concepts.epoch_axis", n=info["n"]))
    axes[0, 1].set_xlabel(t("concepts.updates"))
    axes[0, 1].set_xscale("log")
    for ax in axes[0]:
        ax.set_ylabel(t("concepts.mean_loss"))
        ax.set_yscale("log")
        ax.legend(fontsize=7)
    axes[0, 0].set_title(t("concepts.batch_title"), fontsize=9)
    axes[0, 1].set_title(t("concepts.updates_title"), fontsize=9)
    return plots.save(fig, record.figure_path("batch-modes", lang))


def draw_schedules(record, lang):
    """Every learning-rate schedule over 100 steps, ours (line) and torch's (dots)."""
    t = translator(lang)
    fig, axes = plots.figure(2, 5, size=3.0)
    steps = np.arange(N_STEPS)
    for i, (ax, title) in enumerate(zip(axes.ravel(), record.info["schedules"])):
        ax.plot(steps, record.array(f"schedules.{i}.mlatlas"), lw=1.6, label="mlatlas")
        if f"schedules.{i}.torch" in record.arrays:
            ax.plot(steps[::4], record.array(f"schedules.{i}.torch")[::4], "o", ms=2.5, color="C3", label="torch")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(t("concepts.step"), fontsize=7)
        ax.set_ylabel(t("concepts.learning_rate"), fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0, 0].legend(fontsize=6)
    return plots.save(fig, record.figure_path("schedules", lang))


def draw_norm_axes(record, lang):
    """The (N, C, H*W) block; shaded: the values one mean/variance is computed over."""
    t = translator(lang)
    N, C, HW = 4, 6, 5
    rules = {"BatchNorm2d": lambda n, c, s: c == 1, "LayerNorm": lambda n, c, s: n == 1,
             "InstanceNorm2d": lambda n, c, s: (n == 1) & (c == 1), "GroupNorm": lambda n, c, s: (n == 1) & (c < 3)}
    fig = plots.plt.figure(figsize=(16, 5.0))
    n, c, s = np.indices((N, C, HW))
    block = np.indices((2, 2, 2)) * np.array([N, C, HW])[:, None, None, None]  # the block's corners
    for k, name in enumerate(_NORMS):
        ax = fig.add_subplot(1, 4, k + 1, projection="3d")
        shaded = rules[name](n, c, s)
        # the shaded voxels solid inside the whole block, drawn as one faint box
        ax.voxels(*block, np.ones((1, 1, 1), dtype=bool), facecolors="#d9d9d922", edgecolor="#9a9a9a88",
                  linewidth=0.6)
        ax.voxels(shaded, facecolors="#3b7dd8", edgecolor="#1b3d6b", linewidth=0.4)
        ax.set_xlabel(t("concepts.axis_n"), fontsize=7, labelpad=-8)
        ax.set_ylabel(t("concepts.axis_c"), fontsize=7, labelpad=-8)
        ax.set_zlabel(t("concepts.axis_hw"), fontsize=7, labelpad=-8)
        ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
        ax.view_init(elev=22, azim=-58)
        ax.set_box_aspect((N, C, HW))
        subtitle = t("concepts.norm_check", name=name, value=record.info["norm_max_mean"][name])
        ax.set_title(t(f"concepts.norm_{name}") + "\n" + subtitle, fontsize=8)
    return plots.save(fig, record.figure_path("norm-axes", lang))


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


def draw_transposed_conv(record, lang):
    """Each input value scales the kernel and adds it into its output window; the sum is the output."""
    t = translator(lang)
    x, kernel = record.array("tconv.x"), record.array("tconv.kernel")
    stamps, output = record.array("tconv.stamps"), record.array("tconv.output")
    fig, axes = plots.figure(1, 6, size=2.6)
    _grid(axes[0, 0], np.pad(x, ((0, 1), (0, 1)), constant_values=np.nan),
          t("concepts.tconv_input", kernel=kernel.astype(int).tolist()), cmap="Greens")
    for k, ((i, j), value) in enumerate(np.ndenumerate(x)):
        _grid(axes[0, k + 1], stamps[k], t("concepts.tconv_stamp", i=i, j=j, value=value, i2=i + 2, j2=j + 2))
    diff = float(np.max(np.abs(record.array("tconv.library") - output)))
    _grid(axes[0, 5], output, t("concepts.tconv_output", diff=diff), cmap="Oranges")
    for ax in axes[0]:
        ax.set_xlabel(t("concepts.column"), fontsize=7)
        ax.set_ylabel(t("concepts.row"), fontsize=7)
    return plots.save(fig, record.figure_path("transposed-conv", lang))


def draw_upsampling(record, lang):
    """A digit upsampled x4: nearest, bilinear, bicubic, and a bilinear transposed convolution."""
    t = translator(lang)
    image = record.array("upsampling.image")
    fig, axes = plots.figure(1, 5, size=3.0)
    axes[0, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
    axes[0, 0].set_title(t("concepts.digit"), fontsize=9)
    for ax, mode in zip(axes[0, 1:], _UPSAMPLING):
        values = record.array(f"upsampling.{mode}")
        ax.imshow(values, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(t(f"concepts.up_{mode}", h=values.shape[0], w=values.shape[1]), fontsize=8)
    for ax in axes[0]:
        ax.axis("off")
    return plots.save(fig, record.figure_path("upsampling", lang))


register(Entry(
    name="nn-concepts", family="nn",
    title="Notes 02 concepts: batch sizes, schedules, norm axes, transposed conv, upsampling (checked vs PyTorch)",
    run=run_concepts, config=ConceptsConfig,
    references=("torch (norms, interpolate, conv_transpose2d, lr_scheduler)",),
    dataset="digits", datasets=("digits",), task="other", optional=("torch",),
    figures=(draw_batch_modes, draw_schedules, draw_norm_axes, draw_transposed_conv, draw_upsampling),
    primary_metric="max_abs_difference",
))
