"""Registry entries of the Boltzmann family: ``rbm``, ``dbn``, ``dbn-classifier``, ``bm``.

rbm
    Ours and scikit-learn's ``BernoulliRBM`` trained on the same training half of the
    binarized digits (pixel > 8, halves stratified by class) with the same size, batch,
    epochs and learning rate (ours with its own momentum, weight decay and schedule);
    both are measured the same way on the test half: the test -log p(x) in nats with
    log Z by AIS, scikit-learn's pseudo-likelihood with the same flipped bits, and the
    reconstruction error.  A 12-hidden-unit RBM trained beside them gives the exact
    likelihood per epoch and the AIS estimate against the number of temperatures
    next to the exact log Z.
dbn
    A two-layer DBN (ours) against the same greedy stack of two scikit-learn
    ``BernoulliRBM`` (a pipeline, as scikit-learn's examples build one), both scored
    with the same lower bound (:meth:`DBN.log_likelihood_lower_bound`).
dbn-classifier
    On the digits scaled to [0, 1], half held out: the pretrained and fine-tuned network,
    the same network trained from scratch, scikit-learn's ``MLPClassifier`` with the
    same hidden layers and ``LogisticRegression`` on the raw pixels.
bm
    A 10-unit Boltzmann machine (6 visible, 4 hidden) learning 6-pixel bar patterns
    by Gibbs statistics and by the exact gradient; the distance of its Gibbs sampler's
    states from the exact distribution.

Record
------
``history.<column>``: our model's ``history_`` (also what ``mlatlas train`` records);
``filters`` (and ``filters_reference``): first-layer weights; ``chain.frames``:
p(v | h) of 8 Gibbs chains every 20 steps; ``samples``: model samples;
``snapshots.filters``, ``snapshots.epochs`` (rbm): the first 16 filters about every
tenth of training, for the report's slider; ``ais.*``,
``small_history.*``: the small RBM's AIS curve and exact likelihood per epoch;
``accuracy.*``, ``loss.*`` (dbn-classifier); ``states.*``, ``curve.*`` (bm).  A figure
whose arrays a record lacks (a training record of ``mlatlas train``) draws nothing.
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ..record import ModelRow
from ..registry import Entry, register
from ..strings import add_strings, translator

#: The small RBM of the AIS and exact-likelihood figures, and its temperatures.
SMALL_HIDDEN = 12
AIS_BETAS = (10, 30, 100, 300, 1000)
#: Temperatures and runs for log Z of the compared models in an entry run.
RUN_BETAS, RUN_RUNS = 1000, 100

add_strings({
    "boltz.filters_title": ("{name}: {k} filters (first {shown})", "{name}：{k} 个滤波器（前 {shown} 个）"),
    "boltz.weight": ("weight", "权重"),
    "boltz.chains_title": ("Gibbs chains: p(v | h) every {every} steps (rows: chains)",
                           "吉布斯链：每 {every} 步的 p(v | h)（每行一条链）"),
    "boltz.epoch": ("epoch", "轮次"),
    "boltz.reconstruction": ("reconstruction error (MSE)", "重构误差（均方误差）"),
    "boltz.pseudo": ("pseudo-log-likelihood (nats)", "伪对数似然（奈特）"),
    "boltz.exact_ll": ("exact log-likelihood, {k} hidden (nats)", "精确对数似然，{k} 个隐单元（奈特）"),
    "boltz.layer": ("layer {layer}", "第 {layer} 层"),
    "boltz.training_title": ("Training curves per epoch", "每轮训练曲线"),
    "boltz.n_betas": ("number of temperatures", "温度个数"),
    "boltz.log_z": ("log Z", "log Z"),
    "boltz.ais_est": ("AIS ({runs} runs) +- 1 s.e.", "AIS（{runs} 次运行）± 1 标准误"),
    "boltz.exact": ("exact (enumeration)", "精确值（枚举）"),
    "boltz.ais_title": ("AIS on an RBM with {k} hidden units", "{k} 个隐单元 RBM 上的 AIS"),
    "boltz.samples_title": ("{name}: samples", "{name}：样本"),
    "boltz.nll_title": ("test -log p(x) (nats; lower is better)", "测试集 -log p(x)（奈特，越低越好）"),
    "boltz.nll": ("-log p(x) (nats)", "-log p(x)（奈特）"),
    "boltz.model": ("model", "模型"),
    "boltz.accuracy": ("test accuracy", "测试准确率"),
    "boltz.accuracy_title": ("Digits, half held out", "手写数字，一半留作测试"),
    "boltz.loss": ("training loss (cross-entropy)", "训练损失（交叉熵）"),
    "boltz.loss_title": ("Fine-tuning", "微调"),
    "boltz.pretrained": ("pretrained (DBN)", "预训练（DBN）"),
    "boltz.scratch": ("same network, no pretraining", "同一网络，无预训练"),
    "boltz.state": ("state (most probable first)", "状态（按概率从大到小）"),
    "boltz.probability": ("probability", "概率"),
    "boltz.gibbs": ("Gibbs sampler (TV {tv:.3f})", "吉布斯采样（总变差 {tv:.3f}）"),
    "boltz.states_title": ("Boltzmann machine, {n} units: p(s)", "玻尔兹曼机，{n} 个单元：p(s)"),
    "boltz.mean_ll": ("mean log-likelihood (nats)", "平均对数似然（奈特）"),
    "boltz.gibbs_learning": ("Gibbs statistics", "吉布斯统计量"),
    "boltz.exact_learning": ("exact gradient", "精确梯度"),
    "boltz.gap": ("max |<s_i s_j>_clamped - <s_i s_j>_free|", "max |<s_i s_j>_钳制 - <s_i s_j>_自由|"),
})


# ---------------------------------------------------------------------------- data


def _binary_split(ctx):
    """The binarized digits (pixel > 8) in halves, stratified by class, seeded by the run."""
    from sklearn.model_selection import train_test_split

    X = (np.asarray(ctx.data.X) > 8).astype(np.float64)
    return train_test_split(X, np.asarray(ctx.data.y), test_size=0.5, stratify=ctx.data.y, random_state=ctx.seed)


def _history(prefix: str, history) -> dict:
    rows = list(history or [])
    keys = [k for k in (rows[0] if rows else {}) if isinstance(rows[0][k], (int, float, np.number))]
    return {f"{prefix}.{k}": np.array([float(r.get(k, np.nan)) for r in rows]) for k in keys}


def _timed(fn, *args):
    from ..runner import timed

    return timed(fn, *args)


# ---------------------------------------------------------------------------- rbm


def _sklearn_rbm(params: dict, seed: int):
    from sklearn.neural_network import BernoulliRBM

    return BernoulliRBM(n_components=params.get("n_components", 256), learning_rate=params.get("learning_rate", 0.05),
                        batch_size=params.get("batch_size", 10), n_iter=params.get("n_iter", 300), random_state=seed)


def _rbm_metrics(W, b, c, base, X_train, X_test, seed):
    from ...generative.boltzmann.ais import ais_log_partition, free_energy
    from ...generative.boltzmann.rbm import pseudo_log_likelihood

    log_Z, error = ais_log_partition(W, b, c, base, n_runs=RUN_RUNS, n_betas=RUN_BETAS, random_state=seed)
    flip = np.random.RandomState(seed).randint(0, X_test.shape[1], X_test.shape[0])
    from scipy.special import expit

    rebuilt = expit(expit(X_test @ W.T + c) @ W + b)
    return {"test_nll": float(np.mean(free_energy(X_test, W, b, c)) + log_Z),
            "train_nll": float(np.mean(free_energy(X_train, W, b, c)) + log_Z),
            "log_Z": log_Z, "log_Z_standard_error": error,
            "test_pseudo_likelihood": float(np.mean(pseudo_log_likelihood(X_test, W, b, c, flip))),
            "test_reconstruction_error": float(np.mean((X_test - rebuilt) ** 2))}


def run_rbm(ctx):
    """Ours and BernoulliRBM on the same binarized digits; AIS and exact likelihood on a small RBM."""
    from ...generative.boltzmann import RBM
    from ...generative.boltzmann.ais import base_rate_biases

    X_train, X_test, _, _ = _binary_split(ctx)
    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    # the filters about every tenth of training (11 small float32 snapshots), for the report's slider
    n_iter = int(params.get("n_iter", RBM().n_iter))
    params.setdefault("snapshot_every", max(1, n_iter // 10))
    base = base_rate_biases(X_train)
    ours = ctx.estimator(**params)
    _, fit_ours = _timed(ours.fit, X_train)
    theirs = _sklearn_rbm(params, ctx.seed)
    _, fit_theirs = _timed(theirs.fit, X_train)
    rows = []
    for label, model, fit_time in (("mlatlas", ours, fit_ours), ("sklearn.neural_network.BernoulliRBM", theirs,
                                                                  fit_theirs)):
        metrics = _rbm_metrics(model.components_, model.intercept_visible_, model.intercept_hidden_, base,
                               X_train, X_test, ctx.seed)
        rows.append(ModelRow(label, metrics, fit_time, None))
    record = ctx.record(rows, params=params)
    record.comparison["test_nll_difference"] = rows[0].metrics["test_nll"] - rows[1].metrics["test_nll"]
    record.comparison["fit_time_ratio"] = fit_ours / fit_theirs
    record.arrays.update(_history("history", ours.history_))
    record.arrays.update(ours.record_arrays(X_test))
    record.add(filters_reference=theirs.components_)

    # a small RBM whose likelihood is exact: its curve per epoch and AIS against the temperatures
    small = RBM(**{**params, "n_components": SMALL_HIDDEN, "snapshot_every": None}).fit(X_train)
    record.arrays.update(_history("small_history", small.history_))
    exact = small.log_partition("exact")[0]
    estimates = [small.log_partition("ais", n_runs=RUN_RUNS, n_betas=k, random_state=ctx.seed) for k in AIS_BETAS]
    record.add("ais", n_betas=np.array(AIS_BETAS), estimate=[e for e, _ in estimates],
               error=[s for _, s in estimates], exact=exact)
    record.comparison["small_ais_error_at_most_betas"] = estimates[-1][0] - exact
    record.info.update(small_hidden=SMALL_HIDDEN, ais_runs=RUN_RUNS)
    return record


def _mosaic(filters: np.ndarray, cols: int = 8) -> np.ndarray:
    """8x8 images tiled in a grid, NaN (blank) between them."""
    rows = int(np.ceil(len(filters) / cols))
    image = np.full((rows * 9 - 1, cols * 9 - 1), np.nan)
    for i, f in enumerate(filters):
        r, c = divmod(i, cols)
        image[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = f.reshape(8, 8)
    return image


def draw_filters(record, lang):
    """First-layer filters (rows of W) as 8x8 images: ours, and scikit-learn's when recorded."""
    if "filters" not in record.arrays:
        return []
    t = translator(lang)
    panels = [("filters", "mlatlas")] + ([("filters_reference", "scikit-learn")]
                                         if "filters_reference" in record.arrays else [])
    fig, axes = plots.figure(1, len(panels), size=4.5)
    image = None
    for ax, (key, name) in zip(axes[0], panels):
        W = record.array(key)
        shown = W[:64]
        limit = float(np.abs(shown).max()) or 1.0
        image = ax.imshow(_mosaic(shown), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.axis("off")
        ax.set_title(t("boltz.filters_title", name=name, k=W.shape[0], shown=len(shown)), fontsize=9)
    fig.colorbar(image, ax=axes[0, :].tolist(), shrink=0.8, label=t("boltz.weight"))
    return plots.save(fig, record.figure_path(f"{record.entry}-filters", lang), tight=False)


def draw_chains(record, lang):
    """Gibbs chains over time: each row one chain, each column 20 more steps."""
    if "chain.frames" not in record.arrays:
        return []
    t = translator(lang)
    frames = record.array("chain.frames")  # (n_frames, n_chains, 64)
    n_frames, n_chains = frames.shape[:2]
    image = np.full((n_chains * 9 - 1, n_frames * 9 - 1), np.nan)
    for f in range(n_frames):
        for c in range(n_chains):
            image[c * 9:c * 9 + 8, f * 9:f * 9 + 8] = frames[f, c].reshape(8, 8)
    fig, axes = plots.figure(1, 1, size=6.0)
    axes[0, 0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
    axes[0, 0].axis("off")
    axes[0, 0].set_title(t("boltz.chains_title", every=int(record.array("chain.every"))), fontsize=9)
    return plots.save(fig, record.figure_path(f"{record.entry}-gibbs-chains", lang))


def draw_training(record, lang):
    """Reconstruction error and likelihoods per epoch (per layer for a DBN)."""
    if "history.reconstruction_error" not in record.arrays:
        return []
    t = translator(lang)
    has_small = "small_history.log_likelihood" in record.arrays
    fig, axes = plots.figure(1, 3 if has_small else 2, size=3.8)
    layers = record.arrays.get("history.layer")
    epochs = np.arange(1, len(record.array("history.reconstruction_error")) + 1)
    groups = [(None, np.ones(len(epochs), bool))] if layers is None else \
        [(int(k), layers == k) for k in np.unique(layers)]
    for ax, key, label in ((axes[0, 0], "history.reconstruction_error", "boltz.reconstruction"),
                           (axes[0, 1], "history.pseudo_likelihood", "boltz.pseudo")):
        values = record.array(key)
        for layer, mask in groups:
            name = t("boltz.layer", layer=layer) if layer is not None else "mlatlas"
            ax.plot(np.arange(1, mask.sum() + 1), values[mask], label=name)
        ax.set_xlabel(t("boltz.epoch"))
        ax.set_ylabel(t(label))
        ax.legend(fontsize=8)
    if has_small:
        ax = axes[0, 2]
        ll = record.array("small_history.log_likelihood")
        ax.plot(np.arange(1, len(ll) + 1), ll, color="C2", label=f"RBM, {record.info.get('small_hidden')}")
        ax.set_xlabel(t("boltz.epoch"))
        ax.set_ylabel(t("boltz.exact_ll", k=record.info.get("small_hidden")))
        ax.legend(fontsize=8)
    fig.suptitle(t("boltz.training_title"))
    return plots.save(fig, record.figure_path(f"{record.entry}-training", lang))


def draw_ais(record, lang):
    """The AIS estimate of log Z against the number of temperatures, with +-1 s.e., and the exact value."""
    if "ais.estimate" not in record.arrays:
        return []
    t = translator(lang)
    fig, axes = plots.figure(1, 1, size=5.0)
    ax = axes[0, 0]
    betas = record.array("ais.n_betas")
    ax.errorbar(betas, record.array("ais.estimate"), yerr=record.array("ais.error"), fmt="o-", capsize=3,
                label=t("boltz.ais_est", runs=record.info.get("ais_runs")))
    ax.axhline(float(record.array("ais.exact")), color="k", linestyle="--", label=t("boltz.exact"))
    ax.set_xscale("log")
    ax.set_xlabel(t("boltz.n_betas"))
    ax.set_ylabel(t("boltz.log_z"))
    ax.set_title(t("boltz.ais_title", k=record.info.get("small_hidden")))
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path(f"{record.entry}-ais", lang))


# ---------------------------------------------------------------------------- dbn


def _stack_as_dbn(rbms, X_train):
    """Our DBN holding the weights of a stack of fitted BernoulliRBMs (to score both the same way)."""
    from ...generative.boltzmann import DBN, RBM
    from ...generative.boltzmann.ais import base_rate_biases

    dbn = DBN(hidden_layer_sizes=tuple(r.n_components for r in rbms))
    dbn.n_features_in_ = rbms[0].components_.shape[1]
    dbn.rbms_ = []
    data = X_train
    for r in rbms:
        mine = RBM(n_components=r.n_components)
        mine.components_, mine.intercept_visible_, mine.intercept_hidden_ = \
            r.components_, r.intercept_visible_, r.intercept_hidden_
        mine.n_features_in_ = r.components_.shape[1]
        mine.base_rate_ = base_rate_biases(data)  # where its Gibbs chains start
        dbn.rbms_.append(mine)
        data = mine.transform(data)
    return dbn


def run_dbn(ctx):
    """Our DBN against the same greedy stack of BernoulliRBMs, scored with one lower bound."""
    from sklearn.pipeline import make_pipeline

    from ...generative.boltzmann.ais import ais_log_partition, base_rate_biases

    X_train, X_test, _, _ = _binary_split(ctx)
    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    ours = ctx.estimator(**params)
    _, fit_ours = _timed(ours.fit, X_train)
    sizes = tuple(ours.hidden_layer_sizes)
    stack = make_pipeline(*[_sklearn_rbm({**params, "n_components": k}, ctx.seed + i) for i, k in enumerate(sizes)])
    _, fit_theirs = _timed(stack.fit, X_train)
    theirs = _stack_as_dbn([step for _, step in stack.steps], X_train)
    rows = []
    for label, model, fit_time in (("mlatlas", ours, fit_ours), ("sklearn BernoulliRBM stack", theirs, fit_theirs)):
        top = model.rbms_[-1]
        below = model.rbms_[-2].transform(X_train) if len(model.rbms_) > 1 else X_train
        log_Z, error = ais_log_partition(top.components_, top.intercept_visible_, top.intercept_hidden_,
                                         base_rate_biases(below), n_runs=RUN_RUNS, n_betas=RUN_BETAS,
                                         random_state=ctx.seed)
        bound = model.log_likelihood_lower_bound(X_test, n_samples=100, log_Z=log_Z, random_state=ctx.seed)
        rows.append(ModelRow(label, {"test_nll_bound": float(-bound.mean()), "top_log_Z": log_Z,
                                     "top_log_Z_standard_error": error}, fit_time, None))
    record = ctx.record(rows, params={k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()})
    record.comparison["test_nll_bound_difference"] = rows[0].metrics["test_nll_bound"] - rows[1].metrics[
        "test_nll_bound"]
    record.arrays.update(_history("history", ours.history_))
    record.arrays.update(ours.record_arrays(X_test))
    record.add(samples_reference=theirs.sample(32, random_state=ctx.seed, n_steps=200))
    return record


def draw_samples(record, lang):
    """Samples of ours (Gibbs in the top RBM, then the down pass) and of the scikit-learn stack."""
    if "samples" not in record.arrays:
        return []
    t = translator(lang)
    panels = [("samples", "mlatlas")] + ([("samples_reference", "scikit-learn")]
                                         if "samples_reference" in record.arrays else [])
    fig, axes = plots.figure(1, len(panels), size=4.0)
    for ax, (key, name) in zip(axes[0], panels):
        ax.imshow(_mosaic(record.array(key)), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
        ax.set_title(t("boltz.samples_title", name=name))
    return plots.save(fig, record.figure_path(f"{record.entry}-samples", lang))


def draw_nll(record, lang):
    """Test -log p(x) of each model of the run (AIS log Z; a lower bound's negative for a DBN)."""
    if not record.rows or not any(k in record.rows[0].metrics for k in ("test_nll", "test_nll_bound")):
        return []
    t = translator(lang)
    key = "test_nll" if "test_nll" in record.rows[0].metrics else "test_nll_bound"
    fig, axes = plots.figure(1, 1, size=4.5)
    ax = axes[0, 0]
    names = [row.model.replace("sklearn.neural_network.", "") for row in record.rows]
    values = [row.metrics[key] for row in record.rows]
    ax.bar(range(len(values)), values, color=[plots.class_colour(i) for i in range(len(values))])
    ax.set_xticks(range(len(values)), names, fontsize=8)
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xlabel(t("boltz.model"))
    ax.set_ylabel(t("boltz.nll"))
    ax.set_title(t("boltz.nll_title"), fontsize=9)
    return plots.save(fig, record.figure_path(f"{record.entry}-nll", lang))


# ---------------------------------------------------------------------------- dbn-classifier


def run_dbn_classifier(ctx):
    """Pretrained vs from-scratch network, MLPClassifier and logistic regression on the digits in [0, 1]."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X = np.asarray(ctx.data.X, dtype=np.float64) / 16.0
    y = np.asarray(ctx.data.y)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=ctx.seed)
    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    sizes = tuple(params.get("hidden_layer_sizes", (256, 256)))
    makers = (
        ("mlatlas DBNClassifier", lambda: ctx.estimator(**params)),
        ("mlatlas, no pretraining", lambda: ctx.estimator(**{**params, "pretrain": False})),
        ("sklearn.neural_network.MLPClassifier", lambda: MLPClassifier(sizes, max_iter=500, random_state=ctx.seed)),
        ("sklearn.linear_model.LogisticRegression", lambda: LogisticRegression(max_iter=2000)),
    )
    rows, models = [], []
    for label, make in makers:
        model = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _, fit_time = _timed(model.fit, X_train, y_train)
        accuracy, predict_time = _timed(model.score, X_test, y_test)
        rows.append(ModelRow(label, {"accuracy": float(accuracy)}, fit_time, predict_time))
        models.append(model)
    record = ctx.record(rows, params={k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()})
    acc = [row.metrics["accuracy"] for row in rows]
    record.comparison.update(pretraining_gain=acc[0] - acc[1], versus_mlp=acc[0] - acc[2],
                             versus_logistic=acc[0] - acc[3])
    record.add("accuracy", names=np.array([row.model for row in rows]), values=acc)
    record.add("loss", pretrained=models[0].history_.column("loss"), scratch=models[1].history_.column("loss"))
    record.add(filters=models[0].coefs_[0].T)
    return record


def draw_accuracy(record, lang):
    """Test accuracy of the four classifiers, and the fine-tuning loss with and without pretraining."""
    if "accuracy.values" not in record.arrays:
        return []
    t = translator(lang)
    fig, axes = plots.figure(1, 2, size=4.5)
    ax = axes[0, 0]
    names = [str(n).replace("sklearn.", "").replace("neural_network.", "").replace("linear_model.", "")
             for n in record.array("accuracy.names")]
    values = record.array("accuracy.values")
    ax.barh(range(len(values)), values, color=[plots.class_colour(i) for i in range(len(values))])
    ax.set_yticks(range(len(values)), names, fontsize=8)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.4f}", va="center", fontsize=8)
    ax.set_xlim(max(0.0, float(values.min()) - 0.05), 1.0)
    ax.set_xlabel(t("boltz.accuracy"))
    ax.set_ylabel(t("boltz.model"))
    ax.set_title(t("boltz.accuracy_title"))
    ax = axes[0, 1]
    for key, label in (("loss.pretrained", "boltz.pretrained"), ("loss.scratch", "boltz.scratch")):
        loss = record.array(key)
        ax.plot(np.arange(1, len(loss) + 1), loss, label=t(label))
    ax.set_yscale("log")
    ax.set_xlabel(t("boltz.epoch"))
    ax.set_ylabel(t("boltz.loss"))
    ax.set_title(t("boltz.loss_title"))
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path(f"{record.entry}-accuracy", lang))


# ---------------------------------------------------------------------------- bm


def _bars(n: int, rng) -> np.ndarray:
    """6-pixel 2x3 images holding one full row or one full column, each bit flipped with p = 0.05."""
    patterns = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 0, 1, 0, 0], [0, 1, 0, 0, 1, 0],
                         [0, 0, 1, 0, 0, 1]], dtype=np.float64)
    X = patterns[rng.integers(0, len(patterns), n)]
    return np.abs(X - (rng.random(X.shape) < 0.05))


def run_bm(ctx):
    """A 10-unit machine learnt by Gibbs statistics and by the exact gradient; its sampler against the exact law."""
    from ...base import check_random_state
    from ...generative.boltzmann.bm import state_index

    rng = check_random_state(ctx.seed)
    X = _bars(300, rng)
    params = dict(ctx.params)
    params.setdefault("random_state", ctx.seed)
    rows, models = [], []
    for label, method in (("mlatlas (Gibbs statistics)", "gibbs"), ("exact gradient (enumeration)", "exact")):
        model = ctx.estimator(**{**params, "method": method})
        _, fit_time = _timed(model.fit, X)
        rows.append(ModelRow(label, {"mean_log_likelihood": float(model.log_likelihood(X).mean())}, fit_time, None))
        models.append(model)
    gibbs = models[0]
    exact = gibbs.exact_distribution()
    states = gibbs.gibbs_samples(2000, 100, burn_in=50, random_state=ctx.seed).reshape(-1, gibbs.n_units_)
    empirical = np.bincount(state_index(states), minlength=len(exact)) / len(states)
    tv = 0.5 * float(np.abs(empirical - exact).sum())
    rows[0].metrics["sampler_total_variation"] = tv
    record = ctx.record(rows, params=params, dataset="bars (2x3)")
    record.comparison["log_likelihood_gap_to_exact"] = rows[0].metrics["mean_log_likelihood"] - rows[1].metrics[
        "mean_log_likelihood"]
    record.comparison["sampler_total_variation"] = tv
    order = np.argsort(-exact)[:40]
    record.add("states", exact=exact[order], empirical=empirical[order], tv=tv)
    record.add("curve", gibbs=gibbs.history_.column("log_likelihood"),
               exact=models[1].history_.column("log_likelihood"))
    record.arrays.update(_history("history", gibbs.history_))
    return record


def draw_bm(record, lang):
    """The exact p(s) of the 40 likeliest states with the Gibbs sampler's frequencies; learning curves."""
    if "states.exact" not in record.arrays:
        return []
    t = translator(lang)
    fig, axes = plots.figure(1, 2, size=4.5)
    ax = axes[0, 0]
    exact, empirical = record.array("states.exact"), record.array("states.empirical")
    k = np.arange(len(exact))
    ax.bar(k - 0.2, exact, width=0.4, label=t("boltz.exact"))
    ax.bar(k + 0.2, empirical, width=0.4, label=t("boltz.gibbs", tv=float(record.array("states.tv"))))
    ax.set_xlabel(t("boltz.state"))
    ax.set_ylabel(t("boltz.probability"))
    ax.set_title(t("boltz.states_title", n=int(record.params.get("n_hidden", 4)) + 6), fontsize=9)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for key, label in (("curve.gibbs", "boltz.gibbs_learning"), ("curve.exact", "boltz.exact_learning")):
        curve = record.array(key)
        ax.plot(np.arange(1, len(curve) + 1), curve, label=t(label))
    ax.set_xlabel(t("boltz.epoch"))
    ax.set_ylabel(t("boltz.mean_ll"))
    ax.legend(fontsize=8)
    return plots.save(fig, record.figure_path(f"{record.entry}-states", lang))


def draw_bm_training(record, lang):
    """Per epoch: the largest gap between clamped and free correlations, and the exact likelihood."""
    if "history.correlation_gap" not in record.arrays:
        return []
    t = translator(lang)
    ll = record.arrays.get("history.log_likelihood")
    has_ll = ll is not None and bool(np.isfinite(ll).any())
    fig, axes = plots.figure(1, 2 if has_ll else 1, size=4.0)
    gap = record.array("history.correlation_gap")
    epochs = np.arange(1, len(gap) + 1)
    ax = axes[0, 0]
    ax.plot(epochs, gap, "o-", markersize=3)
    ax.set_xlabel(t("boltz.epoch"))
    ax.set_ylabel(t("boltz.gap"))
    if has_ll:
        ax = axes[0, 1]
        ax.plot(epochs, ll, "o-", markersize=3, color="C2")
        ax.set_xlabel(t("boltz.epoch"))
        ax.set_ylabel(t("boltz.mean_ll"))
    return plots.save(fig, record.figure_path(f"{record.entry}-training", lang))


# ---------------------------------------------------------------------------- entries

register(Entry(
    name="rbm", family="generative",
    title="Restricted Boltzmann machine: PCD training, filters, Gibbs chains, log-likelihood by AIS",
    run=run_rbm, config="mlatlas.generative.boltzmann:RBM", references=("sklearn.neural_network.BernoulliRBM",),
    dataset="digits", datasets=("digits",), task="other",
    demo_params={"n_components": 32, "n_iter": 15},
    figures=(draw_filters, draw_chains, draw_training, draw_ais, draw_nll), primary_metric="test_nll",
))
register(Entry(
    name="dbn", family="generative",
    title="Deep belief network: greedy stack of RBMs, samples, a likelihood lower bound",
    run=run_dbn, config="mlatlas.generative.boltzmann:DBN",
    references=("sklearn.neural_network.BernoulliRBM (greedy pipeline)",),
    dataset="digits", datasets=("digits",), task="other",
    demo_params={"hidden_layer_sizes": (64, 32), "n_iter": 15},
    figures=(draw_samples, draw_filters, draw_training, draw_nll), primary_metric="test_nll_bound",
))
register(Entry(
    name="dbn-classifier", family="generative",
    title="DBN classifier: RBM pretraining, then back-propagation fine-tuning",
    run=run_dbn_classifier, config="mlatlas.generative.boltzmann:DBNClassifier",
    references=("sklearn.neural_network.MLPClassifier", "sklearn.linear_model.LogisticRegression"),
    dataset="digits", datasets=("digits",), task="other",
    demo_params={"hidden_layer_sizes": (64,), "rbm_n_iter": 10, "max_epochs": 30},
    figures=(draw_accuracy, draw_filters), primary_metric="accuracy",
))
register(Entry(
    name="bm", family="generative",
    title="Boltzmann machine: clamped and free Gibbs statistics, exact likelihood on 10 units",
    run=run_bm, config="mlatlas.generative.boltzmann:BoltzmannMachine",
    references=("exact enumeration of the 2^10 states",), dataset="", task="other",
    params={"n_hidden": 4, "n_iter": 30, "learning_rate": 0.1, "batch_size": 20, "n_chains": 200},
    demo_params={"n_iter": 15},
    figures=(draw_bm, draw_bm_training), primary_metric="mean_log_likelihood",
))
