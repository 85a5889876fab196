"""Registry entries of the deep generative models: ``ae``, ``sparse-ae``, ``denoising-ae``, ``vae``, ``gan``.

Every entry trains one PyTorch model of :mod:`mlatlas.generative` on the training half
of the 8x8 digits (the standard split of :func:`mlatlas.metrics.digits_split`: halves,
stratified; binarized at pixel > 8 for the VAE's Bernoulli likelihood, gray levels /
16 otherwise) and measures it on the held-out half against the classical baseline
fitted on the same training images:

ae, sparse-ae, denoising-ae
    the mean squared reconstruction error per pixel of the test digits against PCA
    with as many components as the code (for the denoising autoencoder: the error of
    rebuilding the clean digits from corrupted ones, PCA projecting the same
    corrupted digits);
vae
    the test -log p(x) in nats (the IWAE bound, k = 1000) against the mixture of 50
    Bernoullis fitted by EM and the independent Bernoulli
    (:func:`mlatlas.metrics.bernoulli_nll_baselines`); the ``digits_fid`` of as many
    samples as test digits against scikit-learn's ``GaussianMixture(10)`` samples;
gan
    ``digits_fid`` against ``GaussianMixture(10)`` samples, and the discriminator's
    mean outputs on real and generated digits.

Record
------
``history.<term>``: each column of the model's ``history_`` (one value per epoch);
what the model's ``record_arrays(X_test, y_test)`` gives (``codes``, ``labels``,
``reconstruction.*``, ``latent.*``, ``interpolation.*``, ``samples.*``...; see
:meth:`mlatlas.generative.base.GenerativeModel.record_arrays`); ``snapshots.*``: the
GAN's samples from one fixed noise at five epochs of training;
``reconstruction.pca``: PCA's reconstructions of the shown digits (autoencoders).
``mlatlas train MODEL`` writes the same arrays (:func:`model_arrays`), so
``mlatlas draw`` draws a training run with these figures too.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..strings import add_strings, translator

__all__ = ["model_arrays", "history_arrays"]

#: Importance samples of the VAE's test likelihood (the target's k).
IWAE_K = 1000
#: Mixture components of the Bernoulli-mixture baseline.
MIXTURE_COMPONENTS = 50
TIMING_NOTE = ("times: one training run of each model, PyTorch on the threads it was given "
               "(torch.set_num_threads); predict time: the test metric's evaluation (the VAE: its IWAE "
               "bound, k = 1000).")

add_strings({
    "gen.original": ("test digits", "测试集数字"),
    "gen.corrupted": ("corrupted inputs", "损坏后的输入"),
    "gen.rebuilt": ("{model} (MSE {mse:.4f})", "{model}（均方误差 {mse:.4f}）"),
    "gen.rebuilt_plain": ("{model}", "{model}"),
    "gen.pca": ("PCA, {k} components (MSE {mse:.4f})", "PCA，{k} 个主成分（均方误差 {mse:.4f}）"),
    "gen.pca_plain": ("PCA, {k} components", "PCA，{k} 个主成分"),
    "gen.reconstructions_title": ("{model}: held-out digits and their reconstructions",
                                  "{model}：留出的数字及其重建"),
    "gen.epoch": ("epoch", "轮次 (epoch)"),
    "gen.nats": ("nats per image", "每张图像的奈特数 (nats)"),
    "gen.loss_per_image": ("loss per image", "每张图像的损失"),
    "gen.term.loss": ("loss (minimised)", "损失（最小化目标）"),
    "gen.term.neg_elbo": ("-ELBO = reconstruction + KL", "-ELBO = 重建项 + KL"),
    "gen.term.neg_iwae": ("-IWAE bound (minimised)", "-IWAE 下界（最小化目标）"),
    "gen.term.reconstruction": ("reconstruction -E_q[log p(x|z)]", "重建项 -E_q[log p(x|z)]"),
    "gen.term.ae_reconstruction": ("reconstruction", "重建损失"),
    "gen.term.kl": ("KL(q(z|x) || p(z))", "KL(q(z|x) || p(z))"),
    "gen.term.sparsity": ("sparsity penalty", "稀疏惩罚"),
    "gen.term.other": ("{name}", "{name}"),
    "gen.losses_title": ("{model}: training loss per epoch", "{model}：每轮的训练损失"),
    "gen.elbo_title": ("VAE: the ELBO's two terms per epoch", "VAE：每轮 ELBO 的两项"),
    "gen.gan_losses": ("GAN losses per epoch", "GAN 每轮的损失"),
    "gen.loss_d": ("discriminator L_D", "判别器 L_D"),
    "gen.loss_g": ("generator L_G = -log D(G(z))", "生成器 L_G = -log D(G(z))"),
    "gen.equilibrium": ("equilibrium (2 log 2, log 2, 1/2)", "均衡点（2 log 2、log 2、1/2）"),
    "gen.d_outputs": ("discriminator's mean output", "判别器的平均输出"),
    "gen.d_real": ("D(x), real digits", "D(x)，真实数字"),
    "gen.d_fake": ("D(G(z)), generated", "D(G(z))，生成的数字"),
    "gen.probability": ("probability 'real'", "判为“真”的概率"),
    "gen.latent_title": ("test digits' codes (posterior means){where}", "测试集数字的编码（后验均值）{where}"),
    "gen.latent_projected": (", first two principal axes", "，前两个主轴"),
    "gen.z1": ("z1", "z1"),
    "gen.z2": ("z2", "z2"),
    "gen.u": ("first principal axis of the codes", "编码的第一主轴"),
    "gen.v": ("second principal axis of the codes", "编码的第二主轴"),
    "gen.grid_title": ("decoded grid over that plane", "在该平面上网格解码"),
    "gen.grid_title_label": ("decoded grid over that plane (label {label})", "在该平面上网格解码（标签 {label}）"),
    "gen.interpolation_title": ("decoding the straight line between the codes of two test digits",
                                "对两个测试集数字编码之间的直线进行解码"),
    "gen.interpolation_ends": ("the two digits", "两个数字"),
    "gen.interpolation_path": ("z_t = (1 - t) z_a + t z_b, t = 0 ... 1", "z_t = (1 - t) z_a + t z_b，t = 0 … 1"),
    "gen.samples_asked": ("{model} samples for each label asked for", "{model} 按指定标签的样本"),
    "gen.samples_classified": ("{model} samples, grouped by the digits classifier's label",
                               "{model} 的样本，按数字分类器给出的标签分组"),
    "gen.samples_plain": ("{model} samples", "{model} 的样本"),
    "gen.label_row": ("{label}: {count}", "{label}：{count}"),
    "gen.snapshots_title": ("GAN samples from one fixed noise over training", "固定噪声下 GAN 样本随训练的变化"),
    "gen.snapshot_epoch": ("epoch {epoch}", "第 {epoch} 轮"),
    "gen.class": ("digit", "数字"),
})


# ---------------------------------------------------------------------------- shared by runs and `mlatlas train`


def history_arrays(history) -> dict:
    """One array per numeric column of a model's ``history_``: ``history.<column>`` (one value per epoch)."""
    rows = list(history or [])
    columns = []
    for row in rows:
        for key, value in row.items():
            if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and key not in columns:
                columns.append(key)
    return {f"history.{key}": np.array([float(row.get(key, np.nan)) for row in rows]) for key in columns}


def model_arrays(model, X_test, y_test=None, *, seed: int = 0, snapshots=None) -> dict:
    """Everything the figures of a trained model need, as named arrays.

    ``history.*`` (:func:`history_arrays`), the model's ``record_arrays(X_test, y_test)``
    when it has one, and the arrays of a :class:`~mlatlas.generative.base.SampleSnapshots`
    callback that watched the training.
    """
    arrays = history_arrays(getattr(model, "history_", None))
    hook = getattr(model, "record_arrays", None)
    if callable(hook) and X_test is not None:
        arrays.update(hook(X_test, y_test, random_state=seed))
    if snapshots is not None:
        arrays.update(snapshots.arrays())
    return arrays


# ---------------------------------------------------------------------------- runs


def _model_class(name: str):
    import importlib

    module, _, qualname = _MODELS[name].partition(":")
    return getattr(importlib.import_module(module), qualname)


def _fit(ctx, binary: bool):
    """Train the entry's model on the training half; return (model, split, snapshots, fit seconds, params)."""
    from ...generative.base import SampleSnapshots, snapshot_epochs
    from ...metrics import digits_split
    from ..runner import timed

    cls = _model_class(ctx.entry.name)
    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    model = cls(**params)
    split = tuple(digits_split(binary=binary))
    X_train, _, y_train, _ = split
    snapshots = None
    if cls.training_snapshots:
        snapshots = SampleSnapshots(snapshot_epochs(model.config.epochs), cls.training_snapshots, ctx.seed)
    _, seconds = timed(model.fit, X_train, y_train if model.conditional else None, callback=snapshots)
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in model.get_config().items()}
    return model, split, snapshots, seconds, config


def _record(ctx, model, split, snapshots, rows, config):
    _, X_test, _, y_test = split
    record = ctx.record(rows, params=config, dataset="digits (standard split, test half)")
    for key, value in model_arrays(model, X_test, y_test, seed=ctx.seed, snapshots=snapshots).items():
        record.add(None, **{key: value})
    record.timing_note = TIMING_NOTE
    record.info["model"] = type(model).__name__
    record.info["n_train"], record.info["n_test"] = int(split[0].shape[0]), int(X_test.shape[0])
    return record


def _pca_rebuild(X_train, X_rebuild, k: int):
    """PCA with ``k`` components fitted on ``X_train``; returns it and ``X_rebuild`` projected and rebuilt."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=min(k, X_train.shape[1], X_train.shape[0]), svd_solver="full").fit(X_train)
    return pca, pca.inverse_transform(pca.transform(X_rebuild))


def run_autoencoder(ctx):
    """Train the autoencoder on the gray training digits; reconstruction error against PCA at the code size."""
    from ..runner import timed

    model, split, snapshots, fit_time, config = _fit(ctx, binary=False)
    X_train, X_test, _, y_test = split
    denoising = hasattr(model, "corrupt")
    # the inputs the test error is measured on: corrupted copies for the denoising autoencoder
    inputs = model.corrupt(X_test, random_state=ctx.seed).reshape(X_test.shape) if denoising else X_test
    rebuilt, predict_time = timed(model.reconstruct, inputs)
    ours = {"test_mse": float(np.mean((rebuilt.reshape(X_test.shape) - X_test) ** 2)),
            "train_mse": float(np.mean(model.reconstruction_error(X_train)))}
    if hasattr(model, "mean_activation"):
        activation = model.mean_activation(X_test)
        ours["mean_code_activation"] = float(activation.mean())
    (pca, pca_test), pca_seconds = timed(_pca_rebuild, X_train, inputs, model.config.code_dim)
    reference = {"test_mse": float(np.mean((pca_test - X_test) ** 2)),
                 "train_mse": float(np.mean((pca.inverse_transform(pca.transform(X_train)) - X_train) ** 2))}
    rows = [ModelRow("mlatlas", ours, fit_time, predict_time),
            ModelRow(f"sklearn PCA({pca.n_components_})", reference, pca_seconds, None)]
    record = _record(ctx, model, split, snapshots, rows, config)
    if reference["test_mse"] > 1e-9:  # a code as wide as the image lets PCA rebuild it exactly
        record.comparison["test_mse_ratio_to_pca"] = ours["test_mse"] / reference["test_mse"]
    if denoising:
        record.comparison["test_mse_of_corrupted_inputs"] = float(np.mean((inputs - X_test) ** 2))
    shown_inputs = record.arrays.get("reconstruction.corrupted", record.array("reconstruction.original"))
    record.add("reconstruction", pca=pca.inverse_transform(pca.transform(shown_inputs.reshape(len(shown_inputs), -1)))
               .reshape(shown_inputs.shape))
    record.info["pca_components"] = int(pca.n_components_)
    record.info["mse"] = {"mlatlas": ours["test_mse"], "pca": reference["test_mse"]}
    return record


def _gmm_fid(X_train, n: int, seed: int) -> tuple[float, float]:
    """digits_fid of ``n`` samples of GaussianMixture(10) fitted on ``X_train`` (clipped to [0, 1]); and seconds."""
    from sklearn.mixture import GaussianMixture

    from ...metrics import digits_fid
    from ..runner import timed

    import warnings

    gmm, seconds = timed(GaussianMixture(10, random_state=seed).fit, X_train)
    with warnings.catch_warnings():
        # covariances of binary pixels are near-singular; NumPy warns that they are not exactly PSD
        warnings.simplefilter("ignore", RuntimeWarning)
        samples, _ = gmm.sample(n)
    return digits_fid(np.clip(samples, 0.0, 1.0)).fid, seconds


def _fid_metrics(model, n: int, seed: int) -> dict:
    from ...metrics import digits_fid

    labels = np.arange(n) % model.config.n_classes if model.conditional else None
    result = digits_fid(model.sample(n, labels=labels, random_state=seed), labels=labels)
    out = {"digits_fid": float(result.fid)}
    if result.accuracy is not None:
        out["label_accuracy"] = float(result.accuracy)
    return out


def run_vae(ctx):
    """Train the VAE on the binarized training digits; test likelihood and sample quality against the baselines."""
    from ...metrics import bernoulli_nll_baselines
    from ..runner import timed

    model, split, snapshots, fit_time, config = _fit(ctx, binary=True)
    X_train, X_test, _, y_test = split
    given = y_test if model.conditional else None
    nll, predict_time = timed(model.nll, X_test, given, k=IWAE_K, random_state=ctx.seed)
    ours = {"test_nll": float(nll.mean()),
            "test_neg_elbo": float(-model.elbo(X_test, given, n_samples=10, random_state=ctx.seed).mean())}
    ours.update(_fid_metrics(model, X_test.shape[0], ctx.seed))
    baselines, base_seconds = timed(bernoulli_nll_baselines, n_components=MIXTURE_COMPONENTS)
    gmm_fid, gmm_seconds = _gmm_fid(X_train, X_test.shape[0], ctx.seed)
    rows = [ModelRow("mlatlas", ours, fit_time, predict_time),
            ModelRow(f"Bernoulli mixture ({MIXTURE_COMPONENTS}, EM)", {"test_nll": baselines["bernoulli_mixture"]},
                     base_seconds, None),
            ModelRow("independent Bernoulli", {"test_nll": baselines["independent_bernoulli"]}),
            ModelRow("sklearn GaussianMixture(10) samples", {"digits_fid": gmm_fid}, gmm_seconds, None)]
    record = _record(ctx, model, split, snapshots, rows, config)
    record.comparison["test_nll_minus_mixture"] = ours["test_nll"] - baselines["bernoulli_mixture"]
    record.comparison["digits_fid_ratio_to_gmm"] = ours["digits_fid"] / max(gmm_fid, 1e-300)
    record.info["iwae_k"] = IWAE_K
    record.info["conditional"] = bool(model.conditional)
    return record


def run_gan(ctx):
    """Train the GAN on the gray training digits; sample quality against GaussianMixture(10)."""
    model, split, snapshots, fit_time, config = _fit(ctx, binary=False)
    X_train, X_test, _, y_test = split
    ours = _fid_metrics(model, X_test.shape[0], ctx.seed)
    last = model.history_[-1]
    ours.update({"final_d_real": float(last["d_real"]), "final_d_fake": float(last["d_fake"])})
    gmm_fid, gmm_seconds = _gmm_fid(X_train, X_test.shape[0], ctx.seed)
    rows = [ModelRow("mlatlas", ours, fit_time, None),
            ModelRow("sklearn GaussianMixture(10) samples", {"digits_fid": gmm_fid}, gmm_seconds, None)]
    record = _record(ctx, model, split, snapshots, rows, config)
    record.comparison["digits_fid_ratio_to_gmm"] = ours["digits_fid"] / max(gmm_fid, 1e-300)
    return record


# ---------------------------------------------------------------------------- figures


def _mosaic(images: np.ndarray, cols: int) -> np.ndarray:
    """Images (n, C, H, W) (channels averaged) tiled ``cols`` per row, one blank (NaN) line between them."""
    images = np.asarray(images, dtype=float)
    n, _, h, w = images.shape
    rows = max(1, int(np.ceil(n / cols)))
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i, image in enumerate(images.mean(axis=1)):
        r, c = divmod(i, cols)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = image
    return out


def _show(ax, images: np.ndarray, cols: int, title: str | None = None) -> None:
    ax.imshow(_mosaic(images, cols), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)


def _strips(n_rows: int, n_images: int):
    """A figure of ``n_rows`` image strips of ``n_images`` images each (one axes per strip)."""
    fig, axes = plots.figure(n_rows, 1)
    fig.set_size_inches(max(3.5, 0.55 * n_images + 0.6), 0.95 * n_rows + 0.6)
    return fig, axes


def _model_name(record) -> str:
    return record.info.get("model", record.entry)


def draw_reconstructions(record, lang):
    """Ten test digits, (their corrupted copies,) the model's reconstructions and PCA's."""
    t = translator(lang)
    original = record.array("reconstruction.original")
    panels = [(original, t("gen.original"))]
    if "reconstruction.corrupted" in record.arrays:
        panels.append((record.array("reconstruction.corrupted"), t("gen.corrupted")))
    mse = record.info.get("mse")
    name = _model_name(record)
    panels.append((record.array("reconstruction.rebuilt"),
                   t("gen.rebuilt", model=name, mse=mse["mlatlas"]) if mse else t("gen.rebuilt_plain", model=name)))
    if "reconstruction.pca" in record.arrays:
        k = record.info.get("pca_components", "?")
        panels.append((record.array("reconstruction.pca"),
                       t("gen.pca", k=k, mse=mse["pca"]) if mse else t("gen.pca_plain", k=k)))
    n = original.shape[0]
    fig, axes = _strips(len(panels), n)
    for ax, (images, title) in zip(axes[:, 0], panels):
        _show(ax, images, n, title)
    fig.suptitle(t("gen.reconstructions_title", model=name), fontsize=10)
    return plots.save(fig, record.figure_path(f"{record.entry}-reconstructions", lang))


def _term_label(t, record, key: str) -> str:
    vae = "history.kl" in record.arrays
    if key == "loss" and vae:
        return t("gen.term.neg_iwae") if record.params.get("importance_samples", 1) > 1 else t("gen.term.neg_elbo")
    if key == "reconstruction":
        return t("gen.term.reconstruction") if vae else t("gen.term.ae_reconstruction")
    if key in ("loss", "kl", "sparsity"):
        return t(f"gen.term.{key}")
    return t("gen.term.other", name=key)


def draw_losses(record, lang):
    """Loss terms per epoch: the ELBO's reconstruction and KL terms (VAE), D's and G's losses and
    outputs (GAN), the reconstruction and penalty (autoencoders)."""
    t = translator(lang)
    epochs = record.array("history.epoch")
    if "history.loss_d" in record.arrays:
        fig, axes = plots.figure(1, 2, size=4.2)
        ax = axes[0, 0]
        ax.plot(epochs, record.array("history.loss_d"), label=t("gen.loss_d"))
        ax.plot(epochs, record.array("history.loss_g"), label=t("gen.loss_g"))
        for level in (2 * np.log(2), np.log(2)):
            ax.axhline(level, color="gray", linestyle=":", linewidth=1)
        ax.set_xlabel(t("gen.epoch"))
        ax.set_ylabel(t("gen.loss_per_image"))
        ax.set_title(t("gen.gan_losses"), fontsize=10)
        ax.legend(fontsize=7)
        ax = axes[0, 1]
        ax.plot(epochs, record.array("history.d_real"), label=t("gen.d_real"))
        ax.plot(epochs, record.array("history.d_fake"), label=t("gen.d_fake"))
        ax.axhline(0.5, color="gray", linestyle=":", linewidth=1, label=t("gen.equilibrium"))
        ax.set_ylim(0, 1)
        ax.set_xlabel(t("gen.epoch"))
        ax.set_ylabel(t("gen.probability"))
        ax.set_title(t("gen.d_outputs"), fontsize=10)
        ax.legend(fontsize=7)
        return plots.save(fig, record.figure_path(f"{record.entry}-losses", lang))
    terms = [key[len("history."):] for key in record.arrays
             if key.startswith("history.") and key[len("history."):] not in ("epoch", "step", "seconds")
             and not key[len("history."):].startswith("lr")]
    fig, axes = plots.figure(1, 1, size=4.6)
    ax = axes[0, 0]
    for key in terms:
        ax.plot(epochs, record.array(f"history.{key}"), label=_term_label(t, record, key))
    ax.set_xlabel(t("gen.epoch"))
    ax.set_ylabel(t("gen.nats") if "history.kl" in record.arrays else t("gen.loss_per_image"))
    title = t("gen.elbo_title") if "history.kl" in record.arrays else t("gen.losses_title", model=_model_name(record))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    return plots.save(fig, record.figure_path(f"{record.entry}-losses", lang))


def draw_latent(record, lang):
    """The test digits' codes in the latent plane, coloured by label, and the decoder over that plane."""
    t = translator(lang)
    plane = record.array("latent.plane")
    projected = record.array("latent.axes").shape[1] > 2
    fig, axes = plots.figure(1, 2, size=4.4)
    ax = axes[0, 0]
    if "labels" in record.arrays:
        labels = record.array("labels").astype(int)
        plots.scatter_classes(ax, plane, labels, [str(k) for k in range(int(labels.max()) + 1)],
                              title=t("gen.class"), s=8, linewidths=0.2)
    else:
        ax.scatter(plane[:, 0], plane[:, 1], s=6, color="gray")
    ax.set_xlabel(t("gen.u") if projected else t("gen.z1"))
    ax.set_ylabel(t("gen.v") if projected else t("gen.z2"))
    ax.set_title(t("gen.latent_title", where=t("gen.latent_projected") if projected else ""), fontsize=9)

    ax = axes[0, 1]
    grid, u, v = record.array("latent.grid"), record.array("latent.grid_u"), record.array("latent.grid_v")
    size = grid.shape[0]
    # rows of the mosaic run downwards; the grid's first row holds the smallest v, so flip it
    mosaic = _mosaic(grid[::-1].reshape(size * size, *grid.shape[2:]), size)
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest",
              extent=(float(u[0]), float(u[-1]), float(v[0]), float(v[-1])), aspect="auto")
    ax.set_xlabel(t("gen.u") if projected else t("gen.z1"))
    ax.set_ylabel(t("gen.v") if projected else t("gen.z2"))
    label = int(record.array("latent.grid_label"))
    ax.set_title(t("gen.grid_title") if label < 0 else t("gen.grid_title_label", label=label), fontsize=9)
    return plots.save(fig, record.figure_path(f"{record.entry}-latent", lang))


def draw_interpolation(record, lang):
    """Two test digits and the decoded straight line between their codes."""
    t = translator(lang)
    path = record.array("interpolation.images")
    fig, axes = _strips(2, path.shape[0])
    _show(axes[0, 0], record.array("interpolation.ends"), 2, t("gen.interpolation_ends"))
    _show(axes[1, 0], path, path.shape[0], t("gen.interpolation_path"))
    fig.suptitle(t("gen.interpolation_title"), fontsize=10)
    return plots.save(fig, record.figure_path(f"{record.entry}-interpolation", lang))


def draw_samples(record, lang):
    """Samples in one row per label (asked for, or given by the digits classifier), else a square grid."""
    t = translator(lang)
    images = record.array("samples.images")
    name = _model_name(record)
    if "samples.labels" not in record.arrays:
        cols = int(np.ceil(np.sqrt(images.shape[0])))
        fig, axes = plots.figure(1, 1, size=0.5 * cols + 1)
        _show(axes[0, 0], images, cols, t("gen.samples_plain", model=name))
        return plots.save(fig, record.figure_path(f"{record.entry}-samples", lang))
    labels = record.array("samples.labels").astype(int)
    source = str(record.array("samples.labels_source"))
    classes = list(range(max(10, int(labels.max()) + 1)))
    cols = 10
    fig, axes = plots.figure(len(classes), 1, size=0.5 * cols + 0.8)
    fig.set_size_inches(0.5 * cols + 1.5, 0.62 * len(classes) + 0.8)
    for ax, label in zip(axes[:, 0], classes):
        chosen = images[labels == label][:cols]
        row = np.full((cols, *images.shape[1:]), np.nan)
        row[:chosen.shape[0]] = chosen
        _show(ax, row, cols)
        # the row's label (and how many samples have it) left of the images
        ax.text(-0.02, 0.5, t("gen.label_row", label=label, count=int(np.sum(labels == label))),
                transform=ax.transAxes, ha="right", va="center", fontsize=8)
    key = "gen.samples_asked" if source == "asked" else "gen.samples_classified"
    fig.suptitle(t(key, model=name), fontsize=10)
    return plots.save(fig, record.figure_path(f"{record.entry}-samples", lang))


def draw_snapshots(record, lang):
    """The same noise decoded by the generator at a few epochs of training."""
    t = translator(lang)
    epochs, images = record.array("snapshots.epochs"), record.array("snapshots.images")
    cols = images.shape[1]
    fig, axes = _strips(len(epochs), cols)
    for ax, epoch, row in zip(axes[:, 0], epochs, images):
        _show(ax, row, cols, t("gen.snapshot_epoch", epoch=int(epoch)))
    fig.suptitle(t("gen.snapshots_title"), fontsize=10)
    return plots.save(fig, record.figure_path(f"{record.entry}-over-training", lang))


# ---------------------------------------------------------------------------- entries

_MODELS = {
    "ae": "mlatlas.generative.autoencoders:Autoencoder",
    "sparse-ae": "mlatlas.generative.autoencoders:SparseAutoencoder",
    "denoising-ae": "mlatlas.generative.autoencoders:DenoisingAutoencoder",
    "vae": "mlatlas.generative.vae:VAE",
    "gan": "mlatlas.generative.gan:GAN",
}

_AE_DEMO = {"epochs": 15, "hidden_sizes": (64,)}

register(Entry(
    name="ae", family="generative", title="Autoencoder: an MLP code of the digits, rebuilt by its decoder",
    run=run_autoencoder, config="mlatlas.generative.autoencoders:AutoencoderConfig",
    references=("sklearn.decomposition.PCA",), dataset="digits", datasets=("digits",), task="other",
    demo_params=dict(_AE_DEMO), figures=(draw_reconstructions, draw_losses), requires=("torch",),
    primary_metric="test_mse",
))
register(Entry(
    name="sparse-ae", family="generative",
    title="Sparse autoencoder: a wide code kept sparse by a KL (or L1) penalty",
    run=run_autoencoder, config="mlatlas.generative.autoencoders:SparseAutoencoderConfig",
    references=("sklearn.decomposition.PCA",), dataset="digits", datasets=("digits",), task="other",
    demo_params={"epochs": 15}, figures=(draw_reconstructions, draw_losses), requires=("torch",),
    primary_metric="test_mse",
))
register(Entry(
    name="denoising-ae", family="generative",
    title="Denoising autoencoder: clean digits rebuilt from corrupted ones",
    run=run_autoencoder, config="mlatlas.generative.autoencoders:DenoisingAutoencoderConfig",
    references=("sklearn.decomposition.PCA",), dataset="digits", datasets=("digits",), task="other",
    demo_params=dict(_AE_DEMO), figures=(draw_reconstructions, draw_losses), requires=("torch",),
    primary_metric="test_mse",
))
register(Entry(
    name="vae", family="generative",
    title="Variational autoencoder: ELBO, reparameterisation, IWAE likelihood, samples and latent maps",
    run=run_vae, config="mlatlas.generative.vae:VAEConfig",
    references=("Bernoulli mixture (EM)", "sklearn.mixture.GaussianMixture"),
    dataset="digits", datasets=("digits",), task="other",
    demo_params={"epochs": 200},
    figures=(draw_losses, draw_reconstructions, draw_latent, draw_interpolation, draw_samples),
    requires=("torch",), primary_metric="test_nll",
))
register(Entry(
    name="gan", family="generative",
    title="Generative adversarial network: non-saturating loss, samples over training",
    run=run_gan, config="mlatlas.generative.gan:GANConfig",
    references=("sklearn.mixture.GaussianMixture",), dataset="digits", datasets=("digits",), task="other",
    demo_params={"epochs": 300}, figures=(draw_losses, draw_snapshots, draw_samples), requires=("torch",),
    primary_metric="digits_fid",
))
