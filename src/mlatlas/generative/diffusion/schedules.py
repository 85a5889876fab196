r"""Noise schedules of a diffusion model and every quantity derived from them, in one place.

The forward process adds Gaussian noise in ``T`` small steps,

    q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I),    alpha_t = 1 - beta_t,

so that any step can be reached from the data in one draw,

    q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I),    alpha_bar_t = prod_{s <= t} alpha_s.

The reverse process needs the posterior of one step back given the data,

    q(x_{t-1} | x_t, x_0) = N(mu_tilde_t, beta_tilde_t I),
    mu_tilde_t   = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0
                 + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t,
    beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t),

with alpha_bar_0 = 1 (so beta_tilde_1 = 0: the last step adds no noise).  Steps are
numbered t = 1..T in the maths and stored at index t - 1 in the arrays.

Two beta schedules:

* ``linear`` (Ho et al.): beta_t evenly spaced from ``beta_start`` = 1e-4 to
  ``beta_end`` = 0.02 over T = 1000 steps;
* ``cosine`` (Nichol & Dhariwal): alpha_bar_t = f(t) / f(0) with
  f(t) = cos((t / T + s) / (1 + s) * pi / 2)^2, s = 0.008, and
  beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} capped at 0.999.

This module is NumPy only (float64): the sampler and the loss read its arrays as
tensors.

References
----------
Ho, Jain & Abbeel, "Denoising diffusion probabilistic models", NeurIPS (2020);
Nichol & Dhariwal, "Improved denoising diffusion probabilistic models", ICML (2021).

Examples
--------
>>> s = Schedule.make("linear", 1000)
>>> round(float(s.alpha_bar[-1]), 6)
4e-05
>>> float(s.posterior_variance[0])
0.0
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["Schedule", "linear_betas", "cosine_betas", "SCHEDULES"]

SCHEDULES = ("linear", "cosine")


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """beta_1..beta_T evenly spaced from ``beta_start`` to ``beta_end``, shape (T,) float64."""
    return np.linspace(beta_start, beta_end, T, dtype=np.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """The cosine schedule's beta_1..beta_T, shape (T,) float64.

    alpha_bar(t) = f(t) / f(0), f(t) = cos((t / T + s) / (1 + s) * pi / 2)^2, and
    beta_t = 1 - alpha_bar(t) / alpha_bar(t - 1), capped at ``max_beta``.
    """
    t = np.arange(T + 1, dtype=np.float64)
    # f(t) = cos^2(((t / T + s) / (1 + s)) * pi / 2)
    f = np.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    # beta_t = 1 - alpha_bar_t / alpha_bar_{t-1}
    return np.minimum(1.0 - alpha_bar[1:] / alpha_bar[:-1], max_beta)


@dataclass(frozen=True)
class Schedule:
    """A beta schedule and its derived arrays, each of shape (T,), index t - 1 for step t.

    Attributes
    ----------
    betas : beta_t
    alphas : alpha_t = 1 - beta_t
    alpha_bar : alpha_bar_t = prod_{s <= t} alpha_s
    alpha_bar_prev : alpha_bar_{t-1} (alpha_bar_0 = 1)
    posterior_variance : beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)
    posterior_coef_x0 : sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t)
    posterior_coef_xt : sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)
    """

    betas: np.ndarray

    @classmethod
    def make(cls, kind: str = "linear", T: int = 1000, beta_start: float = 1e-4,
             beta_end: float = 0.02) -> "Schedule":
        """The ``"linear"`` or ``"cosine"`` schedule over ``T`` steps.

        Raises
        ------
        ValueError
            For an unknown kind, T < 1, or linear betas outside (0, 1) or decreasing.
        """
        if isinstance(T, bool) or not isinstance(T, numbers.Integral) or T < 1:
            raise ValueError(f"T must be an int >= 1; got {T!r}.")
        if kind == "linear":
            if not 0 < beta_start <= beta_end < 1:
                raise ValueError(f"the linear schedule needs 0 < beta_start <= beta_end < 1; got "
                                 f"{beta_start!r} and {beta_end!r}.")
            return cls(linear_betas(int(T), beta_start, beta_end))
        if kind == "cosine":
            return cls(cosine_betas(int(T)))
        raise ValueError(f"schedule must be one of {', '.join(map(repr, SCHEDULES))}; got {kind!r}.")

    def __post_init__(self) -> None:
        betas = np.asarray(self.betas, dtype=np.float64)
        if betas.ndim != 1 or betas.size < 1 or not np.all((betas > 0) & (betas < 1)):
            raise ValueError("betas must be a non-empty 1-D array of values in (0, 1).")
        object.__setattr__(self, "betas", betas)

    @property
    def T(self) -> int:
        """The number of diffusion steps."""
        return int(self.betas.size)

    @property
    def alphas(self) -> np.ndarray:
        # alpha_t = 1 - beta_t
        return 1.0 - self.betas

    @property
    def alpha_bar(self) -> np.ndarray:
        # alpha_bar_t = prod_{s <= t} alpha_s
        return np.cumprod(self.alphas)

    @property
    def alpha_bar_prev(self) -> np.ndarray:
        # alpha_bar_{t-1}, with alpha_bar_0 = 1
        return np.concatenate([[1.0], self.alpha_bar[:-1]])

    @property
    def posterior_variance(self) -> np.ndarray:
        # beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)
        return self.betas * (1.0 - self.alpha_bar_prev) / (1.0 - self.alpha_bar)

    @property
    def posterior_coef_x0(self) -> np.ndarray:
        # coefficient of x_0 in mu_tilde_t: sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t)
        return np.sqrt(self.alpha_bar_prev) * self.betas / (1.0 - self.alpha_bar)

    @property
    def posterior_coef_xt(self) -> np.ndarray:
        # coefficient of x_t in mu_tilde_t: sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)
        return np.sqrt(self.alphas) * (1.0 - self.alpha_bar_prev) / (1.0 - self.alpha_bar)

    def timesteps(self, steps: int | None = None) -> np.ndarray:
        """``steps`` step numbers from T down to 1, about evenly spaced (int64, descending).

        ``steps=None`` or T gives T, T-1, ..., 1.  The sub-sequence always starts at T
        and ends at 1, so a sampler over it begins from pure noise and ends at the data.

        Raises
        ------
        ValueError
            Unless 1 <= steps <= T.
        """
        T = self.T
        if steps is None:
            steps = T
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= T:
            raise ValueError(f"steps must be an int in [1, {T}] (the schedule's T); got {steps!r}.")
        if steps == 1:
            return np.array([T], dtype=np.int64)
        # t_i = round(1 + i (T - 1) / (steps - 1)), i = 0..steps-1: distinct since steps <= T
        ts = np.round(1 + np.arange(steps) * (T - 1) / (steps - 1)).astype(np.int64)
        return ts[::-1].copy()

    def sub_chain(self, timesteps: np.ndarray) -> dict:
        """The reverse chain restricted to ``timesteps`` (descending step numbers).

        Between consecutive kept steps t > s the chain jumps with
        alpha_bar_s / alpha_bar_t in place of one alpha (s = 0 after the last one):

            beta'_t = 1 - alpha_bar_t / alpha_bar_s,
            beta_tilde'_t = beta'_t (1 - alpha_bar_s) / (1 - alpha_bar_t).

        On all T steps these are the schedule's own beta_t and beta_tilde_t.

        Returns
        -------
        dict of arrays, one entry per kept step: ``t``, ``alpha_bar``, ``alpha_bar_prev``,
        ``betas``, ``posterior_variance``.
        """
        t = np.asarray(timesteps, dtype=np.int64)
        alpha_bar = self.alpha_bar[t - 1]
        prev_t = np.concatenate([t[1:], [0]])
        alpha_bar_prev = np.where(prev_t > 0, self.alpha_bar[np.maximum(prev_t, 1) - 1], 1.0)
        # beta'_t = 1 - alpha_bar_t / alpha_bar_s
        betas = 1.0 - alpha_bar / alpha_bar_prev
        # beta_tilde'_t = beta'_t (1 - alpha_bar_s) / (1 - alpha_bar_t)
        variance = betas * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
        return {"t": t, "alpha_bar": alpha_bar, "alpha_bar_prev": alpha_bar_prev, "betas": betas,
                "posterior_variance": variance}
