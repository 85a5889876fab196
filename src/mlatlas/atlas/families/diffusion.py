"""Registry entry ``ddpm``: the diffusion model on the 8x8 digits, against GaussianMixture(10) samples.

The DDPM trains on the training half of the digits' standard split (gray levels in
[0, 1], :func:`mlatlas.metrics.digits_split`), conditioned on the label with label
dropout; the reference column is scikit-learn's ``GaussianMixture(10)`` fitted on the
same images, whose samples (clipped to [0, 1]) are scored the same way.  Both are
scored by :func:`mlatlas.metrics.digits_fid` on as many samples as there are test
digits (899): the model's samples drawn with the labels 0..9 in turn (no guidance,
and with the default guidance, which also gives the share the digits classifier
assigns to the asked label) and without labels.

Record
------
``history.*``: the loss per epoch; what :meth:`DDPM.record_arrays` gives for the test
half: ``forward.*`` (one digit noised over t), ``reverse.*`` (a trajectory from noise
to digits), ``samples.*`` (ten per label), ``guidance.*`` (one noise at several
guidance weights), ``ddim.*`` (FID against the number of DDIM steps).  A run of
``mlatlas train ddpm`` holds the same arrays, so the same figures draw it.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..strings import add_strings, translator

add_strings({
    "ddpm.forward_title": ("Forward process: one digit noised, x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps",
                           "前向过程：一个数字逐步加噪，x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps"),
    "ddpm.step": ("t = {t}", "t = {t}"),
    "ddpm.reverse_title": ("Reverse process: noise x_T to digits x_0 ({method}, {steps} steps)",
                           "反向过程：从噪声 x_T 到数字 x_0（{method}，{steps} 步）"),
    "ddpm.reverse_rows": ("one sample per row (labels 0-9 asked)", "每行一个样本（依次要求标签 0-9）"),
    "ddpm.guidance_title": ("Classifier-free guidance: eps = (1 + w) eps(x, y) - w eps(x, none)",
                            "无分类器引导：eps = (1 + w) eps(x, y) - w eps(x, 无标签)"),
    "ddpm.guidance_row": ("w = {w:g}", "w = {w:g}"),
    "ddpm.guidance_accuracy": ("asked label recognised", "被识别为所要求标签的比例"),
    "ddpm.guidance_weight": ("guidance weight w", "引导权重 w"),
    "ddpm.accuracy_title": ("Guidance trades diversity for the label", "引导以多样性换取标签的符合度"),
    "ddpm.ddim_title": ("DDIM (eta = 0): sample quality against sampling steps", "DDIM（eta = 0）：样本质量与采样步数"),
    "ddpm.ddim_steps": ("sampling steps", "采样步数"),
    "ddpm.fid": ("digits_fid (lower is better)", "digits_fid（越低越好）"),
    "ddpm.ddim_line": ("DDPM, {n} DDIM samples", "DDPM，{n} 个 DDIM 样本"),
    "ddpm.real_line": ("{n} real test digits", "{n} 个真实测试数字"),
    "ddpm.gmm_line": ("GaussianMixture(10) samples", "GaussianMixture(10) 样本"),
    "ddpm.loss_title": ("Training loss: noise prediction error", "训练损失：噪声预测误差"),
    "ddpm.loss": ("E ||eps - eps_theta(x_t, t, y)||^2 per pixel", "每像素 E ||eps - eps_theta(x_t, t, y)||^2"),
    "ddpm.loss_line": ("loss", "损失"),
})

#: Settings of the quick demo run: a tiny U-Net and chain, a few seconds on one core.
DEMO = {"epochs": 40, "channels": (16, 32), "T": 100, "sample_steps": 10, "ema_decay": 0.99}


# ---------------------------------------------------------------------------- run


def _gmm_samples(X_train: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` samples of GaussianMixture(10) fitted on the flattened training images, clipped to [0, 1]."""
    import warnings

    from sklearn.mixture import GaussianMixture

    gmm = GaussianMixture(10, random_state=seed).fit(X_train.reshape(len(X_train), -1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # near-singular pixel covariances
        samples, _ = gmm.sample(n)
    return np.clip(samples, 0.0, 1.0)


def run(ctx):
    """Train the DDPM on the training digits; digits_fid of its samples and of GaussianMixture(10)'s."""
    from ...generative.diffusion.ddpm import DDPM
    from ...metrics import digits_fid, digits_split
    from ..runner import timed
    from .generative import model_arrays

    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    model = DDPM(**params)
    X_train, X_test, y_train, y_test = digits_split(binary=False)
    shape = (-1, 1, 8, 8)
    X_train, X_test = X_train.reshape(shape), X_test.reshape(shape)
    _, fit_time = timed(model.fit, X_train, y_train if model.conditional else None)
    n = X_test.shape[0]
    ours = {}
    unconditional, predict_time = timed(model.sample, n, random_state=ctx.seed)
    ours["digits_fid_unconditional"] = float(digits_fid(unconditional).fid)
    if model.conditional:
        asked = np.arange(n) % model.config.n_classes
        plain = digits_fid(model.sample(n, labels=asked, guidance=0.0, random_state=ctx.seed), labels=asked)
        guided = digits_fid(model.sample(n, labels=asked, random_state=ctx.seed), labels=asked)
        ours.update({"digits_fid": float(plain.fid), "label_accuracy_unguided": float(plain.accuracy),
                     "digits_fid_guided": float(guided.fid), "label_accuracy": float(guided.accuracy)})
    else:
        ours["digits_fid"] = ours["digits_fid_unconditional"]
    gmm, gmm_time = timed(_gmm_samples, X_train, n, ctx.seed)
    gmm_fid = float(digits_fid(gmm).fid)
    real_fid = float(digits_fid(X_test).fid)
    rows = [ModelRow("mlatlas", ours, fit_time, predict_time),
            ModelRow("sklearn GaussianMixture(10) samples", {"digits_fid": gmm_fid}, gmm_time, None),
            ModelRow("real test digits", {"digits_fid": real_fid})]
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in model.get_config().items()}
    record = ctx.record(rows, params=config, dataset="digits (standard split, test half)")
    for key, value in model_arrays(model, X_test, y_test, seed=ctx.seed).items():
        record.add(None, **{key: value})
    record.comparison["digits_fid_ratio_to_gmm"] = ours["digits_fid"] / max(gmm_fid, 1e-300)
    record.comparison["digits_fid_ratio_to_real"] = ours["digits_fid"] / max(real_fid, 1e-300)
    record.info.update({"model": "DDPM", "gmm_fid": gmm_fid, "n_samples": n, "guidance": model.config.guidance,
                        "sample_method": model.config.sample_method, "sample_steps": model.config.sample_steps})
    return record


# ---------------------------------------------------------------------------- figures


def _show(ax, images: np.ndarray, cols: int, title: str | None = None) -> None:
    from .generative import _show as show

    show(ax, images, cols, title)


def _strip_figure(n_rows: int, n_cols: int):
    fig, axes = plots.figure(n_rows, 1)
    fig.set_size_inches(max(4.0, 0.6 * n_cols + 0.8), 0.7 * n_rows + 0.9)
    return fig, axes


def draw_forward(record, lang):
    """One test digit at increasing t of the forward process."""
    t = translator(lang)
    steps, images = record.array("forward.t"), record.array("forward.images")
    fig, axes = plots.figure(1, len(steps), size=1.3)
    fig.set_size_inches(1.15 * len(steps) + 0.4, 1.9)
    for ax, step, image in zip(axes[0], steps, images):
        # shown on the image scale (x + 1) / 2, clipped: the noise spreads past [0, 1]
        ax.imshow(np.clip(image.mean(axis=0), 0, 1), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.axis("off")
        ax.set_title(t("ddpm.step", t=int(step)), fontsize=9)
    fig.suptitle(t("ddpm.forward_title"), fontsize=9)
    return plots.save(fig, record.figure_path("ddpm-forward", lang))


def draw_reverse(record, lang):
    """Ten samples (rows) along the reverse chain, from x_T (left) to x_0 (right)."""
    t = translator(lang)
    steps, frames = record.array("reverse.t"), record.array("reverse.images")   # (k,), (k, m, C, H, W)
    k, m = frames.shape[:2]
    fig, axes = plots.figure(1, k, size=1.2)
    fig.set_size_inches(0.95 * k + 0.6, 0.62 * m + 1.0)
    for ax, step, frame in zip(axes[0], steps, frames):
        _show(ax, np.clip(frame, 0, 1), 1, t("ddpm.step", t=int(step)))
    fig.suptitle(t("ddpm.reverse_title", method=str(record.array("reverse.method")),
                   steps=int(record.array("reverse.n_steps"))), fontsize=9)
    fig.text(0.01, 0.5, t("ddpm.reverse_rows"), rotation=90, va="center", fontsize=8)
    return plots.save(fig, record.figure_path("ddpm-reverse", lang))


def draw_samples(record, lang):
    """Ten samples per asked label (the default sampler and guidance)."""
    from .generative import draw_samples as draw

    return draw(record, lang)


def draw_guidance(record, lang):
    """One noise per label decoded at each guidance weight, and how often the label is recognised."""
    if "guidance.weights" not in record.arrays:  # an unconditional model has no guidance
        return []
    t = translator(lang)
    weights, images = record.array("guidance.weights"), record.array("guidance.images")   # (w,), (w, 10, C, H, W)
    has_accuracy = "guidance.accuracy" in record.arrays
    fig, axes = plots.figure(1, 2 if has_accuracy else 1, size=4.2)
    ax = axes[0, 0]
    cols = images.shape[1]
    ax.imshow(_rows_mosaic(images), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    h = images.shape[-2]
    ax.set_yticks([(h + 1) * i + h / 2 - 0.5 for i in range(len(weights))])
    ax.set_yticklabels([t("ddpm.guidance_row", w=float(w)) for w in weights], fontsize=8)
    ax.set_xticks([(images.shape[-1] + 1) * j + images.shape[-1] / 2 - 0.5 for j in range(cols)])
    ax.set_xticklabels([str(j) for j in range(cols)], fontsize=8)
    ax.set_xlabel(t("gen.class"))
    ax.set_ylabel(t("ddpm.guidance_weight"))
    ax.set_title(t("ddpm.guidance_title"), fontsize=8)
    if has_accuracy:
        ax = axes[0, 1]
        ax.plot(weights, record.array("guidance.accuracy"), "o-")
        ax.set_xlabel(t("ddpm.guidance_weight"))
        ax.set_ylabel(t("ddpm.guidance_accuracy"))
        ax.set_ylim(0, 1.02)
        ax.set_title(t("ddpm.accuracy_title"), fontsize=9)
    return plots.save(fig, record.figure_path("ddpm-guidance", lang))


def _rows_mosaic(images: np.ndarray) -> np.ndarray:
    """(rows, cols, C, H, W) images as one array, a blank (NaN) line between them."""
    rows, cols, _, h, w = images.shape
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = images[r, c].mean(axis=0)
    return out


def draw_ddim(record, lang):
    """digits_fid of DDIM samples against the number of steps, with the real-data floor (and the GMM)."""
    if "ddim.steps" not in record.arrays:  # digits_fid scores 8x8 digits only
        return []
    t = translator(lang)
    steps, fid = record.array("ddim.steps"), record.array("ddim.fid")
    fig, axes = plots.figure(1, 1, size=4.5)
    ax = axes[0, 0]
    ax.plot(steps, fid, "o-", label=t("ddpm.ddim_line", n=400))
    ax.axhline(float(record.array("ddim.real_fid")), color="k", linestyle=":", label=t("ddpm.real_line", n=400))
    if "gmm_fid" in record.info:
        ax.axhline(float(record.info["gmm_fid"]), color="tab:red", linestyle="--", label=t("ddpm.gmm_line"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(steps)
    ax.set_xticklabels([str(int(s)) for s in steps])
    ax.set_xlabel(t("ddpm.ddim_steps"))
    ax.set_ylabel(t("ddpm.fid"))
    ax.set_title(t("ddpm.ddim_title"), fontsize=9)
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path("ddpm-ddim-steps", lang))


def draw_loss(record, lang):
    """The epoch's mean noise-prediction loss over training."""
    t = translator(lang)
    loss = record.array("history.loss")
    epochs = record.arrays.get("history.epoch", np.arange(1, len(loss) + 1))
    fig, axes = plots.figure(1, 1, size=4.5)
    ax = axes[0, 0]
    ax.plot(epochs, loss, "-", label=t("ddpm.loss_line"))
    ax.set_yscale("log")
    ax.set_xlabel(t("axis.epoch"))
    ax.set_ylabel(t("ddpm.loss"))
    ax.set_title(t("ddpm.loss_title"), fontsize=9)
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path("ddpm-loss", lang))


register(Entry(
    name="ddpm", family="generative",
    title="Diffusion (DDPM): a U-Net noise predictor, ancestral and DDIM sampling, classifier-free guidance",
    run=run, config="mlatlas.generative.diffusion.ddpm:DDPMConfig",
    references=("sklearn.mixture.GaussianMixture",), dataset="digits", datasets=("digits",), task="other",
    demo_params=dict(DEMO),
    figures=(draw_loss, draw_forward, draw_reverse, draw_samples, draw_guidance, draw_ddim),
    requires=("torch",), primary_metric="digits_fid",
))
