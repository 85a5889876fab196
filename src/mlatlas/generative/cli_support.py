"""What ``mlatlas train`` and ``mlatlas sample`` do, kept out of the command-line parser.

``train`` builds a model from its CLI name and ``--set`` values, reads the images
(the 8x8 digits by default, binarized for Bernoulli likelihoods), fits it with its
checkpoints in ``OUT/checkpoints`` (or resumes that run), saves the final model in
``OUT`` and its loss history as a run record.  ``sample`` loads a saved model and
writes ``FILE.npz`` (``x`` and, when labelled, ``y``) and the grid ``FILE.png``.

Every mistake is raised as ``ValueError`` or ``TypeError`` with a one-line message;
the CLI turns them into exit status 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
from typing import Any

import numpy as np

__all__ = ["MODELS", "ModelSpec", "model_class", "training_data", "held_out_data", "train", "sample", "require_torch",
           "label_from_prompt"]


# The model table lives with the registry's metadata, so that building the parser
# (and `mlatlas list`) imports no model package.
from ..atlas.models import MODELS, ModelSpec  # noqa: E402

#: Digit words a prompt may use (English and Chinese), the stand-in for a text encoder.
DIGIT_WORDS = {
    **{w: i for i, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                   "nine"))},
    **{w: i for i, w in enumerate("零一二三四五六七八九")},
    "〇": 0, "两": 2,
}


def require_torch() -> None:
    """Raise ValueError naming the ``deep`` extra when PyTorch is not installed."""
    if importlib.util.find_spec("torch") is None:
        raise ValueError("training and sampling need PyTorch, which is not installed "
                         "(pip install 'mlatlas[deep]').")


def _spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}.")
    return MODELS[name]


def model_class(name: str) -> type:
    """The model class of a CLI name (a key of :data:`MODELS`)."""
    module, _, qualname = _spec(name).target.partition(":")
    return getattr(importlib.import_module(module), qualname)


def wants_binary(model: Any) -> bool:
    """True for a Bernoulli likelihood on the pixels (the model's ``binary_pixels()`` says so)."""
    says = getattr(model, "binary_pixels", None)
    return bool(says()) if callable(says) else False


def label_from_prompt(prompt: str) -> int:
    """The digit a prompt asks for: a numeral ("7"), an English word ("seven", "a seven")
    or a Chinese one ("七"); a ValueError otherwise.

    At this scale a prompt stands in for a text encoder: the digit it names becomes
    the class label the model is conditioned on.
    """
    text = " ".join(str(prompt).lower().split())
    found = {int(d) for d in re.findall(r"\d", text)}
    found |= {DIGIT_WORDS[w] for w in re.findall(r"[a-z]+", text) if w in DIGIT_WORDS}
    found |= {DIGIT_WORDS[c] for c in text if c in DIGIT_WORDS}
    if len(found) != 1:
        what = "no digit" if not found else f"several digits ({', '.join(map(str, sorted(found)))})"
        raise ValueError(f"--prompt {prompt!r} names {what}; name one digit, e.g. 'seven', '七' or '7'.")
    return found.pop()


def _as_images(X: np.ndarray, where: str) -> np.ndarray:
    """(n, C, H, W) from (n, H, W), (n, H*W) or (n, C, H, W); checked to lie in [0, 1]."""
    from .base import check_images

    X = np.asarray(X)
    if X.ndim == 3:
        X = X[:, None, :, :]
    try:
        return check_images(X, name=where)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _load_images(data: str | None) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The images (n, C, H, W) in [0, 1] of ``--data`` (see :func:`training_data`), labels and a name."""
    from .. import datasets

    if os.path.exists(data):
        dataset = datasets.load_file(data)
        raw = dataset.images if dataset.images is not None else dataset.X
        raw = np.asarray(raw)
        # IDX files hold bytes 0..255
        if "idx" in os.path.basename(data).lower() and raw.size and raw.max() > 1:
            raw = raw / 255.0
        where = f"--data {data}"
    elif data in datasets.available():
        dataset = datasets.load(data)
        if dataset.images is None:
            raise ValueError(f"--data {data!r} is not an image dataset; expected images such as 'digits'.")
        raw = np.asarray(dataset.images, dtype=np.float64)
        # x = pixel / largest pixel value of the format (16 for the 8x8 digits, else 255)
        raw = raw / (16.0 if raw.max() <= 16 else 255.0)
        where = f"--data {data}"
    else:
        raise ValueError(f"--data {data!r} is neither a file nor a dataset name "
                         f"(datasets: {', '.join(datasets.available())}).")
    X = _as_images(raw, where)
    y = None if dataset.y is None else np.asarray(dataset.y)
    return X, y, os.path.basename(data)


def _standard_split(binarize: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from ..metrics import digits_split

    X_train, X_test, y_train, y_test = digits_split(binary=binarize)
    return X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8), y_train, y_test


def training_data(data: str | None, binarize: bool) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Images (n, C, H, W) float32 in [0, 1], their labels (or None) and a name for them.

    Parameters
    ----------
    data : str or None
        None (or ``"digits"``) for the training half of the 8x8 digits' standard split
        (:func:`mlatlas.metrics.digits_split`: halves, stratified by class; the atlas's
        entries train on the same images); another dataset name of
        :mod:`mlatlas.datasets` holding images (scaled by their largest possible value:
        16 for the digits, 255 for bytes); or a local ``.npz`` (array ``X`` in [0, 1],
        optional ``y``) or MNIST IDX image file (bytes, scaled by 255), used whole.
    binarize : bool
        Threshold the pixels (for Bernoulli likelihoods): the digits at pixel > 8,
        other images at 0.5.
    """
    if data is None or data == "digits":
        X_train, _, y_train, _ = _standard_split(binarize)
        return X_train, y_train, "digits (standard split, training half)"
    X, y, name = _load_images(data)
    if binarize:
        X = (X > 0.5).astype(np.float32)
    return X, y, name


def held_out_data(data: str | None, binarize: bool) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The images a training run's record describes: the test half of the digits' standard split
    for the default data (as :func:`training_data` prepares them), None for other data."""
    if data is None or data == "digits":
        _, X_test, _, y_test = _standard_split(binarize)
        return X_test, y_test
    return None


def train(name: str, params: dict, *, out: str, data: str | None = None, resume: bool = False,
          progress: bool | None = None) -> Any:
    """Fit (or resume) the model ``name`` into the folder ``out``; return the fitted model.

    The run's checkpoints go to ``out/checkpoints``; the final model is saved in
    ``out/model`` (``model.safetensors`` and its JSON) and the loss history to
    ``out/record.json`` + ``out/arrays.npz``.  ``params`` holds config fields
    (``epochs`` and ``device`` included).  A fresh run into a folder that already holds
    a run is refused; ``resume=True`` continues it up to ``params["epochs"]`` (the other
    fields come from the saved run).
    """
    spec = _spec(name)
    if not spec.torch:
        return _train_numpy(name, params, out=out, data=data, resume=resume)
    require_torch()
    cls = model_class(name)
    checkpoints = os.path.join(out, "checkpoints")
    has_run = os.path.isdir(checkpoints) and bool(os.listdir(checkpoints))
    if resume:
        if not has_run:
            raise ValueError(f"--resume: {out!r} holds no training run to continue (no {checkpoints!r}).")
        from .checkpoint import load_checkpoint

        saved = load_checkpoint(checkpoints)
        if not isinstance(saved, cls):
            raise ValueError(f"--resume: {out!r} holds a run of {type(saved).__name__}, not of {cls.__name__} "
                             f"({name}).")
        # the saved run's config; the command line may change the total epochs and the device
        model = cls(**{**saved.get_config(), **params})
    else:
        if has_run or os.path.exists(os.path.join(out, "model")):
            raise ValueError(f"--out {out!r} already holds a training run; use --resume to continue it "
                             "or another --out.")
        model = cls(**params)
    X, y, data_name = training_data(data, wants_binary(model))
    snapshots = None
    if getattr(cls, "training_snapshots", 0):
        from .base import SampleSnapshots, snapshot_epochs

        # samples at a few epochs (those this run trains through; a resumed run adds the later ones)
        snapshots = SampleSnapshots(snapshot_epochs(model.config.epochs), cls.training_snapshots,
                                    int(model.config.random_state or 0))
    model.fit(X, y, checkpoint_dir=checkpoints, resume=resume, progress=progress, callback=snapshots)
    model.save(os.path.join(out, "model"))
    _write_record(model, name, data_name, out, held_out_data(data, wants_binary(model)), snapshots, X, y)
    return model


def _train_numpy(name: str, params: dict, *, out: str, data: str | None, resume: bool) -> Any:
    """Fit a NumPy model (no checkpoints: an epoch is seconds) and save it with ``save_model``."""
    from ..persistence import save_model

    if resume:
        raise ValueError(f"--resume: {name} trains in one go (it keeps no checkpoints); run it again.")
    if os.path.exists(os.path.join(out, "model")):
        raise ValueError(f"--out {out!r} already holds a training run; use another --out.")
    cls = model_class(name)
    params = dict(params)
    if "epochs" in params and "epochs" not in cls().get_params():
        params["n_iter"] = params.pop("epochs")
    params.pop("device", None)
    try:
        model = cls(**params)
    except TypeError as exc:
        raise ValueError(f"{name}: {exc}") from None
    X, y, data_name = training_data(data, wants_binary(model))
    model.fit(X.reshape(len(X), -1), y)
    os.makedirs(os.path.join(out, "model"), exist_ok=True)
    save_model(model, os.path.join(out, "model", "model.npz"))
    _write_record(model, name, data_name, out, held_out_data(data, wants_binary(model)), None, X, y)
    return model


def _config(model: Any) -> dict:
    if hasattr(model, "get_config"):
        return model.get_config()
    return {k: v for k, v in model.get_params(deep=False).items()
            if v is None or isinstance(v, (bool, int, float, str, tuple, list))}


def _write_record(model: Any, name: str, data_name: str, out: str, held_out: tuple | None = None,
                  snapshots: Any = None, X_train: Any = None, y_train: Any = None) -> None:
    """The training run as a run record in ``out`` (``record.json`` + ``arrays.npz``), drawable by
    ``mlatlas draw out`` with the figures of the atlas entry ``name``.

    The record's arrays are :func:`mlatlas.atlas.families.generative.model_arrays`: one
    ``history.<column>`` per column of ``model.history_``, what the model's hook
    ``record_arrays(X, y)`` returns for the held-out images (the test half of the digits
    by default; at most 1000 training images for other data), and the samples a
    :class:`~mlatlas.generative.base.SampleSnapshots` callback took during training.
    A model without ``record_arrays`` records its history only.  The one
    row holds the last epoch's losses.
    """
    from ..atlas.families.generative import model_arrays
    from ..atlas.record import ModelRow, RunRecord, library_versions

    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in _config(model).items()}
    seed = int(config.get("random_state") or 0)
    if held_out is None and X_train is not None:
        held_out = (X_train[:1000], None if y_train is None else y_train[:1000])
    X_test, y_test = held_out if held_out is not None else (None, None)
    if X_test is not None and not hasattr(model, "record_arrays"):
        X_test = None
    arrays = model_arrays(model, X_test, y_test, seed=seed, snapshots=snapshots)
    history = list(getattr(model, "history_", []) or [])
    final = {key[len("history."):]: float(value[-1]) for key, value in arrays.items()
             if key.startswith("history.") and len(value)} if history else {}
    record = RunRecord(entry=name, dataset=data_name, seed=seed, params=config,
                       rows=[ModelRow("mlatlas", {f"final_{k}": v for k, v in final.items()
                                                  if k not in ("epoch", "step", "seconds")})],
                       arrays=arrays, info={"final": final, "model": type(model).__name__,
                                            "held_out": held_out is not None and data_name.startswith("digits")},
                       versions=library_versions(),
                       timing_note="")
    record.save(out)


def _load_for_sampling(name: str, checkpoint: str) -> Any:
    if not os.path.exists(checkpoint):
        raise ValueError(f"--checkpoint {checkpoint!r}: no such folder.")
    spec = _spec(name)
    if not spec.torch:
        from ..persistence import load_model

        path = checkpoint
        for candidate in (os.path.join(checkpoint, "model", "model.npz"), os.path.join(checkpoint, "model.npz")):
            if os.path.isfile(candidate):
                path = candidate
                break
        cls = model_class(name)
        model = load_model(path)
        if not isinstance(model, cls):
            raise ValueError(f"--checkpoint {checkpoint!r} holds a {type(model).__name__}, not a {cls.__name__} "
                             f"({name}).")
        return model
    require_torch()
    cls = model_class(name)
    # a folder written by `mlatlas train` holds the final model in model/
    final = os.path.join(checkpoint, "model")
    return cls.load(final if os.path.isdir(final) else checkpoint)


def sample(name: str, checkpoint: str, n: int, out: str, label: int | None = None,
           random_state: int | None = None, prompt: str | None = None, **options: Any) -> tuple[str, str]:
    """Draw ``n`` images from the saved model ``name``; write ``out.npz`` and ``out.png``.

    ``out`` may end in ``.npz`` or ``.png`` (the suffix is dropped).  ``out.npz``
    holds ``x`` (n, C, H, W) float32 in [0, 1] and, with ``label``, ``y`` (n,).
    ``checkpoint`` is a folder written by :func:`train` (its ``model/`` is loaded), a
    saved model or a run's checkpoint folder.  ``prompt`` names the label as a word
    (:func:`label_from_prompt`).  ``options`` (e.g. ``steps``, ``method``, ``guidance``)
    go to the model's ``sample`` when it takes them; a model that does not is an error.
    Returns the two paths written.
    """
    if prompt is not None:
        if label is not None:
            raise ValueError("give --label or --prompt, not both.")
        label = label_from_prompt(prompt)
    model = _load_for_sampling(name, checkpoint)
    accepted = inspect.signature(model.sample).parameters
    for key in options:
        if key not in accepted:
            raise ValueError(f"{name} sampling takes no --{key.replace('_', '-')}.")
    if label is not None and "labels" not in accepted:
        raise ValueError(f"{name} is not a conditional model; it takes no --label or --prompt.")
    labels = None if label is None else np.full(n, label, dtype=np.int64)
    kwargs = {"labels": labels} if "labels" in accepted else {}
    if "random_state" in accepted:
        kwargs["random_state"] = random_state
    x = model.sample(n, **kwargs, **options)
    stem = out[:-4] if out.lower().endswith((".npz", ".png")) else out
    folder = os.path.dirname(stem)
    if folder:
        os.makedirs(folder, exist_ok=True)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:  # flat pixels of square images (the NumPy models)
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"{name} drew vectors of {x.shape[1]} values, not square images.")
        x = x.reshape(len(x), 1, side, side)
    arrays = {"x": x}
    if labels is not None:
        arrays["y"] = labels
    np.savez(stem + ".npz", **arrays)
    _grid_png(arrays["x"], stem + ".png")
    return stem + ".npz", stem + ".png"


def _grid_png(x: np.ndarray, path: str) -> None:
    """The images ``x`` (n, C, H, W) as one gray grid, about square."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n, c, h, w = x.shape
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.ones((rows * (h + 1) - 1, cols * (w + 1) - 1), dtype=np.float32)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[r * (h + 1):r * (h + 1) + h, k * (w + 1):k * (w + 1) + w] = x[i].mean(axis=0)
    fig, ax = plt.subplots(figsize=(max(2.0, cols * 0.6), max(2.0, rows * 0.6)))
    ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
