"""Diffusion models: the DDPM with a U-Net noise predictor, DDIM sampling, classifier-free guidance.

``import mlatlas.generative.diffusion`` needs no PyTorch (the schedules are NumPy and
the model imports PyTorch when it is fitted, loaded or sampled).

* :mod:`~mlatlas.generative.diffusion.schedules`: the linear and cosine beta schedules
  and everything derived from them (alpha_bar, the posterior's coefficients and variance).
* :mod:`~mlatlas.generative.diffusion.unet`: :class:`UNet`, the noise predictor.
* :mod:`~mlatlas.generative.diffusion.ddpm`: :class:`DDPM` and :class:`DDPMConfig`.
"""

from __future__ import annotations

from ..._lazy import lazy_exports

_WHERE = {
    "DDPM": "ddpm",
    "DDPMConfig": "ddpm",
    "METHODS": "ddpm",
    "Schedule": "schedules",
    "UNet": "unet",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _WHERE, submodules=("ddpm", "schedules", "unet"))
