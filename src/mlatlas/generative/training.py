r"""The one trainer of every torch model in :mod:`mlatlas.generative`.

A model never writes its own loop.  It supplies

* its network (one :class:`torch.nn.Module` holding every parameter),
* its *phases*: the names of the optimisers it needs, each with the parameters it
  steps (one phase ``"loss"`` for the autoencoders and the VAE; ``"discriminator"``
  then ``"generator"`` for the GAN),
* ``_loss_terms(network, phase, x, y, noise)``: a dict of named scalar tensors for one
  batch and one phase, whose first entry is the one minimised (the others, such as
  the reconstruction and KL parts of a VAE's loss, are only recorded).

and :class:`Trainer` does the rest, the same way for every model:

* for each epoch a permutation of the training set, drawn from a generator seeded
  with ``shuffle_seed + epoch`` (so any epoch's order can be rebuilt without state);
* for each batch and each phase: ``zero_grad``, the loss terms, a check that every
  term is finite, ``backward`` on the first one, the optimiser's step; then the
  moving average of the weights (:class:`EMA`), if the config keeps one;
* per epoch: the learning-rate schedule's step and one row of ``history_`` (the
  sample-weighted mean of each loss term over the epoch, the learning rate of each
  phase, the seconds the epoch took);
* a tqdm progress bar with the running means (off when stderr is not a terminal, or
  with ``progress=False``);
* periodic checkpoints (:mod:`mlatlas.generative.checkpoint`), written atomically,
  and exact resume: model, optimisers, schedules, moving average, the noise
  generator's state, the step, the epoch and the position inside it, and the
  epoch's running sums are all saved, so that training ``2N`` epochs equals training
  ``N``, stopping and resuming to ``2N``, bit for bit;
* a loss term that turns NaN or infinite stops training with
  :class:`NonFiniteLossError` before the bad step is applied; nothing is written, so
  the last good checkpoint stays the latest;
* Ctrl-C finishes the step in progress, saves a checkpoint and says how to resume;
* after each epoch, an optional ``callback(model, epoch)`` (e.g. samples drawn at a few
  points of training for a figure).  It may evaluate the model as after training (with
  the moving average's weights where kept; training mode is restored afterwards), and
  evaluation draws from its own generators, so training with a callback follows the
  same path as training without, bit for bit.

Randomness
----------
All of it comes from the config's ``random_state`` through local generators: the
seed ``s`` is split (``numpy.random.SeedSequence(s)``) into one seed for the initial
weights, one for the shuffling and one for the noise generator the model draws its
noise from (``noise.randn(...)``: the reparameterisation's epsilon, the GAN's z, the
corruption of a denoising autoencoder).  PyTorch's global generators are never
seeded nor drawn from (modules are built inside :func:`torch.random.fork_rng` and
re-initialised from the local generator), so training does not disturb, and is not
disturbed by, anything else in the process.  With ``random_state=None`` the seed is
drawn from fresh entropy and recorded in checkpoints.

Distributed training
--------------------
Launched by ``torchrun`` (the environment holds ``WORLD_SIZE > 1``), the trainer
joins the process group (gloo on the CPU, NCCL on GPUs; one GPU per process from
``LOCAL_RANK``), wraps the network in :class:`~torch.nn.parallel.DistributedDataParallel`
and gives each process its share of every *global* batch of ``batch_size`` samples:
rank ``r`` of ``W`` takes positions ``r, r + W, r + 2W, ...`` of the batch.  Noise is
drawn for the whole global batch from the same generator on every rank and each rank
keeps its rows, so every sample sees the same noise as in one process.  Each rank
scales its loss by ``W n_r / n`` (``n_r`` of the ``n`` samples are its own) before
backward; with DDP averaging the gradients over ranks this gives exactly the gradient
of the global batch's mean loss:

    (1/W) sum_r grad (W n_r / n) L_r = sum_r (n_r / n) grad L_r = grad L.

So ``W`` processes follow the same path as one process with the same global batch,
to floating-point rounding (a loss term that is not a mean over samples, such as the
sparse autoencoder's KL penalty on the batch's mean activation, sees each rank's
share only).  Rank 0 alone shows the bar and writes checkpoints; the loss check, the
Ctrl-C flag and the epoch sums are reduced over ranks, so all ranks stop together.
A final global batch with fewer samples than ranks is skipped.
"""

from __future__ import annotations

import base64
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ._torch import import_torch
from .base import NonFiniteLossError

torch = import_torch()

__all__ = ["Trainer", "fit_model", "NonFiniteLossError", "Noise", "EMA", "TrainingState",
           "split_seed", "init_parameters"]


# --------------------------------------------------------------------------- randomness
def split_seed(seed: int) -> tuple[int, int, int]:
    """Split one seed into independent ones for the weights, the shuffling and the noise.

    Examples
    --------
    >>> split_seed(0) == split_seed(0) and len(set(split_seed(0))) == 3
    True
    """
    init, shuffle, noise = np.random.SeedSequence(int(seed)).generate_state(3, dtype=np.uint32)
    return int(init), int(shuffle), int(noise)


def fresh_seed() -> int:
    """A seed from fresh operating-system entropy (used when ``random_state`` is None)."""
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])


def init_parameters(network: Any, generator: Any) -> None:
    """Re-initialise every linear and convolution layer of ``network`` from ``generator``.

    The same distributions as PyTorch's defaults, drawn from a local generator:

        W ~ U(-b, b),  b = gain * sqrt(3 / fan_in),  gain = sqrt(2 / (1 + 5))   (kaiming_uniform, a = sqrt(5))
        bias ~ U(-1 / sqrt(fan_in), 1 / sqrt(fan_in))

    where ``fan_in`` is the weight's second dimension times its kernel size (as PyTorch
    counts it, also for transposed convolutions).
    """
    nn = torch.nn
    for module in network.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d,
                               nn.ConvTranspose2d, nn.ConvTranspose3d)):
            weight = module.weight
            fan_in = weight.shape[1] * math.prod(weight.shape[2:])
            nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
            if module.bias is not None:
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)


class Noise:
    """Per-sample noise for one batch, the same whichever process holds the sample.

    Every draw is made for the whole global batch of ``n_global`` samples from the
    model's local generator and this process keeps rows ``rank, rank + world, ...``;
    with one process it is a plain draw of ``(n, *shape)``.

    Parameters
    ----------
    generator : torch.Generator
        The model's noise generator (CPU).
    n_global : int
        Samples in the global batch.
    device : torch.device
        Where the returned tensors live.
    rank, world : int
        This process's rank and the number of processes.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> Noise(g, 4, torch.device("cpu")).randn(3).shape
    torch.Size([4, 3])
    """

    def __init__(self, generator: Any, n_global: int, device: Any, rank: int = 0, world: int = 1) -> None:
        self.generator, self.n_global, self.device = generator, n_global, device
        self.rank, self.world = rank, world

    def _mine(self, values: Any) -> Any:
        if self.world > 1:
            values = values[self.rank::self.world]
        return values.to(self.device, non_blocking=True) if self.device.type != "cpu" else values

    def randn(self, *shape: int) -> Any:
        """Standard normal noise of shape ``(n, *shape)``."""
        return self._mine(torch.randn((self.n_global, *shape), generator=self.generator))

    def rand(self, *shape: int) -> Any:
        """Uniform noise on [0, 1) of shape ``(n, *shape)``."""
        return self._mine(torch.rand((self.n_global, *shape), generator=self.generator))

    def randint(self, high: int, *shape: int) -> Any:
        """Integers uniform on {0, ..., high - 1} of shape ``(n, *shape)``."""
        return self._mine(torch.randint(high, (self.n_global, *shape), generator=self.generator))


def generator_state(generator: Any) -> str:
    """A torch generator's state as base64 text (for ``config.json``)."""
    return base64.b64encode(generator.get_state().numpy().tobytes()).decode("ascii")


def set_generator_state(generator: Any, text: str) -> None:
    """Restore :func:`generator_state`'s text; ValueError if it is not a valid state."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not a base64 generator state ({exc})") from None
    expected = generator.get_state().numel()
    if len(raw) != expected:
        raise ValueError(f"a generator state has {expected} bytes; got {len(raw)}")
    try:
        generator.set_state(torch.frombuffer(bytearray(raw), dtype=torch.uint8))
    except RuntimeError as exc:
        raise ValueError(f"not a valid generator state ({exc})") from None


# --------------------------------------------------------------------------- moving average
class EMA:
    r"""Exponential moving average of a network's parameters.

    After every optimisation step,

        shadow <- decay * shadow + (1 - decay) * param,

    starting from the initial parameters.  Sampling and evaluation then use the
    shadow weights, which are smoother than the last step's.

    Parameters
    ----------
    network : torch.nn.Module
    decay : float in [0, 1)

    Examples
    --------
    >>> net = torch.nn.Linear(2, 1)
    >>> ema = EMA(net, decay=0.5)
    >>> with torch.no_grad():
    ...     _ = net.weight.add_(2.0)
    >>> before = ema.shadow["weight"].clone()
    >>> ema.update(net)
    >>> torch.allclose(ema.shadow["weight"], 0.5 * before + 0.5 * net.weight)
    True
    """

    def __init__(self, network: Any, decay: float) -> None:
        self.decay = float(decay)
        self.n_updates = 0
        self.shadow = {name: p.detach().clone() for name, p in network.named_parameters()}
        self._pairs: tuple | None = None  # (network, shadow tensors, parameters), cached for update

    def update(self, network: Any) -> None:
        """Move the shadow weights towards ``network``'s current parameters."""
        if self._pairs is None or self._pairs[0] is not network or self._pairs[1][0] is not next(
                iter(self.shadow.values())):
            params = dict(network.named_parameters())
            self._pairs = (network, [self.shadow[n] for n in self.shadow],
                           [params[n].detach() for n in self.shadow])
        _, shadows, params = self._pairs
        with torch.no_grad():
            # shadow + (1 - decay) * (param - shadow) = decay * shadow + (1 - decay) * param
            torch._foreach_lerp_(shadows, params, 1.0 - self.decay)
        self.n_updates += 1

    def copy_to(self, network: Any) -> None:
        """Write the shadow weights into ``network``'s parameters."""
        with torch.no_grad():
            for name, p in network.named_parameters():
                p.copy_(self.shadow[name])


# --------------------------------------------------------------------------- state
@dataclass
class TrainingState:
    """Everything a resumed run needs besides the weights; kept on the model as ``_training``.

    ``epoch`` counts completed epochs and ``batch`` the batches already done in the
    epoch under way; ``sums``/``count``/``seconds`` accumulate that epoch's history row.
    """

    seed: int
    optimizers: dict
    schedulers: dict
    generator: Any
    step: int = 0
    epoch: int = 0
    batch: int = 0
    sums: dict = field(default_factory=dict)
    count: int = 0
    seconds: float = 0.0
    data: dict = field(default_factory=dict)
    schedule_epochs: int | None = None


def make_optimizers(model: Any, network: Any) -> tuple[dict, dict]:
    """Adam for each phase of ``model`` (with its schedule), over that phase's parameters."""
    config = model.config
    optimizers, schedulers = {}, {}
    for phase in model.phases:
        params = list(model._phase_parameters(network, phase))
        optimizer = torch.optim.Adam(params, lr=config.learning_rate, betas=tuple(config.betas),
                                     weight_decay=config.weight_decay)
        optimizers[phase] = optimizer
        if config.lr_schedule == "cosine":
            # lr_e = eta_min + (lr - eta_min) (1 + cos(pi e / E)) / 2, down to 1% of lr at the last epoch
            schedulers[phase] = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=config.epochs, eta_min=0.01 * config.learning_rate)
        elif config.lr_schedule == "exponential":
            # lr_e = lr * gamma^e
            schedulers[phase] = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=config.lr_gamma)
        else:
            schedulers[phase] = None
    return optimizers, schedulers


def data_fingerprint(X: np.ndarray, y: np.ndarray | None) -> dict:
    """Shape and SHA-256 of the training data, so a resumed run can check it has the same."""
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes())
    if y is not None:
        digest.update(np.ascontiguousarray(y).tobytes())
    return {"shape": list(X.shape), "labels": y is not None, "sha256": digest.hexdigest()}


# --------------------------------------------------------------------------- distributed
class _Distributed:
    """The process group when running under ``torchrun``; a no-op for one process.

    The trainer joins the group on the first fit of the process and stays in it (a
    script may train several models); the group is left when the process exits.
    """

    def __init__(self) -> None:
        self.rank, self.world, self.active = 0, 1, False

    def setup(self, device: Any) -> "_Distributed":
        dist = torch.distributed
        wanted = int(os.environ.get("WORLD_SIZE", "1")) > 1
        if not dist.is_available() or not (wanted or dist.is_initialized()):
            return self
        if not dist.is_initialized():
            import atexit

            backend = "nccl" if device.type == "cuda" else "gloo"
            if device.type == "cuda":
                torch.cuda.set_device(device)
            dist.init_process_group(backend=backend)
            atexit.register(_leave_process_group)
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self.active = self.world > 1
        return self

    def all_reduce(self, tensor: Any, op: str = "sum") -> Any:
        if self.active:
            dist = torch.distributed
            torch.distributed.all_reduce(tensor, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
        return tensor

    def broadcast_int(self, value: int, device: Any) -> int:
        if not self.active:
            return value
        t = torch.tensor([value], dtype=torch.int64, device=device)
        torch.distributed.broadcast(t, src=0)
        return int(t.item())

    def barrier(self) -> None:
        if self.active:
            torch.distributed.barrier()



def _leave_process_group() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def _loss_module_class():
    class _LossModule(torch.nn.Module):
        """The network with the model's loss as its forward (what DDP wraps)."""

        def __init__(self, network: Any, loss_terms: Callable) -> None:
            super().__init__()
            self.network = network
            self._loss_terms = loss_terms

        def forward(self, phase: str, x: Any, y: Any, noise: Noise) -> dict:
            return self._loss_terms(self.network, phase, x, y, noise)

    return _LossModule


# --------------------------------------------------------------------------- the trainer
class _Interrupt:
    """Turn Ctrl-C into a flag checked between steps, so a step is never cut in half."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> "_Interrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)

            def handler(signum, frame):
                if self.requested:  # a second Ctrl-C stops at once
                    raise KeyboardInterrupt
                self.requested = True

            signal.signal(signal.SIGINT, handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class Trainer:
    """Train a generative model: the loop, the bar, the history, checkpoints, resume, DDP.

    Parameters
    ----------
    checkpoint_dir : path-like, optional
        Folder of the run's checkpoints: each one is a sub-folder ``step-000000123``
        and the file ``latest`` names the newest (see
        :mod:`mlatlas.generative.checkpoint`).  Without it nothing is written, except
        on Ctrl-C (then to a new temporary folder, whose name is printed).
    checkpoint_every : int, optional
        Epochs between checkpoints; default: a tenth of the epochs (at least 1).  A
        checkpoint is always written after the last epoch.
    keep_checkpoints : int, default=2
        How many of the newest checkpoints to keep (older ones are removed).
    resume : bool, default=False
        Continue the run in ``checkpoint_dir`` from its latest checkpoint up to the
        config's ``epochs``.  The config must equal the checkpoint's except for
        ``epochs`` and ``device``, and the data must be the same.
    progress : bool, optional
        Show the progress bar; default: when stderr is a terminal.
    callback : callable, optional
        ``callback(model, epoch)`` after each epoch (``epoch``: the epochs done, from
        1), on every process; the model can sample, encode or evaluate, which draws
        from local generators and leaves training untouched.

    Examples
    --------
    >>> import numpy as np
    >>> from mlatlas.generative import Autoencoder
    >>> X = np.random.default_rng(0).random((32, 64)).astype("float32")
    >>> model = Trainer(progress=False).fit(Autoencoder(code_dim=4, epochs=2, random_state=0), X)
    >>> [sorted(row) for row in model.history_][0]
    ['epoch', 'loss', 'lr', 'reconstruction', 'seconds', 'step']
    """

    def __init__(self, *, checkpoint_dir: str | os.PathLike | None = None, checkpoint_every: int | None = None,
                 keep_checkpoints: int = 2, resume: bool = False, progress: bool | None = None,
                 callback: Callable[[Any, int], Any] | None = None) -> None:
        from ..base import check_scalar_param
        import numbers

        if checkpoint_every is not None:
            check_scalar_param(checkpoint_every, "checkpoint_every", kind=numbers.Integral, low=1)
        check_scalar_param(keep_checkpoints, "keep_checkpoints", kind=numbers.Integral, low=1)
        if not isinstance(resume, bool):
            raise TypeError(f"resume must be True or False; got {type(resume).__name__} {resume!r}.")
        if progress is not None and not isinstance(progress, bool):
            raise TypeError(f"progress must be None, True or False; got {type(progress).__name__} {progress!r}.")
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be a function callback(model, epoch); got {type(callback).__name__}.")
        if resume and checkpoint_dir is None:
            raise ValueError("resume=True needs checkpoint_dir, the folder of the run to continue.")
        self.checkpoint_dir = None if checkpoint_dir is None else os.fspath(checkpoint_dir)
        self.checkpoint_every = checkpoint_every
        self.keep_checkpoints = keep_checkpoints
        self.resume = resume
        self.progress = progress
        self.callback = callback
        self.last_checkpoint: str | None = None

    # -- set-up ------------------------------------------------------------------------
    def _start(self, model: Any, X: np.ndarray, y: np.ndarray | None, device: Any, dist: _Distributed) -> None:
        """Fresh weights, optimisers, schedules, moving average and generators."""
        config = model.config
        seed = config.random_state if config.random_state is not None else fresh_seed()
        seed = dist.broadcast_int(seed, device)
        init_seed, _, noise_seed = split_seed(seed)
        image_shape = tuple(int(s) for s in X.shape[1:])
        # Build under fork_rng: module constructors draw their default initial weights
        # from torch's global generator, whose state is restored afterwards.
        with torch.random.fork_rng(devices=[]):
            network = model._build_network(image_shape)
        init_parameters(network, torch.Generator().manual_seed(init_seed))
        network = network.to(device)
        optimizers, schedulers = make_optimizers(model, network)
        model.network_ = network
        model.image_shape_ = image_shape
        model.ema_ = EMA(network, config.ema_decay) if config.ema_decay is not None else None
        model.history_ = _history()
        model._training = TrainingState(seed=seed, optimizers=optimizers, schedulers=schedulers,
                                        generator=torch.Generator().manual_seed(noise_seed),
                                        data=data_fingerprint(X, y), schedule_epochs=config.epochs)

    def _resume(self, model: Any, X: np.ndarray, y: np.ndarray | None, device: Any) -> None:
        from . import checkpoint as ckpt

        saved = ckpt.load(self.checkpoint_dir, expected_class=type(model), device=model.config.device)
        changed = [name for name, value in model.get_config().items()
                   if name not in ("epochs", "device") and saved.get_config()[name] != value]
        if changed:
            raise ValueError(
                f"cannot resume {self.checkpoint_dir}: the model's config differs from the checkpoint's in "
                + ", ".join(f"{n} ({model.get_config()[n]!r} here, {saved.get_config()[n]!r} in the checkpoint)"
                            for n in changed)
                + "; only epochs and device may change when resuming.")
        state = saved._training
        fingerprint = data_fingerprint(X, y)
        if fingerprint != state.data:
            raise ValueError(f"cannot resume {self.checkpoint_dir}: the training data differ from the data the "
                             f"checkpoint was trained on (shape {state.data.get('shape')} -> {fingerprint['shape']}, "
                             "or different values); resume with the same X and y.")
        epochs = model.config.epochs
        if epochs < state.epoch:
            raise ValueError(f"cannot resume {self.checkpoint_dir} to epochs={epochs}: it has already trained "
                             f"{state.epoch} epochs.")
        if model.config.lr_schedule == "cosine" and state.schedule_epochs != epochs:
            raise ValueError(f"cannot resume {self.checkpoint_dir} to epochs={epochs}: lr_schedule='cosine' "
                             f"anneals over the {state.schedule_epochs} epochs the run started with; resume with "
                             f"epochs={state.schedule_epochs} or use the 'constant' or 'exponential' schedule.")
        for name in ("network_", "image_shape_", "ema_", "history_", "_training"):
            setattr(model, name, getattr(saved, name))
        self.last_checkpoint = ckpt.latest_checkpoint(self.checkpoint_dir)

    # -- checkpoints -------------------------------------------------------------------
    def _save(self, model: Any, dist: _Distributed, folder: str | None = None) -> str | None:
        from . import checkpoint as ckpt

        folder = folder or self.checkpoint_dir
        path = None
        if dist.rank == 0:
            path = ckpt.write_run_checkpoint(folder, model, keep=self.keep_checkpoints)
        dist.barrier()
        self.last_checkpoint = path if dist.rank == 0 else self.last_checkpoint
        return path

    # -- the loop ----------------------------------------------------------------------
    def fit(self, model: Any, X: Any, y: Any = None) -> Any:
        """Train ``model`` on images ``X`` (and labels ``y`` for a conditional model).

        Parameters
        ----------
        model : GenerativeModel
            One of the models of :mod:`mlatlas.generative` (or a subclass of
            :class:`~mlatlas.generative.base.GenerativeModel`).
        X : array-like of shape (n, C, H, W) or (n, H*W)
            Values in [0, 1] (NumPy or torch).
        y : array-like of shape (n,), optional
            Integer labels in [0, n_classes) for a conditional model; ignored otherwise.

        Returns
        -------
        model
            The trained model (``history_``, ``network_`` and the training state set).

        Raises
        ------
        NonFiniteLossError
            (a ValueError) If a loss term becomes NaN or infinite.
        KeyboardInterrupt
            After Ctrl-C, once the checkpoint is written.
        """
        X, y = model._check_training_data(X, y)
        if not self.resume and self.checkpoint_dir is not None:
            from . import checkpoint as ckpt

            latest = ckpt.latest_checkpoint(self.checkpoint_dir)
            if latest is not None:
                raise ValueError(f"checkpoint_dir {self.checkpoint_dir} already holds a training run (latest "
                                 f"checkpoint {os.path.basename(latest)}); pass resume=True to continue it, or "
                                 "choose a new folder.")
        device = model._device()
        dist = _Distributed().setup(device)
        try:
            if self.resume:
                self._resume(model, X, y, device)
            else:
                self._start(model, X, y, device, dist)
            model.device_ = device
            Xt = torch.from_numpy(X).to(device)
            yt = None if y is None else torch.from_numpy(y).to(device)
            self._loop(model, Xt, yt, device, dist)
        finally:
            model._after_training()
        return model

    def _loop(self, model: Any, X: Any, y: Any, device: Any, dist: _Distributed) -> None:
        from tqdm import tqdm

        config, state = model.config, model._training
        network = model.network_
        network.train()
        module = _loss_module_class()(network, model._loss_terms)
        if dist.active:
            module = torch.nn.parallel.DistributedDataParallel(
                module, device_ids=[device.index] if device.type == "cuda" else None,
                find_unused_parameters=len(model.phases) > 1)
        _, shuffle_seed, _ = split_seed(state.seed)
        n, batch_size, epochs = X.shape[0], config.batch_size, config.epochs
        steps_per_epoch = len(_batches(n, batch_size, dist.world))
        every = self.checkpoint_every or max(1, epochs // 10)
        show = self.progress if self.progress is not None else sys.stderr.isatty()
        bar = tqdm(total=steps_per_epoch * epochs, initial=state.epoch * steps_per_epoch + state.batch,
                   disable=not show or dist.rank != 0, desc=type(model).__name__, unit="step",
                   dynamic_ncols=True, leave=True)
        # names of the recorded loss terms (known after the first step, or from a mid-epoch checkpoint)
        names: list[str] | None = list(state.sums) or None
        if dist.rank != 0:  # a mid-epoch checkpoint's running sums are counted once, on rank 0
            state.sums = {name: 0.0 for name in state.sums}
            state.count = 0
        sums = None
        last_postfix = 0.0
        flags = torch.zeros(2, dtype=torch.float64, device=device)
        try:
            with _Interrupt() as interrupt:
                while state.epoch < epochs:
                    epoch = state.epoch
                    lrs = {phase: opt.param_groups[0]["lr"] for phase, opt in state.optimizers.items()}
                    order = torch.randperm(n, generator=torch.Generator().manual_seed(shuffle_seed + epoch))
                    order = order.to(device)
                    batches = _batches(n, batch_size, dist.world)
                    started = time.perf_counter() - state.seconds
                    bar.set_description(f"{type(model).__name__} epoch {epoch + 1}/{epochs}")
                    for start, stop in batches[state.batch:]:
                        index = order[start:stop]
                        n_global = stop - start
                        if dist.active:
                            index = index[dist.rank::dist.world]
                        xb = X[index]
                        yb = None if y is None else y[index]
                        noise = Noise(state.generator, n_global, device, dist.rank, dist.world)
                        n_local = xb.shape[0]
                        # the global batch's mean loss: rank r contributes W n_r / n (see the module doc)
                        scale = n_local * dist.world / n_global
                        step_values, step_names = [], []
                        for phase in model.phases:
                            optimizer = state.optimizers[phase]
                            optimizer.zero_grad(set_to_none=True)
                            terms = module(phase, xb, yb, noise)
                            values = torch.stack([t.detach() for t in terms.values()])
                            if dist.active:  # every rank learns whether any rank saw a bad loss or Ctrl-C
                                flags[0] = (~torch.isfinite(values)).any()
                                flags[1] = float(interrupt.requested)
                                dist.all_reduce(flags, op="max")
                                bad, stop = bool(flags[0].item()), bool(flags[1].item())
                            else:
                                bad, stop = not bool(torch.isfinite(values).all()), interrupt.requested
                            if bad:
                                self._non_finite(model, phase, terms, state, dist)
                            loss = next(iter(terms.values()))
                            (loss * scale if scale != 1.0 else loss).backward()
                            optimizer.step()
                            step_values.append(values)
                            step_names += list(terms)
                        if names is None:
                            names = _check_term_names(model, step_names)
                        if model.ema_ is not None:
                            model.ema_.update(network)
                        values = step_values[0] if len(step_values) == 1 else torch.cat(step_values)
                        if sums is None:
                            sums = _restored_sums(state, names, device)
                        sums.add_(values, alpha=n_local)  # float64 running sums of n_r * batch mean
                        state.count += n_local
                        state.step += 1
                        state.batch += 1
                        bar.update(1)
                        now = time.perf_counter()
                        if bar.disable is False and now - last_postfix > 0.5:
                            means = (sums / max(state.count, 1)).tolist()
                            bar.set_postfix({k: f"{v:.4g}" for k, v in zip(names, means)}, refresh=False)
                            last_postfix = now
                        if stop:
                            # the checkpoint holds the epoch's sums over all ranks (restored on rank 0 alone)
                            totals = dist.all_reduce(torch.cat([sums, torch.tensor(
                                [float(state.count)], dtype=torch.float64, device=device)]))
                            state.seconds = now - started
                            state.sums = dict(zip(names, totals[:-1].tolist()))
                            state.count = int(totals[-1].item())
                            self._interrupted(model, dist)
                    # end of the epoch: one history row, the schedule's step
                    if sums is None:
                        sums = _restored_sums(state, names or [], device)
                    totals = torch.cat([sums, torch.tensor([float(state.count)], dtype=torch.float64,
                                                           device=device)])
                    dist.all_reduce(totals)
                    means = (totals[:-1] / max(float(totals[-1]), 1.0)).tolist()
                    row = {"epoch": epoch + 1, "step": state.step}
                    row.update(zip(names or [], means))
                    if len(lrs) == 1:
                        row["lr"] = next(iter(lrs.values()))
                    else:
                        row.update({f"lr_{phase}": lr for phase, lr in lrs.items()})
                    row["seconds"] = time.perf_counter() - started
                    model.history_.append(row)
                    for scheduler in state.schedulers.values():
                        if scheduler is not None:
                            scheduler.step()
                    state.epoch += 1
                    state.batch = 0
                    state.count = 0
                    state.seconds = 0.0
                    state.sums = {}
                    sums.zero_()
                    bar.set_postfix({k: f"{v:.4g}" for k, v in zip(names or [], means)}, refresh=True)
                    if self.checkpoint_dir is not None and (state.epoch % every == 0 or state.epoch == epochs):
                        self._save(model, dist)
                    if self.callback is not None:
                        self._call_back(model, network, state.epoch)
            if self.checkpoint_dir is not None and state.epoch == epochs and state.batch == 0 \
                    and not self._is_latest(model):
                self._save(model, dist)
        finally:
            bar.close()

    def _call_back(self, model: Any, network: Any, epoch: int) -> None:
        """Run the callback on the model as evaluation sees it, then return to training mode."""
        model._after_training()  # the evaluation copy of the averaged weights is rebuilt from this step's
        try:
            self.callback(model, epoch)
        finally:
            model._after_training()
            network.train()

    def _is_latest(self, model: Any) -> bool:
        """True when the latest checkpoint of the run already holds the current step."""
        from . import checkpoint as ckpt

        latest = ckpt.latest_checkpoint(self.checkpoint_dir)
        return latest is not None and os.path.basename(latest) == ckpt.step_folder_name(model._training.step)

    def _non_finite(self, model: Any, phase: str, terms: dict, state: TrainingState, dist: _Distributed):
        bad = [(name, float(t.detach())) for name, t in terms.items() if not math.isfinite(float(t.detach()))]
        name, value = bad[0] if bad else ("(on another rank)", float("nan"))
        where = self.last_checkpoint
        tail = (f" The last good checkpoint is {where}; resume from it with a smaller learning_rate "
                "or check the data." if where else
                " No checkpoint was written before it; try a smaller learning_rate or check the data.")
        raise NonFiniteLossError(
            f"{type(model).__name__}: the loss term {name!r} of phase {phase!r} became {value} at step "
            f"{state.step} (epoch {state.epoch + 1}, batch {state.batch + 1}); training stopped before "
            f"applying that step.{tail}", step=state.step, epoch=state.epoch + 1, term=name, checkpoint=where)

    def _interrupted(self, model: Any, dist: _Distributed) -> None:
        import tempfile

        folder = self.checkpoint_dir
        if folder is None:
            folder = tempfile.mkdtemp(prefix=f"mlatlas-{type(model).__name__.lower()}-")
        path = self._save(model, dist, folder)
        if dist.rank == 0:
            print(f"\n{type(model).__name__}: interrupted at step {model._training.step} (epoch "
                  f"{model._training.epoch + 1}); checkpoint written to {path}.\nResume with "
                  f"model.fit(X, checkpoint_dir={folder!r}, resume=True) (the same X, y and config; "
                  f"epochs may grow), or from the command line: mlatlas train ... --out <the run's folder> "
                  "--resume.", file=sys.stderr, flush=True)
        raise KeyboardInterrupt


def _check_term_names(model: Any, names: list[str]) -> list[str]:
    """The loss terms of all phases, in order; their names must be distinct."""
    if len(set(names)) != len(names) or not names:
        raise ValueError(f"{type(model).__name__}._loss_terms must return at least one term per phase, "
                         f"with names distinct across phases; got {names}.")
    return names


def _history():
    from ..base import History

    return History()


def _restored_sums(state: TrainingState, names: list[str], device: Any) -> Any:
    """The epoch's running sums as one float64 tensor (restored after a mid-epoch resume)."""
    return torch.tensor([float(state.sums.get(name, 0.0)) for name in names], dtype=torch.float64, device=device)


def _batches(n: int, batch_size: int, world: int) -> list[tuple[int, int]]:
    """(start, stop) of each global batch; with W processes, a last batch under W samples is skipped."""
    spans = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    return [s for s in spans if s[1] - s[0] >= world]


def fit_model(model: Any, X: Any, y: Any = None, **trainer_options: Any) -> Any:
    """``Trainer(**trainer_options).fit(model, X, y)``: what every model's ``fit`` calls."""
    return Trainer(**trainer_options).fit(model, X, y)
