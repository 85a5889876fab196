"""Checkpoints of the generative models: safetensors + JSON, written atomically, read without pickle.

A checkpoint is a directory of three files:

``model.safetensors``
    The network's weights (``network.<name>``) and, when the config keeps a moving
    average, its weights too (``ema.<name>``).
``optimizer.safetensors``
    Every tensor of every optimiser's state, one entry ``<phase>.<parameter index>.<name>``
    (Adam's ``step``, ``exp_avg``, ``exp_avg_sq``).
``config.json``
    The format name and version; the model's class by its stable public name
    (``"mlatlas.generative.VAE"``); its config; the image shape; the training
    position (step, epoch, batch in the epoch, the epoch's running sums) and seed;
    ``history_``; the optimisers' non-tensor state (their parameter groups) and the
    learning-rate schedules' state; the noise generator's state; the moving
    average's decay and count; the SHA-256 of both tensor files; the versions of
    mlatlas, PyTorch, safetensors, NumPy and Python that wrote it.

What loading can and cannot do
------------------------------
Tensors are read with :mod:`safetensors` only, which holds raw numbers and no code:
nothing is unpickled and ``torch.load`` is never called.  The class is looked up by
name in an explicit allow-list (:func:`model_classes`, the generative model classes
of mlatlas), never imported from a name the file gives; the config goes through the
same field checks as the model's constructor; every tensor must have the name, shape
and dtype the rebuilt model expects; the optimiser and schedule state must have the
keys and types a fresh one has.  Anything else (a missing or extra file, bad JSON, an
unknown format or version, a class outside the allow-list, a tensor file that does not
match its recorded hash, a shape mismatch) raises :class:`CheckpointError`, a
``ValueError`` whose message names the directory and what is wrong.

Atomic writes
-------------
A checkpoint is written into a new temporary directory beside its target and renamed
into place only when complete (``os.replace``).  A training run keeps its checkpoints
as sub-directories ``step-000000123`` of its folder and a file ``latest`` naming the
newest one; ``latest`` is itself replaced atomically after the new directory is in
place, so a crash at any moment leaves ``latest`` naming a complete checkpoint.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from mlatlas.generative import Autoencoder
>>> X = np.random.default_rng(0).random((16, 64)).astype("float32")
>>> model = Autoencoder(code_dim=3, epochs=1, random_state=0).fit(X)
>>> path = os.path.join(tempfile.mkdtemp(), "ae")
>>> model.save(path)
>>> sorted(os.listdir(path))
['config.json', 'model.safetensors', 'optimizer.safetensors']
>>> np.array_equal(Autoencoder.load(path).encode(X), model.encode(X))
True
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import platform
import re
import shutil
import tempfile
from typing import Any

from .._atomic import atomic_write

__all__ = ["CheckpointError", "FORMAT", "FORMAT_VERSION", "model_classes", "public_name", "save", "load", "load_checkpoint",
           "write_run_checkpoint", "latest_checkpoint", "step_folder_name", "read_header"]

FORMAT = "mlatlas-generative-checkpoint"
FORMAT_VERSION = 1
READABLE_VERSIONS = (1,)
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
CONFIG_FILE = "config.json"
LATEST_FILE = "latest"
MAX_CONFIG_BYTES = 64 * 2**20

# The allow-list: stable public name -> (module of mlatlas.generative, class name).  Both
# parts come from this table; a name read from a file is only compared with its keys.
_MODEL_CLASSES = {
    "mlatlas.generative.Autoencoder": ("autoencoders", "Autoencoder"),
    "mlatlas.generative.SparseAutoencoder": ("autoencoders", "SparseAutoencoder"),
    "mlatlas.generative.DenoisingAutoencoder": ("autoencoders", "DenoisingAutoencoder"),
    "mlatlas.generative.VAE": ("vae", "VAE"),
    "mlatlas.generative.GAN": ("gan", "GAN"),
    "mlatlas.generative.DDPM": ("diffusion.ddpm", "DDPM"),
}
_HEADER_KEYS = {"format", "version", "class", "config", "image_shape", "training", "history", "optimizers",
                "schedulers", "rng", "ema", "files", "versions"}
_STEP_FOLDER = re.compile(r"step-\d{9}")


class CheckpointError(ValueError):
    """A checkpoint directory that is missing, malformed, or not one mlatlas wrote.

    The message starts with the directory and says what is wrong.
    """


def model_classes() -> dict[str, type]:
    """The allow-list of classes a checkpoint may hold: public name -> class.

    Examples
    --------
    >>> model_classes()["mlatlas.generative.VAE"].__name__
    'VAE'
    >>> "mlatlas.generative.DDPM" in model_classes()
    True
    """
    return {name: getattr(importlib.import_module(f"mlatlas.generative.{module}"), attr)
            for name, (module, attr) in _MODEL_CLASSES.items()}


def public_name(cls: type) -> str:
    """The stable name under which checkpoints record ``cls``.

    Raises
    ------
    TypeError
        If ``cls`` is not one of the allowed classes.

    Examples
    --------
    >>> from mlatlas.generative import VAE
    >>> public_name(VAE)
    'mlatlas.generative.VAE'
    """
    for name, klass in model_classes().items():
        if klass is cls:
            return name
    raise TypeError(f"checkpoints hold the generative models of mlatlas ({', '.join(sorted(_MODEL_CLASSES))}); "
                    f"got {getattr(cls, '__qualname__', cls)!r}.")


def step_folder_name(step: int) -> str:
    """The name of a run's checkpoint after ``step`` steps: ``step-000000123``."""
    return f"step-{int(step):09d}"


def _versions() -> dict:
    import numpy
    import safetensors
    import torch

    from .. import __version__

    return {"mlatlas": __version__, "torch": torch.__version__, "safetensors": safetensors.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- writing
def _optimizer_payload(optimizers: dict) -> tuple[dict, dict]:
    """Optimiser state dicts split into tensors (for safetensors) and JSON."""
    import torch

    tensors, meta = {}, {}
    for phase, optimizer in optimizers.items():
        state = optimizer.state_dict()
        scalars: dict = {}
        for index, values in state["state"].items():
            for name, value in values.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"{phase}.{index}.{name}"] = value.detach().cpu().contiguous()
                else:
                    scalars.setdefault(str(index), {})[name] = value
        groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()}
                  for group in state["param_groups"]]
        meta[phase] = {"param_groups": groups, "state": scalars}
    return tensors, meta


def _write_files(folder: str, model: Any) -> None:
    """Write the three files of ``model``'s checkpoint into the (new, empty) ``folder``."""
    from ._torch import import_safetensors

    save_file = import_safetensors().save_file
    from .config import config_to_dict
    from .training import generator_state

    state = model._training
    weights = {f"network.{k}": v.detach().cpu().contiguous() for k, v in model.network_.state_dict().items()}
    if model.ema_ is not None:
        weights.update({f"ema.{k}": v.detach().cpu().contiguous() for k, v in model.ema_.shadow.items()})
    opt_tensors, opt_meta = _optimizer_payload(state.optimizers)
    files = {}
    for name, tensors in ((MODEL_FILE, weights), (OPTIMIZER_FILE, opt_tensors)):
        path = os.path.join(folder, name)
        save_file(tensors, path, metadata={"format": FORMAT})
        files[name] = _sha256(path)
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "class": public_name(type(model)),
        "config": config_to_dict(model.config),
        "image_shape": list(model.image_shape_),
        "training": {"seed": state.seed, "step": state.step, "epoch": state.epoch, "batch": state.batch,
                     "count": state.count, "seconds": state.seconds, "sums": dict(state.sums),
                     "data": state.data, "schedule_epochs": state.schedule_epochs},
        "history": [dict(row) for row in model.history_],
        "optimizers": opt_meta,
        "schedulers": {phase: (None if s is None else s.state_dict()) for phase, s in state.schedulers.items()},
        "rng": {"noise": generator_state(state.generator)},
        "ema": None if model.ema_ is None else {"decay": model.ema_.decay, "n_updates": model.ema_.n_updates},
        "files": files,
        "versions": _versions(),
    }
    with open(os.path.join(folder, CONFIG_FILE), "w", encoding="utf-8") as handle:
        json.dump(header, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    for name in (MODEL_FILE, OPTIMIZER_FILE):
        with open(os.path.join(folder, name), "rb+") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(folder)


def _is_checkpoint_dir(path: str) -> bool:
    try:
        with open(os.path.join(path, CONFIG_FILE), "rb") as handle:
            return json.loads(handle.read(MAX_CONFIG_BYTES)).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def save(path: str | os.PathLike, model: Any) -> str:
    """Write ``model``'s checkpoint to the directory ``path``, atomically.

    The files go to a temporary directory beside ``path``, which is renamed to
    ``path`` once complete.  An existing ``path`` is replaced only if it is an
    mlatlas checkpoint or an empty directory (anything else is refused): it is first
    renamed aside, then removed once the new one is in place.

    Parameters
    ----------
    path : path-like
    model : GenerativeModel
        A fitted model.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    CheckpointError
        If ``path`` exists and is neither a checkpoint nor an empty directory.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.lexists(path) and not (os.path.isdir(path) and (not os.listdir(path) or _is_checkpoint_dir(path))):
        raise CheckpointError(f"{path}: exists and is not an mlatlas checkpoint directory; refusing to replace it "
                              "(choose a new or empty folder).")
    parent, name = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent)
    try:
        _write_files(tmp, model)
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent)
            os.rmdir(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def latest_checkpoint(run_dir: str | os.PathLike) -> str | None:
    """The newest checkpoint of a run folder (what its ``latest`` file names), or None.

    Raises
    ------
    CheckpointError
        If ``latest`` exists but does not name a checkpoint sub-directory.
    """
    run_dir = os.fspath(run_dir)
    pointer = os.path.join(run_dir, LATEST_FILE)
    if not os.path.isfile(pointer):
        return None
    try:
        with open(pointer, encoding="utf-8") as handle:
            name = handle.read(256).strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{run_dir}: cannot read {LATEST_FILE} ({exc}).") from None
    if not _STEP_FOLDER.fullmatch(name):
        raise CheckpointError(f"{run_dir}: {LATEST_FILE} must name a checkpoint folder such as "
                              f"'step-000000100'; it holds {name[:40]!r}.")
    folder = os.path.join(run_dir, name)
    if not os.path.isdir(folder):
        raise CheckpointError(f"{run_dir}: {LATEST_FILE} names {name}, which does not exist.")
    return folder


def write_run_checkpoint(run_dir: str | os.PathLike, model: Any, keep: int = 2) -> str:
    """Add a checkpoint of ``model`` to a run folder and make it the latest.

    Writes ``run_dir/step-<step>`` (atomically, :func:`save`), then replaces
    ``run_dir/latest`` (a temporary file renamed over it), then removes all but the
    ``keep`` newest checkpoints.

    Returns
    -------
    str
        The new checkpoint's directory.
    """
    run_dir = os.path.abspath(os.fspath(run_dir))
    os.makedirs(run_dir, exist_ok=True)
    name = step_folder_name(model._training.step)
    folder = save(os.path.join(run_dir, name), model)
    atomic_write(os.path.join(run_dir, LATEST_FILE), lambda handle: handle.write((name + "\n").encode("utf-8")))
    _fsync_dir(run_dir)
    # keep the `keep` newest checkpoints (by step), never the one just written
    folders = sorted(d for d in os.listdir(run_dir) if _STEP_FOLDER.fullmatch(d))
    for stale in folders[:-keep]:
        if stale != name:
            shutil.rmtree(os.path.join(run_dir, stale), ignore_errors=True)
    return folder


# --------------------------------------------------------------------------- reading
def _resolve(path: str) -> str:
    """A checkpoint directory: ``path`` itself, or the latest checkpoint of a run folder."""
    if not os.path.exists(path):
        raise CheckpointError(f"{path}: no such checkpoint directory.")
    if not os.path.isdir(path):
        raise CheckpointError(f"{path}: not a directory (a checkpoint is a directory holding "
                              f"{CONFIG_FILE}, {MODEL_FILE} and {OPTIMIZER_FILE}).")
    if not os.path.exists(os.path.join(path, CONFIG_FILE)):
        latest = latest_checkpoint(path)
        if latest is not None:
            return latest
        raise CheckpointError(f"{path}: not an mlatlas checkpoint ({CONFIG_FILE} is missing, and there is no "
                              f"{LATEST_FILE} file of a training run).")
    return path


def read_header(path: str | os.PathLike) -> tuple[str, dict]:
    """The checkpoint directory ``path`` resolves to and its checked ``config.json``.

    Only the JSON is read and checked (format, version, keys, the class in the
    allow-list); the tensors are checked by :func:`load`.

    Returns
    -------
    folder : str
    header : dict

    Raises
    ------
    CheckpointError
    """
    folder = _resolve(os.fspath(path))
    config_path = os.path.join(folder, CONFIG_FILE)

    def fail(message: str):
        raise CheckpointError(f"{folder}: {message}.")

    try:
        if os.path.getsize(config_path) > MAX_CONFIG_BYTES:
            fail(f"{CONFIG_FILE} is larger than {MAX_CONFIG_BYTES} bytes")
        with open(config_path, "rb") as handle:
            header = json.loads(handle.read().decode("utf-8"))
    except CheckpointError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        fail(f"{CONFIG_FILE} is not readable JSON ({type(exc).__name__}: {str(exc)[:200]})")
    if not isinstance(header, dict):
        fail(f"{CONFIG_FILE} must hold a JSON object; it holds a {type(header).__name__}")
    if header.get("format") != FORMAT:
        fail(f"not an mlatlas checkpoint ({CONFIG_FILE} has format {str(header.get('format'))[:80]!r}, "
             f"expected {FORMAT!r})")
    version = header.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        fail(f"checkpoint format version {repr(version)[:40]} is not supported (this mlatlas reads "
             f"{', '.join(map(str, READABLE_VERSIONS))})")
    if set(header) != _HEADER_KEYS:
        extra, missing = sorted(set(header) - _HEADER_KEYS), sorted(_HEADER_KEYS - set(header))
        fail(f"{CONFIG_FILE} " + (f"has unexpected key {extra[0][:40]!r}" if extra else f"lacks key {missing[0]!r}"))
    name = header["class"]
    if not isinstance(name, str) or name not in _MODEL_CLASSES:
        fail(f"class {str(name)[:80]!r} is not allowed; checkpoints hold one of {', '.join(sorted(_MODEL_CLASSES))}")
    return folder, header


def _check(condition: bool, fail, message: str) -> None:
    if not condition:
        fail(message)


def _is_int(value: Any, low: int = 0) -> bool:
    return type(value) is int and value >= low


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _read_tensors(folder: str, name: str, expected_hash: Any, fail) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        fail(f"{name} is missing")
    if _sha256(path) != expected_hash:
        fail(f"{name} does not match the SHA-256 recorded in {CONFIG_FILE} (a different or damaged file)")
    try:
        return load_file(path, device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        fail(f"{name} is not a readable safetensors file ({type(exc).__name__}: {str(exc)[:200]})")


def _match_tensors(found: dict, expected: dict, what: str, fail) -> None:
    """Every expected tensor present with its shape and dtype, and nothing else."""
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing:
        fail(f"{what} lacks tensor {missing[0]!r}")
    if extra:
        fail(f"{what} has unexpected tensor {extra[0][:80]!r}")
    for key, reference in expected.items():
        tensor = found[key]
        if tuple(tensor.shape) != tuple(reference.shape):
            fail(f"{what}: tensor {key!r} has shape {tuple(tensor.shape)}, the model expects {tuple(reference.shape)}")
        if tensor.dtype != reference.dtype:
            fail(f"{what}: tensor {key!r} has dtype {tensor.dtype}, the model expects {reference.dtype}")


def _same_kind(value: Any, reference: Any) -> bool:
    """True when a JSON value has the type of the value a fresh object holds."""
    if isinstance(reference, bool) or reference is None:
        return value is reference or (isinstance(reference, bool) and isinstance(value, bool))
    if isinstance(reference, (int, float)):
        return _is_number(value) and not isinstance(value, bool)
    if isinstance(reference, str):
        return isinstance(value, str)
    if isinstance(reference, (list, tuple)):
        return isinstance(value, list) and len(value) == len(reference) and all(
            _same_kind(v, r) for v, r in zip(value, reference))
    return False


def _restore_optimizer(optimizer: Any, phase: str, tensors: dict, meta: Any, fail) -> None:
    fresh = optimizer.state_dict()
    _check(isinstance(meta, dict) and set(meta) == {"param_groups", "state"}, fail,
           f"optimizers.{phase} must hold 'param_groups' and 'state'")
    groups = meta["param_groups"]
    _check(isinstance(groups, list) and len(groups) == len(fresh["param_groups"]), fail,
           f"optimizers.{phase}.param_groups must be a list of {len(fresh['param_groups'])} groups")
    restored_groups = []
    for i, (group, reference) in enumerate(zip(groups, fresh["param_groups"])):
        _check(isinstance(group, dict) and set(group) == set(reference), fail,
               f"optimizers.{phase}.param_groups[{i}] must have the keys {sorted(reference)}")
        for key, value in group.items():
            if key == "params":
                _check(value == reference["params"], fail, f"optimizers.{phase}.param_groups[{i}].params "
                       "does not match the model's parameters")
            elif not _same_kind(value, reference[key]):
                fail(f"optimizers.{phase}.param_groups[{i}].{key} must be like {reference[key]!r}; "
                     f"got {str(value)[:80]}")
        restored_groups.append({k: (tuple(v) if isinstance(reference[k], tuple) else v) for k, v in group.items()})
    params = [p for group in optimizer.param_groups for p in group["params"]]
    scalars = meta["state"]
    _check(isinstance(scalars, dict), fail, f"optimizers.{phase}.state must be an object")
    state: dict = {}
    for key, tensor in tensors.items():
        index_text, name = key.split(".", 1)
        _check(index_text.isdigit() and int(index_text) < len(params) and re.fullmatch(r"[a-z_]+", name)
               is not None, fail, f"{OPTIMIZER_FILE}: unexpected tensor {key[:80]!r} for phase {phase!r}")
        index = int(index_text)
        shape = () if name == "step" else tuple(params[index].shape)
        _check(tuple(tensor.shape) == shape, fail, f"{OPTIMIZER_FILE}: tensor {key!r} has shape "
               f"{tuple(tensor.shape)}, the parameter needs {shape}")
        state.setdefault(index, {})[name] = tensor
    for index_text, values in scalars.items():
        _check(index_text.isdigit() and int(index_text) < len(params) and isinstance(values, dict)
               and all(isinstance(k, str) and _is_number(v) for k, v in values.items()), fail,
               f"optimizers.{phase}.state[{index_text[:20]!r}] must map names to numbers")
        state.setdefault(int(index_text), {}).update(values)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": restored_groups})
    except (ValueError, KeyError, RuntimeError, TypeError) as exc:
        fail(f"optimizer state of phase {phase!r} cannot be restored ({type(exc).__name__}: {str(exc)[:200]})")


def _restore_scheduler(scheduler: Any, phase: str, saved: Any, fail) -> None:
    if scheduler is None:
        _check(saved is None, fail, f"schedulers.{phase} must be null for the config's lr_schedule")
        return
    fresh = scheduler.state_dict()
    _check(isinstance(saved, dict) and set(saved) == set(fresh), fail,
           f"schedulers.{phase} must have the keys {sorted(fresh)}")
    for key, value in saved.items():
        _check(_same_kind(value, fresh[key]), fail, f"schedulers.{phase}.{key} must be like {fresh[key]!r}; "
               f"got {str(value)[:80]}")
    scheduler.load_state_dict(saved)


def load(path: str | os.PathLike, expected_class: type | None = None, device: str | None = None) -> Any:
    """Rebuild the model saved in a checkpoint (or the latest checkpoint of a run folder).

    Parameters
    ----------
    path : path-like
        A checkpoint directory, or a run folder whose ``latest`` file names one.
    expected_class : type, optional
        Refuse a checkpoint of any other class (the models' ``load`` pass their own).
    device : str, optional
        Where to put the model: ``"cpu"``, ``"cuda"``, ``"auto"``; default the saved
        config's device when available, else the CPU.

    Returns
    -------
    GenerativeModel
        The model with its weights, moving average, ``history_`` and the full
        training state (so ``fit(..., resume=True)`` continues exactly).

    Raises
    ------
    CheckpointError
        (a ValueError) For anything that is not a complete checkpoint written by
        mlatlas; the message names the directory and the problem.
    """
    from ._torch import import_safetensors, import_torch

    torch = import_torch()
    import_safetensors()
    from .config import config_from_dict
    from .training import EMA, TrainingState, make_optimizers, set_generator_state

    folder, header = read_header(path)

    def fail(message: str):
        raise CheckpointError(f"{folder}: {message}.")

    cls = model_classes()[header["class"]]
    if expected_class is not None and cls is not expected_class and expected_class.__name__ != "GenerativeModel":
        fail(f"holds a {cls.__name__} checkpoint, not a {expected_class.__name__} one")
    try:
        config = config_from_dict(cls.config_class, header["config"], cls.__name__)
    except (TypeError, ValueError) as exc:
        fail(f"config: {exc}".rstrip("."))
    model = cls(**{k: getattr(config, k) for k in config.__dataclass_fields__})
    if device is not None:
        model.config.device = device
    elif model.config.device != "cpu":
        try:
            model._device()
        except ValueError:
            model.config.device = "cpu"
    shape = header["image_shape"]
    _check(isinstance(shape, list) and len(shape) == 3 and all(_is_int(s, 1) and s <= 1 << 16 for s in shape),
           fail, "image_shape must be [channels, height, width] of positive ints")
    files = header["files"]
    _check(isinstance(files, dict) and set(files) == {MODEL_FILE, OPTIMIZER_FILE}
           and all(isinstance(v, str) for v in files.values()), fail,
           f"files must give the SHA-256 of {MODEL_FILE} and {OPTIMIZER_FILE}")
    weights = _read_tensors(folder, MODEL_FILE, files[MODEL_FILE], fail)
    opt_tensors = _read_tensors(folder, OPTIMIZER_FILE, files[OPTIMIZER_FILE], fail)
    try:
        model._check_image_shape(tuple(shape))
    except ValueError as exc:
        fail(f"image_shape: {exc}".rstrip("."))
    with torch.random.fork_rng(devices=[]):
        network = model._build_network(tuple(shape))
    expected = {f"network.{k}": v for k, v in network.state_dict().items()}
    ema_meta = header["ema"]
    if config.ema_decay is not None:
        _check(isinstance(ema_meta, dict) and set(ema_meta) == {"decay", "n_updates"}
               and ema_meta["decay"] == config.ema_decay and _is_int(ema_meta["n_updates"]), fail,
               "ema must give the config's ema_decay and a count of updates")
        expected.update({f"ema.{k}": v for k, v in network.named_parameters()})
    else:
        _check(ema_meta is None, fail, "ema must be null when the config keeps no moving average")
    _match_tensors(weights, expected, MODEL_FILE, fail)
    network.load_state_dict({k[len("network."):]: v for k, v in weights.items() if k.startswith("network.")})
    target = model._device()
    network = network.to(target)
    ema = None
    if config.ema_decay is not None:
        ema = EMA(network, config.ema_decay)
        ema.shadow = {k[len("ema."):]: v.to(target) for k, v in weights.items() if k.startswith("ema.")}
        ema.n_updates = ema_meta["n_updates"]
    optimizers, schedulers = make_optimizers(model, network)
    opt_meta, sched_meta = header["optimizers"], header["schedulers"]
    _check(isinstance(opt_meta, dict) and set(opt_meta) == set(optimizers), fail,
           f"optimizers must hold the phases {list(optimizers)}")
    _check(isinstance(sched_meta, dict) and set(sched_meta) == set(schedulers), fail,
           f"schedulers must hold the phases {list(schedulers)}")
    by_phase: dict = {phase: {} for phase in optimizers}
    for key, tensor in opt_tensors.items():
        phase, _, rest = key.partition(".")
        _check(phase in by_phase and rest, fail, f"{OPTIMIZER_FILE}: unexpected tensor {key[:80]!r}")
        by_phase[phase][rest] = tensor
    for phase, optimizer in optimizers.items():
        _restore_optimizer(optimizer, phase, by_phase[phase], opt_meta[phase], fail)
        _restore_scheduler(schedulers[phase], phase, sched_meta[phase], fail)
    training = header["training"]
    keys = {"seed", "step", "epoch", "batch", "count", "seconds", "sums", "data", "schedule_epochs"}
    _check(isinstance(training, dict) and set(training) == keys, fail, f"training must have the keys {sorted(keys)}")
    _check(all(_is_int(training[k]) for k in ("seed", "step", "epoch", "batch", "count"))
           and _is_number(training["seconds"]), fail, "training: step, epoch, batch, count and seed must be "
           "non-negative ints and seconds a number")
    _check(training["schedule_epochs"] is None or _is_int(training["schedule_epochs"], 1), fail,
           "training.schedule_epochs must be null or a positive int")
    sums = training["sums"]
    _check(isinstance(sums, dict) and all(isinstance(k, str) and _is_number(v) for k, v in sums.items()), fail,
           "training.sums must map loss terms to numbers")
    data = training["data"]
    _check(isinstance(data, dict) and set(data) == {"shape", "labels", "sha256"}
           and isinstance(data["shape"], list) and all(_is_int(s) for s in data["shape"])
           and isinstance(data["labels"], bool) and isinstance(data["sha256"], str), fail,
           "training.data must give the training data's shape, labels flag and SHA-256")
    history = header["history"]
    _check(isinstance(history, list) and all(
        isinstance(row, dict) and all(isinstance(k, str) and _is_number(v) for k, v in row.items())
        for row in history), fail, "history must be a list of objects mapping names to numbers")
    rng = header["rng"]
    _check(isinstance(rng, dict) and set(rng) == {"noise"} and isinstance(rng["noise"], str), fail,
           "rng must hold the noise generator's state")
    generator = torch.Generator()
    try:
        set_generator_state(generator, rng["noise"])
    except ValueError as exc:
        fail(f"rng.noise: {exc}")
    model.network_ = network
    model.image_shape_ = tuple(shape)
    model.ema_ = ema
    model.device_ = target
    from ..base import History

    model.history_ = History(history)
    model._training = TrainingState(
        seed=training["seed"], optimizers=optimizers, schedulers=schedulers, generator=generator,
        step=training["step"], epoch=training["epoch"], batch=training["batch"], sums=dict(sums),
        count=training["count"], seconds=float(training["seconds"]), data=data,
        schedule_epochs=training["schedule_epochs"])
    model._after_training()
    return model


#: ``mlatlas.generative.load_checkpoint(path)``: any allowed model from a checkpoint or run folder.
load_checkpoint = load
