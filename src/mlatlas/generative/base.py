"""What every generative model shares: its config, input checks, fit/save/load, evaluation helpers.

A model subclasses :class:`GenerativeModel`, names its config dataclass
(``config_class``) and its optimiser phases (``phases``), and writes three methods:

``_build_network(image_shape)``
    a :class:`torch.nn.Module` holding every parameter;
``_phase_parameters(network, phase)``
    the parameters phase ``phase`` optimises (default: all);
``_loss_terms(network, phase, x, y, noise)``
    a dict of named scalar tensors for one batch, the first one minimised.

For run records (the atlas's entries and ``mlatlas train``), a model also describes
itself on held-out images with ``record_arrays(X, y) -> dict`` of named arrays (codes,
reconstructions, samples...), the arrays its figures draw; ``training_snapshots > 0``
asks for that many samples at a few epochs of training (:class:`SampleSnapshots`).

Everything else (the loop, checkpoints, devices, distributed training) is the
trainer's (:mod:`mlatlas.generative.training`).  This module needs no PyTorch: a
model can be built, configured and described without it; fitting, loading and
evaluating import it (and say how to install it when it is missing).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .config import build_config, config_to_dict

__all__ = ["GenerativeModel", "NonFiniteLossError", "SampleSnapshots", "check_images", "check_labels",
           "snapshot_epochs"]


class NonFiniteLossError(ValueError):
    """A loss term became NaN or infinite; training stopped before applying that step.

    Attributes
    ----------
    step : int
        Optimisation steps applied before it.
    epoch : int
        The epoch it happened in (1-based).
    term : str
        The loss term's name.
    checkpoint : str or None
        The last good checkpoint, if training wrote any.
    """

    def __init__(self, message: str, step: int, epoch: int, term: str, checkpoint: str | None):
        super().__init__(message)
        self.step, self.epoch, self.term, self.checkpoint = step, epoch, term, checkpoint


def _to_numpy(X: Any) -> np.ndarray:
    """NumPy view of an array-like; torch tensors are detached and copied to the CPU."""
    if type(X).__module__.split(".")[0] == "torch" and hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    return np.asarray(X)


def check_images(X: Any, name: str = "X", image_shape: tuple | None = None) -> np.ndarray:
    """Check a batch of images in [0, 1] and return it as float32 of shape (n, C, H, W).

    Parameters
    ----------
    X : array-like (NumPy or torch)
        Shape (n, C, H, W), or (n, H*W) for square one-channel images (or any
        (n, C*H*W) when ``image_shape`` is given).
    name : str
        The argument's name, for messages.
    image_shape : tuple (C, H, W), optional
        The shape every image must have (a fitted model's ``image_shape_``).

    Returns
    -------
    ndarray of shape (n, C, H, W), float32

    Raises
    ------
    ValueError
        For values that are not numbers, a wrong shape, no samples, non-finite values or
        values outside [0, 1].

    Examples
    --------
    >>> check_images(np.zeros((5, 64))).shape
    (5, 1, 8, 8)
    """
    raw = _to_numpy(X)
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers in [0, 1]; got an array of dtype {raw.dtype}.")
    shape_text = "(n, 1, H, W) or (n, H*W)"
    if raw.ndim == 2:
        n, d = raw.shape
        if image_shape is not None:
            if d != math.prod(image_shape):
                raise ValueError(f"{name} must have shape (n, {math.prod(image_shape)}) or (n, "
                                 f"{', '.join(map(str, image_shape))}), as the data the model was fitted on; "
                                 f"got shape {raw.shape}.")
            raw = raw.reshape((n, *image_shape))
        else:
            side = math.isqrt(d)
            if side * side != d or d == 0:
                raise ValueError(f"{name} of shape (n, D) must hold square one-channel images (D = H*W with "
                                 f"H = W); got D={d}. Pass images of other shapes as (n, C, H, W).")
            raw = raw.reshape(n, 1, side, side)
    elif raw.ndim == 4:
        if image_shape is not None and tuple(raw.shape[1:]) != tuple(image_shape):
            raise ValueError(f"{name} must hold images of shape {tuple(image_shape)}, as the data the model was "
                             f"fitted on; got shape {raw.shape}.")
        if min(raw.shape[1:]) < 1:
            raise ValueError(f"{name} must have shape {shape_text} with positive sizes; got {raw.shape}.")
    else:
        raise ValueError(f"{name} must have shape {shape_text}; got an array of shape {raw.shape}.")
    if raw.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one image; got shape {raw.shape}.")
    X = np.ascontiguousarray(raw, dtype=np.float32)
    if not np.isfinite(X).all():
        raise ValueError(f"{name} must hold finite values in [0, 1]; it holds NaN or infinity.")
    low, high = float(X.min()), float(X.max())
    if low < 0 or high > 1:
        raise ValueError(f"{name} must hold values in [0, 1]; got values in [{low:g}, {high:g}] "
                         "(scale the images first, e.g. the 8x8 digits divided by 16).")
    return X


def check_labels(y: Any, n: int, n_classes: int, name: str = "y") -> np.ndarray:
    """Check class labels: integers in [0, n_classes), one per sample; return them as int64.

    Examples
    --------
    >>> check_labels([0, 2, 1], 3, n_classes=3)
    array([0, 2, 1])
    """
    raw = _to_numpy(y)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), one label per sample; got shape {raw.shape}.")
    if raw.dtype.kind not in "iuf" or (raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.round(raw)))):
        raise ValueError(f"{name} must hold integer class labels in [0, {n_classes}); got dtype {raw.dtype}.")
    labels = raw.astype(np.int64)
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{name} must hold class labels in [0, {n_classes}) (n_classes={n_classes}); got labels "
                         f"in [{labels.min()}, {labels.max()}].")
    return labels


class GenerativeModel:
    """Base class of the torch models: config from keyword arguments, fit, save, load.

    Parameters
    ----------
    **params
        Values for the fields of the model's config dataclass (``config_class``);
        an unknown name is a TypeError listing the known ones, a value out of range
        a ValueError (NaN included).

    Attributes
    ----------
    config : dataclass
        The checked configuration; its fields also read as attributes
        (``model.latent_dim``).
    history_ : History
        After fitting: one dict per epoch (``epoch``, ``step``, each loss term, the
        learning rate(s), ``seconds``).
    network_ : torch.nn.Module
        The trained network.
    image_shape_ : tuple (C, H, W)
        The shape of the training images.
    device_ : torch.device
    ema_ : EMA or None
        The moving average of the weights (when ``ema_decay`` is set); sampling and
        evaluation use it.
    """

    config_class: ClassVar[type]
    phases: ClassVar[tuple[str, ...]] = ("loss",)
    #: Samples to draw at a few epochs of training for a run record (0: none).
    training_snapshots: ClassVar[int] = 0

    def __init__(self, **params: Any) -> None:
        self.config = build_config(self.config_class, params, type(self).__name__)
        self._check_config()

    # -- configuration -----------------------------------------------------------------
    def _check_config(self) -> None:
        """Checks that involve several fields (subclasses add theirs)."""

    def __getattr__(self, name: str) -> Any:
        config = self.__dict__.get("config")
        if config is not None and not name.startswith("_") and name in type(config).__dataclass_fields__:
            return getattr(config, name)
        fitted_hint = " (it is set by fit)" if name.endswith("_") and not name.startswith("_") else ""
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}{fitted_hint}")

    def binary_pixels(self) -> bool:
        """Whether the model's likelihood wants binary pixels (``mlatlas train`` binarizes them)."""
        return False

    def get_config(self) -> dict:
        """The config's fields and values (tuples stay tuples)."""
        return {f: getattr(self.config, f) for f in type(self.config).__dataclass_fields__}

    def set_config(self, **params: Any) -> "GenerativeModel":
        """Change config fields (checked like the constructor's); returns the model.

        Used, for instance, to raise ``epochs`` before resuming a run.
        """
        values = self.get_config()
        values.update(params)
        self.config = build_config(self.config_class, values, type(self).__name__)
        self._check_config()
        return self

    def __repr__(self) -> str:
        defaults = {name: f.default for name, f in type(self.config).__dataclass_fields__.items()}
        changed = [f"{k}={v!r}" for k, v in self.get_config().items() if v != defaults[k]]
        return f"{type(self).__name__}({', '.join(changed)})"

    # -- what subclasses provide ----------------------------------------------------------
    def _build_network(self, image_shape: tuple) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _phase_parameters(self, network: Any, phase: str) -> Any:
        return network.parameters()

    def _loss_terms(self, network: Any, phase: str, x: Any, y: Any, noise: Any) -> dict:  # pragma: no cover
        raise NotImplementedError

    def _check_image_shape(self, image_shape: tuple) -> None:
        """Refuse image shapes the architecture cannot take (ValueError)."""

    # -- data --------------------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        """True when the model is conditioned on a class label (``n_classes`` set)."""
        return getattr(self.config, "n_classes", None) is not None

    def _check_training_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray | None]:
        X = check_images(X, "X")
        self._check_image_shape(tuple(X.shape[1:]))
        if not self.conditional:
            return X, None  # y is ignored by unconditional models, as in scikit-learn
        if y is None:
            raise ValueError(f"{type(self).__name__}(n_classes={self.config.n_classes}) is conditional: fit needs "
                             "the labels y.")
        return X, check_labels(y, X.shape[0], self.config.n_classes, "y")

    def _device(self) -> Any:
        from ._torch import resolve_device

        return resolve_device(self.config.device)

    # -- fitting, saving, loading -----------------------------------------------------
    def fit(self, X: Any, y: Any = None, *, checkpoint_dir: Any = None, checkpoint_every: int | None = None,
            keep_checkpoints: int = 2, resume: bool = False, progress: bool | None = None,
            callback: Any = None) -> "GenerativeModel":
        """Train on images ``X`` in [0, 1] with the one trainer of :mod:`mlatlas.generative.training`.

        Parameters
        ----------
        X : array-like of shape (n, C, H, W) or (n, H*W)
            Training images, values in [0, 1] (NumPy or torch).
        y : array-like of shape (n,), optional
            Class labels for a conditional model (``n_classes`` set); ignored otherwise.
        checkpoint_dir : path-like, optional
            Folder for the run's checkpoints (see :class:`~mlatlas.generative.training.Trainer`).
        checkpoint_every : int, optional
            Epochs between checkpoints (default a tenth of ``epochs``).
        keep_checkpoints : int, default=2
            Newest checkpoints kept.
        resume : bool, default=False
            Continue the run in ``checkpoint_dir`` up to ``epochs``.
        progress : bool, optional
            Progress bar; default when stderr is a terminal.
        callback : callable, optional
            ``callback(model, epoch)`` after each epoch (see
            :class:`~mlatlas.generative.training.Trainer`).

        Returns
        -------
        self
        """
        from .training import fit_model

        return fit_model(self, X, y, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                         keep_checkpoints=keep_checkpoints, resume=resume, progress=progress,
                         callback=callback)

    def save(self, path: Any) -> None:
        """Write the fitted model (weights, training state, config) to the directory ``path``.

        See :mod:`mlatlas.generative.checkpoint` for the format; the write is atomic.
        """
        self._check_fitted()
        from . import checkpoint

        checkpoint.save(path, self)

    @classmethod
    def load(cls, path: Any, device: str | None = None) -> "GenerativeModel":
        """Load a model saved by :meth:`save` (or a training run's latest checkpoint).

        Parameters
        ----------
        path : path-like
            A checkpoint directory or a run folder.
        device : str, optional
            Where to put the model (default: the saved device when available, else the CPU).

        Raises
        ------
        CheckpointError
            (a ValueError) If ``path`` is not a checkpoint of this class written by mlatlas.
        """
        from . import checkpoint

        return checkpoint.load(path, expected_class=cls, device=device)

    def _after_training(self) -> None:
        """Forget what was derived from the weights (the evaluation copy with averaged weights)."""
        self.__dict__.pop("_eval_network_cache", None)

    # -- run records -------------------------------------------------------------------
    def record_arrays(self, X: Any, y: Any = None, random_state: int = 0) -> dict:
        """Named arrays that describe the fitted model on held-out images, for a run record's figures.

        The atlas's entries and ``mlatlas train`` store them in the run's record (see
        :mod:`mlatlas.generative.cli_support`); each model adds what its figures draw:
        ``reconstruction.*`` and ``codes`` (the autoencoders), ``latent.*``,
        ``interpolation.*`` and ``samples.*`` (the VAE), ``samples.*`` (the GAN).

        Parameters
        ----------
        X : array-like of images in [0, 1]
            Held-out images (the test half of the digits by default).
        y : array-like of shape (n,), optional
            Their labels (needed by a conditional model; used to pick one example per class).
        random_state : int, default=0
            Seed of the noise the arrays need (samples, corruption).

        Returns
        -------
        dict of str to ndarray
        """
        return {}

    @staticmethod
    def _examples(y: Any, n: int, count: int = 10) -> np.ndarray:
        """Indices of ``count`` images to show: the first of each class when labelled, else the first ones."""
        if y is None:
            return np.arange(min(n, count))
        y = np.asarray(y)
        firsts = [int(np.flatnonzero(y == label)[0]) for label in np.unique(y)[:count]]
        chosen = set(firsts)
        rest = [i for i in range(n) if i not in chosen]
        return np.array((firsts + rest)[:min(n, count)])

    def _sample_arrays(self, n: int, random_state: int) -> dict:
        """``samples.images`` (n, C, H, W) and ``samples.labels``: the labels asked for (a conditional
        model), else those the fixed digits classifier gives 8x8 samples (``samples.labels_source``
        says which); other images get no labels."""
        labels = np.arange(n) % self.config.n_classes if self.conditional else None
        images = self.sample(n, labels=labels, random_state=random_state)
        out = {"samples.images": images}
        if labels is not None:
            out.update({"samples.labels": labels, "samples.labels_source": np.array("asked")})
        elif tuple(self.image_shape_) == (1, 8, 8):
            from ..metrics import classify_digits

            out.update({"samples.labels": classify_digits(images), "samples.labels_source": np.array("classified")})
        return out

    # -- evaluation helpers ------------------------------------------------------------
    def _check_fitted(self) -> None:
        if "network_" not in self.__dict__:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit (or load a checkpoint) "
                                 "first.")

    def _eval_network(self) -> Any:
        """The network in eval mode, with the moving-average weights when the model keeps them."""
        self._check_fitted()
        if self.ema_ is None:
            self.network_.eval()
            return self.network_
        cached = self.__dict__.get("_eval_network_cache")
        if cached is None:
            import copy

            cached = copy.deepcopy(self.network_)
            self.ema_.copy_to(cached)
            cached.eval()
            self._eval_network_cache = cached
        return cached

    def _images(self, X: Any, name: str = "X") -> Any:
        """Checked images as a float32 tensor on the model's device."""
        import torch

        self._check_fitted()
        return torch.from_numpy(check_images(X, name, self.image_shape_)).to(self.device_)

    def _labels(self, y: Any, n: int, name: str = "y") -> Any:
        """Checked labels as an int64 tensor on the device (None for unconditional models)."""
        import torch

        if not self.conditional:
            if y is not None:
                raise ValueError(f"{name} was given, but this {type(self).__name__} is not conditional "
                                 "(set n_classes to train one on labels).")
            return None
        if y is None:
            raise ValueError(f"this {type(self).__name__} is conditional (n_classes={self.config.n_classes}): "
                             f"pass {name}, the class labels.")
        if np.ndim(y) == 0:
            y = np.full(n, _to_numpy(y).item() if hasattr(y, "shape") else y)
        return torch.from_numpy(check_labels(y, n, self.config.n_classes, name)).to(self.device_)

    def _sample_labels(self, labels: Any, n: int) -> Any:
        """Labels for ``n`` samples: as given (an int or n of them) or, when None, 0, 1, 2, ... cycling."""
        if self.conditional and labels is None:
            labels = np.arange(n) % self.config.n_classes
        return self._labels(labels, n, "labels")

    def _sample_prior(self, n: Any, labels: Any, random_state: Any, generate: Any) -> np.ndarray:
        """``generate(network, z, y)`` on z ~ N(0, I) of shape (n, latent_dim): (n, C, H, W) float32.

        The one sampling path of the models with a latent prior (the VAE's decoder, the
        GAN's generator): checks ``n`` and the labels, draws z from a local generator and
        runs the evaluation network without gradients.
        """
        import torch

        n = self._check_count(n)
        self._check_fitted()
        y = self._sample_labels(labels, n)
        z = torch.randn((n, self.config.latent_dim), generator=self._generator(random_state)).to(self.device_)
        net = self._eval_network()
        with torch.no_grad():
            images = generate(net, z, y)
        return self._numpy(images).reshape((n, *self.image_shape_))

    def _generator(self, random_state: Any) -> Any:
        """A local torch generator for evaluation-time noise.

        ``random_state=None`` uses the config's ``random_state`` (so repeated calls
        give the same draws when it is an int) and fresh entropy when that is None.
        """
        import torch

        from ..base import check_scalar_param
        import numbers

        seed = self.config.random_state if random_state is None else random_state
        if seed is None:
            from .training import fresh_seed

            seed = fresh_seed()
        check_scalar_param(seed, "random_state", kind=numbers.Integral, low=0)
        return torch.Generator().manual_seed(int(seed))

    @staticmethod
    def _check_count(n: Any, name: str = "n") -> int:
        from ..base import check_scalar_param
        import numbers

        return int(check_scalar_param(n, name, kind=numbers.Integral, low=1))

    @staticmethod
    def _numpy(tensor: Any) -> np.ndarray:
        """A tensor's values as a float32 NumPy array on the CPU."""
        import torch

        return tensor.detach().to("cpu", dtype=torch.float32).numpy()


def snapshot_epochs(epochs: int, count: int = 5) -> list[int]:
    """``count`` epochs spread over ``1..epochs`` on a square-root scale (more of them early), the last included.

    Examples
    --------
    >>> snapshot_epochs(800)
    [32, 128, 288, 512, 800]
    >>> snapshot_epochs(3)
    [1, 2, 3]
    """
    # e_i = round(epochs * (i / count)^2), i = 1..count: early training changes the samples most
    chosen = {max(1, round(epochs * (i / count) ** 2)) for i in range(1, count + 1)}
    return sorted(chosen | {epochs})


class SampleSnapshots:
    """A training callback that draws the same samples (one fixed noise) at a few epochs.

    Parameters
    ----------
    epochs : sequence of int
        The epochs (counted from 1) after which to sample.
    n : int
        Samples each time.
    random_state : int, default=0
        Seed of the noise, the same at every snapshot so the images show one set of
        draws changing over training.

    Examples
    --------
    >>> import numpy as np
    >>> from mlatlas.generative import GAN
    >>> snapshots = SampleSnapshots([1, 2], n=4)
    >>> _ = GAN(epochs=2, random_state=0).fit(np.random.default_rng(0).random((32, 64)), callback=snapshots)
    >>> snapshots.arrays()["snapshots.images"].shape
    (2, 4, 1, 8, 8)
    """

    def __init__(self, epochs: Any, n: int, random_state: int = 0) -> None:
        self.epochs = sorted({int(e) for e in epochs})
        self.n = int(n)
        self.random_state = int(random_state)
        self.taken: list[tuple[int, np.ndarray]] = []

    def __call__(self, model: Any, epoch: int) -> None:
        if epoch in self.epochs:
            labels = np.arange(self.n) % model.config.n_classes if model.conditional else None
            self.taken.append((epoch, model.sample(self.n, labels=labels, random_state=self.random_state)))

    def arrays(self) -> dict:
        """``snapshots.epochs`` (S,) and ``snapshots.images`` (S, n, C, H, W); empty before any snapshot."""
        if not self.taken:
            return {}
        return {"snapshots.epochs": np.array([e for e, _ in self.taken]),
                "snapshots.images": np.stack([images for _, images in self.taken])}
