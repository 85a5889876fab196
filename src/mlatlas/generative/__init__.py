"""Deep generative models in PyTorch: autoencoders, the VAE, the GAN, and the one trainer they share.

``import mlatlas.generative`` needs no PyTorch: the models' configs and the
checkpoint allow-list are plain Python, and the models import PyTorch when they are
fitted, loaded or evaluated (an ImportError then says to install ``mlatlas[deep]``).

* :mod:`~mlatlas.generative.training`: :class:`Trainer` (progress bar, ``history_``,
  checkpoints, exact resume, the NaN guard, DDP under ``torchrun``, devices).
* :mod:`~mlatlas.generative.checkpoint`: safetensors + JSON checkpoints, written
  atomically and read without pickle.
* :class:`Autoencoder`, :class:`SparseAutoencoder`, :class:`DenoisingAutoencoder`,
  :class:`VAE`, :class:`GAN`.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_WHERE = {
    "Autoencoder": "autoencoders",
    "AutoencoderConfig": "autoencoders",
    "SparseAutoencoder": "autoencoders",
    "SparseAutoencoderConfig": "autoencoders",
    "DenoisingAutoencoder": "autoencoders",
    "DenoisingAutoencoderConfig": "autoencoders",
    "VAE": "vae",
    "VAEConfig": "vae",
    "GAN": "gan",
    "GANConfig": "gan",
    "DDPM": "diffusion.ddpm",
    "DDPMConfig": "diffusion.ddpm",
    "GenerativeModel": "base",
    "NonFiniteLossError": "base",
    "TrainingConfig": "config",
    "CheckpointError": "checkpoint",
    "load_checkpoint": "checkpoint",
    "model_classes": "checkpoint",
    "Trainer": "training",
    "fit_model": "training",
}

__all__, __getattr__, __dir__ = lazy_exports(
    __name__, _WHERE, submodules=("training", "checkpoint", "config", "base", "autoencoders", "vae", "gan"))
