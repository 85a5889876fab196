"""The generative models ``mlatlas train`` and ``mlatlas sample`` know: one table of metadata.

Plain data (no model is imported here), so the command-line parser can list the names
without importing PyTorch or any model package; :mod:`mlatlas.generative.cli_support`
imports a class when a command needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MODELS", "ModelSpec"]


@dataclass(frozen=True)
class ModelSpec:
    """A model ``mlatlas train`` and ``mlatlas sample`` know.

    ``target`` names the class as ``"module:Class"`` (imported only when used);
    ``torch`` says whether it trains through the PyTorch trainer (checkpoints,
    ``--resume``, ``save(dir)``/``load(dir)``) or is a NumPy estimator saved with
    :func:`mlatlas.save_model` in ``OUT/model/model.npz``.
    """

    target: str
    torch: bool = True


#: CLI name -> the model it builds.  A model family adds its own line here.
MODELS: dict[str, ModelSpec] = {
    "ae": ModelSpec("mlatlas.generative.autoencoders:Autoencoder"),
    "sparse-ae": ModelSpec("mlatlas.generative.autoencoders:SparseAutoencoder"),
    "denoising-ae": ModelSpec("mlatlas.generative.autoencoders:DenoisingAutoencoder"),
    "vae": ModelSpec("mlatlas.generative.vae:VAE"),
    "gan": ModelSpec("mlatlas.generative.gan:GAN"),
    "ddpm": ModelSpec("mlatlas.generative.diffusion.ddpm:DDPM"),
    "rbm": ModelSpec("mlatlas.generative.boltzmann:RBM", torch=False),
    "dbn": ModelSpec("mlatlas.generative.boltzmann:DBN", torch=False),
    "bm": ModelSpec("mlatlas.generative.boltzmann:BoltzmannMachine", torch=False),
}
