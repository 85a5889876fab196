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

import importlib.util
import os
from typing import Any

import numpy as np

__all__ = ["MODELS", "model_class", "training_data", "train", "sample", "require_torch"]

#: CLI name -> class name in :mod:`mlatlas.generative`.
MODELS = {
    "ae": "Autoencoder",
    "sparse-ae": "SparseAutoencoder",
    "denoising-ae": "DenoisingAutoencoder",
    "vae": "VAE",
    "gan": "GAN",
}


def require_torch() -> None:
    """Raise ValueError naming the ``deep`` extra when PyTorch is not installed."""
    if importlib.util.find_spec("torch") is None:
        raise ValueError("training and sampling need PyTorch, which is not installed "
                         "(pip install 'mlatlas[deep]').")


def model_class(name: str) -> type:
    """The model class of a CLI name (``ae``, ``sparse-ae``, ``denoising-ae``, ``vae``, ``gan``)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}.")
    from .. import generative

    return getattr(generative, MODELS[name])


def wants_binary(model: Any) -> bool:
    """True for a Bernoulli likelihood on the pixels: the VAE with its Bernoulli decoder."""
    return type(model).__name__ == "VAE" and model.get_config().get("decoder") == "bernoulli"


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


def training_data(data: str | None, binarize: bool) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Images (n, C, H, W) float32 in [0, 1], their labels (or None) and a name for them.

    Parameters
    ----------
    data : str or None
        None for the 8x8 digits; a dataset name of :mod:`mlatlas.datasets` holding
        images (scaled by their largest possible value: 16 for the digits, 255 for
        bytes); or a local ``.npz`` (array ``X`` in [0, 1], optional ``y``) or MNIST
        IDX image file (bytes, scaled by 255).
    binarize : bool
        Threshold the pixels at 0.5 (for Bernoulli likelihoods).
    """
    from .. import datasets

    if data is None:
        data = "digits"
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
    if binarize:
        X = (X > 0.5).astype(np.float32)
    y = None if dataset.y is None else np.asarray(dataset.y)
    return X, y, os.path.basename(data)


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
    model.fit(X, y, checkpoint_dir=checkpoints, resume=resume, progress=progress)
    model.save(os.path.join(out, "model"))
    _write_record(model, name, data_name, out)
    return model


def _write_record(model: Any, name: str, data_name: str, out: str) -> None:
    """The run's history as a run record: one array per history column."""
    from ..atlas.record import RunRecord

    history = list(getattr(model, "history_", []) or [])
    columns = sorted({key for row in history for key, value in row.items()
                      if isinstance(value, (int, float, np.number))})
    arrays = {f"history_{key}": np.array([float(row.get(key, np.nan)) for row in history]) for key in columns}
    final = {key: float(arrays[f"history_{key}"][-1]) for key in columns} if history else {}
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_config().items()}
    record = RunRecord(entry=name, dataset=data_name, seed=int(config.get("random_state") or 0),
                       params=config, rows=[], arrays=arrays, info={"final": final, "model": type(model).__name__})
    record.save(out)


def sample(name: str, checkpoint: str, n: int, out: str, label: int | None = None,
           random_state: int | None = None) -> tuple[str, str]:
    """Draw ``n`` images from the saved model ``name``; write ``out.npz`` and ``out.png``.

    ``out`` may end in ``.npz`` or ``.png`` (the suffix is dropped).  ``out.npz``
    holds ``x`` (n, C, H, W) float32 in [0, 1] and, with ``label``, ``y`` (n,).
    ``checkpoint`` is a folder written by :func:`train` (its ``model/`` is loaded), a
    saved model or a run's checkpoint folder.  Returns the two paths written.
    """
    require_torch()
    cls = model_class(name)
    if not os.path.exists(checkpoint):
        raise ValueError(f"--checkpoint {checkpoint!r}: no such folder.")
    # a folder written by `mlatlas train` holds the final model in model/
    final = os.path.join(checkpoint, "model")
    model = cls.load(final if os.path.isdir(final) else checkpoint)
    labels = None if label is None else np.full(n, label, dtype=np.int64)
    x = model.sample(n, labels=labels, random_state=random_state)
    stem = out[:-4] if out.lower().endswith((".npz", ".png")) else out
    folder = os.path.dirname(stem)
    if folder:
        os.makedirs(folder, exist_ok=True)
    arrays = {"x": np.asarray(x, dtype=np.float32)}
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
