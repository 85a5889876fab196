r"""The denoising diffusion probabilistic model (Ho et al.) with DDIM sampling and classifier-free guidance.

A latent-variable model whose latents x_1..x_T form a Markov chain that slowly turns
an image x_0 into noise (see :mod:`.schedules` for the schedule):

    q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I),
    so  x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps,   eps ~ N(0, I).

A U-Net eps_theta(x_t, t, y) (:mod:`.unet`) learns to predict the noise that was
added; training minimises the simple loss

    L = E_{x_0, t ~ U{1..T}, eps} || eps - eps_theta(x_t, t, y) ||^2        (mean over pixels)

on images scaled to [-1, 1].  With ``n_classes`` set, the label y is replaced by the
"no label" token with probability ``label_dropout``, so one network learns both
eps(x, t, y) and eps(x, t, none).

Sampling runs the chain backwards from x_T ~ N(0, I).  Both samplers first estimate
the clean image,

    x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_bar_t)      (clipped to [-1, 1]),

* ``"ancestral"`` draws x_{t-1} from the posterior q(x_{t-1} | x_t, x0_hat):
  mean mu_tilde = c_0 x0_hat + c_t x_t, variance beta_tilde_t (the coefficients of
  :class:`.schedules.Schedule`); without clipping the mean equals
  (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_t);
* ``"ddim"`` (Song et al.) jumps to the previous kept step s with
  x_s = sqrt(alpha_bar_s) x0_hat + sqrt(1 - alpha_bar_s - sigma^2) eps_hat + sigma z,
  sigma = eta sqrt((1 - alpha_bar_s) / (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_s):
  deterministic for eta = 0, and the ancestral step itself for eta = 1.

Either runs on ``steps`` evenly spaced steps of the T (fewer steps: faster, a little
worse).  Classifier-free guidance (Ho & Salimans) with weight w replaces the noise
estimate by

    eps_hat = (1 + w) eps(x_t, t, y) - w eps(x_t, t, none),

which trades diversity for samples that look more like their label.

Images whose pixels lie on k evenly spaced gray levels (the digits: pixel / 16, k = 16)
get a discrete last step, the simplest form of Ho et al.'s discretized decoder: the
final x_0 is rounded to the grid, round(k x_0) / k.  ``fit`` finds k in the training
data (the config's ``levels``, so it travels with the checkpoint); continuous data
leave the samples as they are.

References
----------
Ho, Jain & Abbeel, "Denoising diffusion probabilistic models", NeurIPS (2020); Song,
Meng & Ermon, "Denoising diffusion implicit models", ICLR (2021); Ho & Salimans,
"Classifier-free diffusion guidance", NeurIPS workshop (2021); Nichol & Dhariwal,
"Improved denoising diffusion probabilistic models", ICML (2021).

Examples
--------
>>> import numpy as np
>>> from sklearn.datasets import load_digits
>>> d = load_digits()
>>> model = DDPM(channels=(16, 32), T=100, epochs=1, random_state=0).fit(d.data[:128] / 16, d.target[:128])
>>> model.sample(4, labels=7, steps=10).shape
(4, 1, 8, 8)
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import GenerativeModel, _to_numpy
from ..config import TrainingConfig, param
from .schedules import SCHEDULES, Schedule

__all__ = ["DDPM", "DDPMConfig", "METHODS", "data_levels"]

METHODS = ("ancestral", "ddim")

#: The finest grid of gray levels :func:`data_levels` looks for (8-bit images).
MAX_LEVELS = 255


def data_levels(X: np.ndarray, max_levels: int = MAX_LEVELS, tol: float = 1e-4) -> int | None:
    """The smallest k <= ``max_levels`` with every value of ``X`` (in [0, 1]) on the grid {0, 1/k, ..., 1}.

    None when there is none (continuous data).  The 8x8 digits (pixel / 16) give 16.
    """
    values = np.unique(np.asarray(X, dtype=np.float64))
    if values.size > max_levels + 1:
        return None
    for k in range(1, max_levels + 1):
        # on the grid: k x is an integer (up to float32 rounding)
        if np.max(np.abs(values * k - np.round(values * k))) < tol * k:
            return k
    return None


@dataclass
class DDPMConfig(TrainingConfig):
    """Config of :class:`DDPM` (the training fields come from :class:`TrainingConfig`).

    The defaults are sized for the 8x8 digits on two CPU cores (see BENCHMARKS.md,
    "Diffusion (DDPM)", for what they measure).
    """

    epochs: int = param(250, "passes over the training data", kind="int", low=1)
    batch_size: int = param(64, "samples per optimisation step", kind="int", low=1)
    learning_rate: float = param(2e-3, "Adam's step size", kind="float", low=0, low_inclusive=False)
    lr_schedule: str = param("cosine", "learning-rate schedule over the epochs", kind="choice",
                             choices=("constant", "cosine", "exponential"))
    ema_decay: float | None = param(0.995, "moving average of the weights used for sampling (None: the last "
                                    "step's weights)", kind="float", low=0, high=1, high_inclusive=False,
                                    allow_none=True)
    T: int = param(1000, "diffusion steps", kind="int", low=1)
    schedule: str = param("linear", "beta schedule: linear (1e-4 to 0.02) or cosine", kind="choice",
                          choices=SCHEDULES)
    channels: tuple = param((32, 64), "U-Net feature maps per resolution (full size first); images must "
                            "divide by 2^(levels - 1)", kind="int_tuple", low=1)
    n_res_blocks: int = param(1, "residual blocks per U-Net level", kind="int", low=1)
    attention: bool = param(True, "self-attention at the lowest resolution", kind="bool")
    dropout: float = param(0.0, "dropout in the residual blocks", kind="float", low=0, high=1,
                           high_inclusive=False)
    n_classes: int | None = param(10, "condition on labels 0..n_classes-1 (None: unconditional)", kind="int",
                                  low=2, allow_none=True)
    label_dropout: float = param(0.2, "probability of training on the 'no label' token instead of the label "
                                 "(classifier-free guidance needs it > 0)", kind="float", low=0, high=1)
    guidance: float = param(1.0, "default classifier-free guidance weight w for labelled samples", kind="float",
                            low=0)
    sample_method: str = param("ddim", "default sampler: ancestral or ddim", kind="choice", choices=METHODS)
    sample_steps: int = param(50, "default number of sampling steps (T when T is smaller)", kind="int", low=1)
    clip_denoised: bool = param(True, "clip the estimate of x_0 to the data range at every sampling step",
                                kind="bool")
    round_to_levels: bool = param(True, "round the final samples to the training data's gray levels when those "
                                  "are evenly spaced (a discrete last step, see levels)", kind="bool")
    levels: int | None = param(None, "set by fit: k when every training pixel is a multiple of 1/k (k <= 255), "
                               "the grid the samples are rounded to; None: continuous data (or round_to_levels "
                               "off), samples not rounded", kind="int", low=1, high=MAX_LEVELS, allow_none=True)


class DDPM(GenerativeModel):
    """Denoising diffusion model on images in [0, 1] with a U-Net noise predictor.

    Parameters
    ----------
    **params
        Fields of :class:`DDPMConfig`: the schedule (``T=1000``, ``schedule="linear"``),
        the U-Net (``channels=(32, 64)``, ``n_res_blocks=1``, ``attention=True``,
        ``dropout``), the conditioning (``n_classes=10``, ``label_dropout=0.2``,
        ``guidance=1.0``), the sampler's defaults (``sample_method="ddim"``,
        ``sample_steps=50``, ``clip_denoised=True``) and the training fields
        (``epochs``, ``batch_size``, ``learning_rate``, ``ema_decay=0.995``,
        ``random_state``, ``device``...).

    Attributes
    ----------
    history_ : History
        Per epoch: ``loss`` (the noise-prediction MSE), ``lr``, ``seconds``, ``epoch``, ``step``.
    schedule_ : Schedule
        The noise schedule (from the config).

    Notes
    -----
    See the module documentation for the maths.
    """

    config_class = DDPMConfig

    # -- configuration -----------------------------------------------------------------
    @property
    def schedule_(self) -> Schedule:
        cached = self.__dict__.get("_schedule_cache")
        if cached is None or cached[0] != (self.config.schedule, self.config.T):
            cached = ((self.config.schedule, self.config.T), Schedule.make(self.config.schedule, self.config.T))
            self._schedule_cache = cached
        return cached[1]

    def _tensor(self, values: np.ndarray, device: Any) -> Any:
        import torch

        return torch.as_tensor(np.asarray(values), dtype=torch.float32, device=device)

    # -- network -----------------------------------------------------------------------
    def _check_image_shape(self, image_shape: tuple) -> None:
        from .unet import check_image_size

        check_image_size(image_shape[1], image_shape[2], len(self.config.channels))

    def _build_network(self, image_shape: tuple) -> Any:
        from .unet import UNet

        c = self.config
        return UNet(in_channels=image_shape[0], channels=c.channels, n_res_blocks=c.n_res_blocks,
                    n_classes=c.n_classes, dropout=c.dropout, attention=c.attention)

    def _check_training_data(self, X: Any, y: Any) -> tuple:
        X, y = super()._check_training_data(X, y)
        # the gray levels the final samples are rounded to (kept in the config, so in the checkpoint)
        self.config.levels = data_levels(X) if self.config.round_to_levels else None
        return X, y

    def _discretize(self, images: Any) -> Any:
        """Images in [0, 1] rounded to the training data's levels: round(k x) / k (unchanged when levels is None)."""
        k = self.config.levels
        return images if k is None else (images * k).round() / k

    # -- the maths ---------------------------------------------------------------------
    def q_sample(self, x0: Any, t: Any, eps: Any) -> Any:
        """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, for tensors x0, eps (n, C, H, W), t (n,) in 1..T."""
        alpha_bar = self._tensor(self.schedule_.alpha_bar, x0.device)[t - 1][:, None, None, None]  # (n, 1, 1, 1)
        return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * eps

    def _loss_terms(self, network: Any, phase: str, x: Any, y: Any, noise: Any) -> dict:
        import torch

        c = self.config
        x0 = 2 * x - 1                                            # [0, 1] -> [-1, 1], (B, C, H, W)
        t = noise.randint(c.T) + 1                                # t ~ U{1..T}, (B,)
        eps = noise.randn(*x.shape[1:])                           # eps ~ N(0, I)
        # x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps
        xt = self.q_sample(x0, t, eps)
        if y is not None and c.label_dropout > 0:
            # with probability label_dropout the label becomes the "no label" token n_classes
            drop = noise.rand() < c.label_dropout
            y = torch.where(drop, torch.full_like(y, c.n_classes), y)
        # L = || eps - eps_theta(x_t, t, y) ||^2, averaged over pixels and the batch
        loss = (eps - network(xt, t, y)).pow(2).mean()
        return {"loss": loss}

    def _predict_noise(self, net: Any, x: Any, t: int, y: Any, guidance: float, chunk: int = 1024) -> Any:
        """eps_hat at step t for a batch x, with classifier-free guidance when ``guidance`` > 0."""
        import torch

        out = []
        for start in range(0, x.shape[0], chunk):
            xb = x[start:start + chunk]
            tb = torch.full((xb.shape[0],), int(t), dtype=torch.int64, device=x.device)
            yb = None if y is None else y[start:start + chunk]
            if yb is None or guidance == 0:
                out.append(net(xb, tb, yb))
                continue
            # one pass for both: eps(x, t, y) and eps(x, t, none)
            none = torch.full_like(yb, self.config.n_classes)
            both = net(torch.cat([xb, xb]), torch.cat([tb, tb]), torch.cat([yb, none]))
            conditional, unconditional = both.chunk(2)
            # eps_hat = (1 + w) eps(x, y) - w eps(x, none)
            out.append((1 + guidance) * conditional - guidance * unconditional)
        return torch.cat(out)

    def reverse_step(self, x: Any, eps_hat: Any, i: int, chain: dict, method: str, eta: float,
                     z: Any = None) -> Any:
        """One step of the reverse chain from kept step ``chain['t'][i]`` to the next one.

        Parameters
        ----------
        x : tensor (n, C, H, W)
            x_t, in the model's [-1, 1] scale.
        eps_hat : tensor like x
            The predicted noise at t.
        i : int
            Position in the sub-chain (:meth:`Schedule.sub_chain`).
        method : {"ancestral", "ddim"}
        eta : float
            DDIM's noise scale (ignored by ``"ancestral"``).
        z : tensor like x, optional
            Standard normal noise (needed when the step's standard deviation is > 0).

        Returns
        -------
        tensor like x: x at the next kept step.
        """
        ab, ab_prev, beta = (float(chain[k][i]) for k in ("alpha_bar", "alpha_bar_prev", "betas"))
        # x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_bar_t)
        x0_hat = (x - math.sqrt(1 - ab) * eps_hat) / math.sqrt(ab)
        if self.config.clip_denoised:
            x0_hat = x0_hat.clamp(-1.0, 1.0)
            # the noise consistent with the clipped estimate: eps = (x_t - sqrt(alpha_bar_t) x0_hat) / sqrt(1 - alpha_bar_t)
            eps_hat = (x - math.sqrt(ab) * x0_hat) / math.sqrt(1 - ab)
        sigma = self.step_std(chain, i, method, eta)
        if method == "ancestral":
            # mu_tilde = sqrt(alpha_bar_s) beta_t / (1 - alpha_bar_t) x0_hat + sqrt(alpha_t) (1 - alpha_bar_s) / (1 - alpha_bar_t) x_t
            mean = (math.sqrt(ab_prev) * beta / (1 - ab)) * x0_hat + (math.sqrt(1 - beta) * (1 - ab_prev) / (1 - ab)) * x
        else:
            # x_s = sqrt(alpha_bar_s) x0_hat + sqrt(1 - alpha_bar_s - sigma^2) eps_hat  (+ sigma z)
            mean = math.sqrt(ab_prev) * x0_hat + math.sqrt(max(1 - ab_prev - sigma ** 2, 0.0)) * eps_hat
        return mean if sigma == 0 else mean + sigma * z

    @staticmethod
    def step_std(chain: dict, i: int, method: str, eta: float) -> float:
        """The standard deviation of the noise step ``i`` adds (0 at the last step)."""
        ab, ab_prev = float(chain["alpha_bar"][i]), float(chain["alpha_bar_prev"][i])
        if method == "ancestral":
            # sqrt(beta_tilde_t)
            return math.sqrt(float(chain["posterior_variance"][i]))
        # sigma = eta sqrt((1 - alpha_bar_s) / (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_s)
        return eta * math.sqrt((1 - ab_prev) / (1 - ab)) * math.sqrt(max(1 - ab / ab_prev, 0.0))

    # -- sampling ----------------------------------------------------------------------
    def _sampling_options(self, labels: Any, n: int, steps: Any, method: Any, eta: Any,
                          guidance: Any) -> tuple:
        c = self.config
        method = c.sample_method if method is None else method
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}.")
        # the default: sample_steps, or all T steps when T is smaller
        steps = min(c.sample_steps, c.T) if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= c.T:
            raise ValueError(f"steps must be an int in [1, {c.T}] (the model's T); got {steps!r}.")
        if isinstance(eta, bool) or not isinstance(eta, numbers.Real) or not 0 <= eta <= 1:
            raise ValueError(f"eta must be a real number in [0, 1]; got {eta!r}.")
        if guidance is not None:
            if isinstance(guidance, bool) or not isinstance(guidance, numbers.Real) or not (
                    math.isfinite(guidance) and guidance >= 0):
                raise ValueError(f"guidance must be a finite real number >= 0; got {guidance!r}.")
            if not self.conditional:
                raise ValueError("guidance needs a conditional model (this DDPM has n_classes=None).")
            if labels is None and guidance != 0:
                raise ValueError("guidance needs labels: give labels (or --label / --prompt) to guide towards.")
        y = None if labels is None else self._labels(labels, n, "labels")
        if y is None:
            guidance = 0.0
        elif guidance is None:
            guidance = c.guidance
        return y, int(steps), method, float(eta), float(guidance)

    def sample(self, n: int, labels: Any = None, steps: int | None = None, method: str | None = None,
               eta: float = 0.0, guidance: float | None = None, return_trajectory: bool = False,
               random_state: int | None = None) -> Any:
        """Draw ``n`` images by running the reverse chain from noise: (n, C, H, W) float32 in [0, 1].

        Parameters
        ----------
        n : int
        labels : int or array-like of shape (n,), optional
            The class of each sample (an int: all the same); None draws unconditional
            samples (the "no label" token).  Refused by an unconditional model.
        steps : int, optional
            Sampling steps, 1..T (default the config's ``sample_steps``, at most T).
        method : {"ancestral", "ddim"}, optional
            Default the config's ``sample_method``.
        eta : float in [0, 1], default=0
            DDIM's noise (0: deterministic; 1: the ancestral posterior).
        guidance : float >= 0, optional
            Classifier-free guidance weight w (default the config's ``guidance`` when
            labels are given; needs labels).
        return_trajectory : bool, default=False
            Also return x at every kept step, noise first: (steps + 1, n, C, H, W),
            mapped to the image scale ((x + 1) / 2, not clipped; the last frame is
            ``images``), and the step numbers.
        random_state : int, optional
            Seed of the noise (default: the config's ``random_state``).

        Returns
        -------
        images : ndarray (n, C, H, W)
        trajectory, timesteps : ndarray, ndarray (only with ``return_trajectory``)
            ``timesteps`` (steps + 1,): the step of each trajectory frame (0: the result).

        Raises
        ------
        ValueError
            For a bad ``method``, ``steps``, ``eta`` or ``guidance``, labels out of range,
            or guidance without labels or on an unconditional model.
        """
        import torch
        from tqdm import tqdm

        n = self._check_count(n)
        self._check_fitted()
        y, steps, method, eta, guidance = self._sampling_options(labels, n, steps, method, eta, guidance)
        generator = self._generator(random_state)
        chain = self.schedule_.sub_chain(self.schedule_.timesteps(steps))
        net = self._eval_network()
        shape = (n, *self.image_shape_)
        # x_T ~ N(0, I)
        x = torch.randn(shape, generator=generator).to(self.device_)
        frames = [x.cpu()] if return_trajectory else None
        with torch.no_grad():
            for i in tqdm(range(len(chain["t"])), desc=f"DDPM {method} sampling", unit="step",
                          disable=not sys.stderr.isatty(), leave=False):
                eps_hat = self._predict_noise(net, x, int(chain["t"][i]), y, guidance)
                z = None
                if self.step_std(chain, i, method, eta) > 0:
                    z = torch.randn(shape, generator=generator).to(self.device_)
                x = self.reverse_step(x, eps_hat, i, chain, method, eta, z)
                if frames is not None:
                    frames.append(x.cpu())
        # back to [0, 1]; for data on k gray levels the last step is discrete: round(k x_0) / k
        final = self._discretize(((x + 1) / 2).clamp(0.0, 1.0))
        images = self._numpy(final)
        if not return_trajectory:
            return images
        trajectory = ((torch.stack(frames) + 1) / 2).numpy().astype(np.float32)
        trajectory[-1] = images   # the last frame is the result itself
        timesteps = np.concatenate([chain["t"], [0]])
        return images, trajectory, timesteps

    def noise_images(self, X: Any, timesteps: Any, random_state: int | None = None) -> np.ndarray:
        """The forward process on images ``X``: x_t for each t of ``timesteps``, (len(t), n, C, H, W) in [0, 1] scale.

        x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, with one eps per image
        shared by all t (t = 0 gives the images); shown as (x_t + 1) / 2, not clipped.
        """
        import torch

        x0 = 2 * self._images(X).cpu() - 1
        t = np.asarray(_to_numpy(timesteps)).astype(np.int64).ravel()
        if t.size == 0 or t.min() < 0 or t.max() > self.config.T:
            raise ValueError(f"timesteps must hold step numbers in [0, {self.config.T}]; got {t.tolist()}.")
        eps = torch.randn(x0.shape, generator=self._generator(random_state))
        alpha_bar = np.concatenate([[1.0], self.schedule_.alpha_bar])[t]
        out = [math.sqrt(a) * x0 + math.sqrt(1 - a) * eps for a in alpha_bar]
        return ((torch.stack(out) + 1) / 2).numpy().astype(np.float32)

    # -- run records -------------------------------------------------------------------
    def record_arrays(self, X: Any, y: Any = None, random_state: int = 0) -> dict:
        """Arrays for a run record's figures (see :meth:`GenerativeModel.record_arrays`).

        * ``forward.images`` (k, C, H, W) and ``forward.t`` (k,): the first image of
          ``X`` noised to steps 0 .. T (:meth:`noise_images`);
        * ``reverse.images`` (k, m, C, H, W) and ``reverse.t`` (k,): the default sampler's
          trajectory of m = 10 samples (labels 0..9 for a conditional model), noise first
          (``reverse.method``, ``reverse.n_steps``: the sampler and its number of steps);
        * ``samples.images`` (100, C, H, W) and ``samples.labels`` (10 per label, the
          default guidance; unconditional samples and no labels otherwise);
        * ``guidance.weights`` (w,), ``guidance.images`` (w, 10, C, H, W): one sample per
          label from one noise at each guidance weight (a conditional model), and for
          8x8 digits ``guidance.accuracy`` (w,): the digits classifier's agreement with
          the label on 50 samples per weight;
        * for 8x8 digits, ``ddim.steps`` and ``ddim.fid``: ``digits_fid`` of 400
          unconditional DDIM samples against the number of steps, and ``ddim.real_fid``:
          the figure of 400 images of ``X`` (the floor a finite sample sets).
        """
        from ..base import check_images

        X = check_images(X, "X", self.image_shape_)
        T = self.config.T
        out: dict = {}
        # forward noising: t = 0 and steps spread over 1..T (more of them early, where the digit fades)
        fractions = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0])
        t = np.unique(np.round(fractions * T).astype(np.int64))
        out["forward.t"] = t
        out["forward.images"] = self.noise_images(X[:1], t, random_state=random_state)[:, 0]
        labels = np.arange(10) % self.config.n_classes if self.conditional else None
        _, trajectory, steps = self.sample(10, labels=labels, return_trajectory=True, random_state=random_state)
        keep = np.unique(np.round(np.linspace(0, len(steps) - 1, min(9, len(steps)))).astype(int))
        out["reverse.t"], out["reverse.images"] = steps[keep], trajectory[keep]
        out["reverse.n_steps"] = np.array(len(steps) - 1)
        out["reverse.method"] = np.array(self.config.sample_method)
        grid = np.arange(100) % self.config.n_classes if self.conditional else None
        out["samples.images"] = self.sample(100, labels=grid, random_state=random_state)
        if grid is not None:
            out["samples.labels"], out["samples.labels_source"] = grid, np.array("asked")
        digits = tuple(self.image_shape_) == (1, 8, 8)
        if self.conditional:
            weights = np.array([0.0, 0.5, 1.0, 2.0, 4.0])
            shown, accuracy = [], []
            asked = np.arange(50) % self.config.n_classes
            for w in weights:
                images = self.sample(50, labels=asked, guidance=float(w), random_state=random_state + 1)
                shown.append(images[:10])
                if digits:
                    from ...metrics import classify_digits

                    accuracy.append(float(np.mean(classify_digits(images) == asked)))
            out["guidance.weights"], out["guidance.images"] = weights, np.stack(shown)
            if digits:
                out["guidance.accuracy"] = np.array(accuracy)
        if digits:
            from ...metrics import digits_fid

            counts = np.array([s for s in (5, 10, 20, 50) if s <= T] or [T])
            out["ddim.steps"] = counts
            out["ddim.fid"] = np.array([digits_fid(self.sample(400, steps=int(s), method="ddim",
                                                               random_state=random_state)).fid for s in counts])
            out["ddim.real_fid"] = np.array(digits_fid(X[:400]).fid)
        return out
