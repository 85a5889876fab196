r"""Autoencoders: plain, sparse and denoising, on images in [0, 1].

An autoencoder learns a code ``h = f(x)`` of each image and a decoder ``g`` that
rebuilds the image from it, ``x_hat = g(h)``; a code narrower than the image forces
it to keep what matters.  Encoder and decoder are multi-layer perceptrons,

    h     = a(W_k ... relu(W_1 x + b_1) ... + b_k)      (a: the code activation)
    x_hat = sigmoid(V_k ... relu(V_1 h + c_1) ... + c_k),

trained to minimise the reconstruction loss averaged over a batch, per image either

    bernoulli:  -log p(x | h) = -sum_j [ x_j log x_hat_j + (1 - x_j) log(1 - x_hat_j) ]
    gaussian:   1/2 ||x - x_hat||^2.

:class:`SparseAutoencoder` adds a penalty that keeps most code units inactive for
each image, so the code can even be wider than the image:

    l1:  lambda * (1/B) sum_i ||h_i||_1
    kl:  lambda * sum_j KL(rho || rho_hat_j),   rho_hat_j = (1/B) sum_i h_ij   (sigmoid codes)
         KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat)),

the second pulling every unit's mean activation over the batch towards a small
target ``rho``.  :class:`DenoisingAutoencoder` encodes a corrupted image
``x_tilde ~ C(x_tilde | x)`` and is trained to give back the clean one, so it must
learn what digits look like rather than copy pixels:

    gaussian:  x_tilde = clip(x + sigma * eps, 0, 1),  eps ~ N(0, I)
    masking:   x_tilde = x * m,  m_j ~ Bernoulli(1 - p)   (each pixel dropped with probability p).

References
----------
Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science (2006); Ng, "Sparse autoencoder", CS294A lecture notes (2011); Vincent et al.,
"Extracting and composing robust features with denoising autoencoders", ICML (2008).

Examples
--------
>>> import numpy as np
>>> from sklearn.datasets import load_digits
>>> X = load_digits().data[:200] / 16
>>> ae = Autoencoder(code_dim=8, epochs=5, random_state=0).fit(X)
>>> ae.encode(X).shape, ae.reconstruct(X).shape
((200, 8), (200, 1, 8, 8))
>>> bool(ae.history_[-1]["loss"] < ae.history_[0]["loss"])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .base import GenerativeModel, check_images
from .config import TrainingConfig, param

__all__ = ["Autoencoder", "SparseAutoencoder", "DenoisingAutoencoder", "AutoencoderConfig",
           "SparseAutoencoderConfig", "DenoisingAutoencoderConfig"]

CODE_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")
RECONSTRUCTIONS = ("bernoulli", "gaussian")


@dataclass
class AutoencoderConfig(TrainingConfig):
    """Config of :class:`Autoencoder` (the training fields come from :class:`TrainingConfig`)."""

    epochs: int = param(100, "passes over the training data", kind="int", low=1)
    code_dim: int = param(16, "size of the code h", kind="int", low=1)
    hidden_sizes: tuple = param((128,), "widths of the encoder's hidden layers (the decoder mirrors them)",
                                kind="int_tuple", low=1)
    code_activation: str = param("linear", "activation of the code layer", kind="choice",
                                 choices=CODE_ACTIVATIONS)
    reconstruction: str = param("bernoulli", "reconstruction loss: bernoulli (cross-entropy) or gaussian "
                                "(half the squared error)", kind="choice", choices=RECONSTRUCTIONS)


@dataclass
class SparseAutoencoderConfig(AutoencoderConfig):
    """Config of :class:`SparseAutoencoder`."""

    code_dim: int = param(64, "size of the code h (may exceed the image size)", kind="int", low=1)
    hidden_sizes: tuple = param((), "widths of the encoder's hidden layers (the decoder mirrors them)",
                                kind="int_tuple", low=1)
    code_activation: str = param("sigmoid", "activation of the code layer (sigmoid for the kl penalty)",
                                 kind="choice", choices=CODE_ACTIVATIONS)
    sparsity: str = param("kl", "sparsity penalty: kl (mean activation towards target_activation) or l1",
                          kind="choice", choices=("kl", "l1"))
    sparsity_weight: float = param(1.0, "lambda, the penalty's weight", kind="float", low=0)
    target_activation: float = param(0.05, "rho, the target mean activation of each code unit (kl)",
                                     kind="float", low=0, high=1, low_inclusive=False, high_inclusive=False)


@dataclass
class DenoisingAutoencoderConfig(AutoencoderConfig):
    """Config of :class:`DenoisingAutoencoder`."""

    corruption: str = param("masking", "how inputs are corrupted: masking (pixels set to 0) or gaussian "
                            "(noise added, clipped to [0, 1])", kind="choice", choices=("masking", "gaussian"))
    noise_level: float = param(0.3, "p, the share of pixels masked, or sigma, the Gaussian noise's standard "
                               "deviation", kind="float", low=0)


class Autoencoder(GenerativeModel):
    """An MLP autoencoder: ``encode`` to a code, ``decode`` back to an image in [0, 1].

    Parameters
    ----------
    **params
        Fields of :class:`AutoencoderConfig`: ``code_dim=16``, ``hidden_sizes=(128,)``,
        ``code_activation="linear"``, ``reconstruction="bernoulli"`` and the training
        fields (``epochs=100``, ``batch_size=64``, ``learning_rate=1e-3``,
        ``random_state``, ``device``...).

    Attributes
    ----------
    history_ : History
        Per epoch: ``loss``, ``reconstruction`` (per image, batch mean), ``lr``,
        ``seconds``, ``epoch``, ``step``.

    Notes
    -----
    See the module documentation for the maths.
    """

    config_class = AutoencoderConfig

    # -- network -----------------------------------------------------------------------
    def _build_network(self, image_shape: tuple) -> Any:
        from ._nets import mlp, nn

        d = math.prod(image_shape)
        sizes = [d, *self.config.hidden_sizes, self.config.code_dim]
        encoder = mlp(sizes)
        if self.config.code_activation != "linear":
            encoder.append({"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[self.config.code_activation]())
        decoder = mlp(sizes[::-1])
        return nn.ModuleDict({"encoder": encoder, "decoder": decoder})

    # -- the maths ---------------------------------------------------------------------
    def _corrupt(self, x: Any, noise: Any) -> Any:
        """The encoder's input for clean images ``x`` (B, D): ``x`` itself for a plain autoencoder."""
        return x

    def _penalty(self, code: Any) -> dict:
        """Extra loss terms on the code (B, code_dim): none for a plain autoencoder."""
        return {}

    def _reconstruction_loss(self, logits: Any, x: Any) -> Any:
        """Per-image reconstruction loss (B,) of the decoder's pre-sigmoid output ``logits``."""
        import torch.nn.functional as F

        if self.config.reconstruction == "bernoulli":
            # -log p(x | h) = -sum_j [x_j log x_hat_j + (1 - x_j) log(1 - x_hat_j)],  x_hat = sigmoid(logits)
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        # 1/2 ||x - x_hat||^2
        return 0.5 * (x - logits.sigmoid()).pow(2).sum(dim=1)

    def _loss_terms(self, network: Any, phase: str, x: Any, y: Any, noise: Any) -> dict:
        x = x.flatten(1)                                    # (B, D)
        code = network["encoder"](self._corrupt(x, noise))  # (B, code_dim)
        logits = network["decoder"](code)                   # (B, D)
        reconstruction = self._reconstruction_loss(logits, x).mean()
        penalties = self._penalty(code)
        # loss = mean reconstruction loss + penalties
        loss = reconstruction + sum(penalties.values()) if penalties else reconstruction
        return {"loss": loss, "reconstruction": reconstruction, **penalties}

    # -- public methods ----------------------------------------------------------------
    def _batched(self, fn: Any, *arrays: Any, batch: int = 4096) -> np.ndarray:
        import torch

        n = arrays[0].shape[0]
        with torch.no_grad():
            return np.concatenate([self._numpy(fn(*(a[i:i + batch] for a in arrays))) for i in range(0, n, batch)])

    def encode(self, X: Any) -> np.ndarray:
        """Codes of the images ``X``: array of shape (n, code_dim), float32."""
        x = self._images(X).flatten(1)
        net = self._eval_network()
        return self._batched(net["encoder"], x)

    def decode(self, codes: Any) -> np.ndarray:
        """Images (n, C, H, W) in [0, 1] decoded from ``codes`` of shape (n, code_dim)."""
        import torch

        self._check_fitted()
        from .base import _to_numpy

        h = np.asarray(_to_numpy(codes), dtype=np.float32)
        if h.ndim != 2 or h.shape[1] != self.config.code_dim or not np.isfinite(h).all():
            raise ValueError(f"codes must be a finite array of shape (n, {self.config.code_dim}); got shape "
                             f"{h.shape}.")
        net = self._eval_network()
        out = self._batched(lambda c: net["decoder"](c).sigmoid(), torch.from_numpy(h).to(self.device_))
        return out.reshape((-1, *self.image_shape_))

    def reconstruct(self, X: Any) -> np.ndarray:
        """``decode(encode(X))``: the images as the autoencoder rebuilds them, (n, C, H, W)."""
        x = self._images(X).flatten(1)
        net = self._eval_network()
        out = self._batched(lambda v: net["decoder"](net["encoder"](v)).sigmoid(), x)
        return out.reshape((-1, *self.image_shape_))

    def reconstruction_error(self, X: Any) -> np.ndarray:
        """Per-image mean squared error of :meth:`reconstruct` over the pixels, shape (n,).

        Comparable with PCA's reconstruction error at the same code size.
        """
        x = self._images(X).flatten(1)
        rebuilt = self.reconstruct(X).reshape(x.shape[0], -1)
        return ((self._numpy(x) - rebuilt) ** 2).mean(axis=1)


    def record_arrays(self, X: Any, y: Any = None, random_state: int = 0) -> dict:
        """Arrays for a run record: ``codes`` of ``X`` (n, code_dim), ``labels`` (with ``y``), and
        ``reconstruction.{original,rebuilt,labels}``: ten images (one per class when labelled) and
        what the autoencoder makes of them.  See :meth:`GenerativeModel.record_arrays`."""
        X = check_images(X, "X", self.image_shape_)
        shown = X[self._examples(y, X.shape[0])]
        out = {"codes": self.encode(X), "reconstruction.original": shown}
        out.update(self._rebuilt(shown, random_state))
        if y is not None:
            out["labels"] = np.asarray(y)
            out["reconstruction.labels"] = np.asarray(y)[self._examples(y, X.shape[0])]
        return out

    def _rebuilt(self, shown: np.ndarray, random_state: int) -> dict:
        return {"reconstruction.rebuilt": self.reconstruct(shown)}


class SparseAutoencoder(Autoencoder):
    """An autoencoder whose code is kept sparse by an L1 or a KL penalty.

    Parameters
    ----------
    **params
        Fields of :class:`SparseAutoencoderConfig`: ``sparsity="kl"`` (or ``"l1"``),
        ``sparsity_weight=1.0`` (lambda), ``target_activation=0.05`` (rho, for kl),
        ``code_dim=64``, ``hidden_sizes=()``, ``code_activation="sigmoid"``, and the
        fields of :class:`Autoencoder`.

    Attributes
    ----------
    history_ : History
        Per epoch also ``sparsity``, the penalty (already multiplied by lambda).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((64, 64))
    >>> sae = SparseAutoencoder(epochs=3, random_state=0).fit(X)
    >>> sorted(k for k in sae.history_[0] if k not in ("epoch", "step", "seconds", "lr"))
    ['loss', 'reconstruction', 'sparsity']
    """

    config_class = SparseAutoencoderConfig

    def _check_config(self) -> None:
        if self.config.sparsity == "kl" and self.config.code_activation != "sigmoid":
            raise ValueError("sparsity='kl' compares mean activations in (0, 1) with target_activation, so it "
                             f"needs code_activation='sigmoid'; got code_activation={self.config.code_activation!r}.")

    def _penalty(self, code: Any) -> dict:
        weight = self.config.sparsity_weight
        if self.config.sparsity == "l1":
            # lambda * (1/B) sum_i ||h_i||_1
            return {"sparsity": weight * code.abs().sum(dim=1).mean()}
        rho = self.config.target_activation
        # rho_hat_j = (1/B) sum_i h_ij, kept inside (0, 1) for the logarithms
        rho_hat = code.mean(dim=0).clamp(1e-6, 1 - 1e-6)
        # lambda * sum_j [rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))]
        kl = rho * (math.log(rho) - rho_hat.log()) + (1 - rho) * (math.log(1 - rho) - (1 - rho_hat).log())
        return {"sparsity": weight * kl.sum()}

    def mean_activation(self, X: Any) -> np.ndarray:
        """Mean of each code unit over the images ``X``, shape (code_dim,) (rho_hat on ``X``)."""
        return self.encode(X).mean(axis=0)

    def record_arrays(self, X: Any, y: Any = None, random_state: int = 0) -> dict:
        """The autoencoder's arrays plus ``mean_activation`` (code_dim,), rho_hat on ``X``."""
        out = super().record_arrays(X, y, random_state)
        out["mean_activation"] = out["codes"].mean(axis=0)
        return out


class DenoisingAutoencoder(Autoencoder):
    """An autoencoder trained to rebuild clean images from corrupted ones.

    Parameters
    ----------
    **params
        Fields of :class:`DenoisingAutoencoderConfig`: ``corruption="masking"`` (or
        ``"gaussian"``), ``noise_level=0.3`` (the masked share p, or sigma), and the
        fields of :class:`Autoencoder`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((32, 64))
    >>> dae = DenoisingAutoencoder(epochs=2, random_state=0).fit(X)
    >>> noisy = dae.corrupt(X, random_state=1)
    >>> bool((noisy == 0).mean() > (X == 0).mean()), dae.reconstruct(noisy).shape
    (True, (32, 1, 8, 8))
    """

    config_class = DenoisingAutoencoderConfig

    def _check_config(self) -> None:
        if self.config.corruption == "masking" and self.config.noise_level >= 1:
            raise ValueError("noise_level is the share of pixels masked, so it must be < 1 with "
                             f"corruption='masking'; got {self.config.noise_level!r}.")

    def _corrupt_with(self, x: Any, uniform: Any, normal: Any) -> Any:
        level = self.config.noise_level
        if self.config.corruption == "masking":
            # x_tilde = x * m,  m_j ~ Bernoulli(1 - p)
            return x * (uniform >= level).to(x.dtype)
        # x_tilde = clip(x + sigma * eps, 0, 1),  eps ~ N(0, I)
        return (x + level * normal).clamp(0.0, 1.0)

    def _corrupt(self, x: Any, noise: Any) -> Any:
        d = x.shape[1]
        if self.config.corruption == "masking":
            return self._corrupt_with(x, noise.rand(d), None)
        return self._corrupt_with(x, None, noise.randn(d))

    def _rebuilt(self, shown: np.ndarray, random_state: int) -> dict:
        # the corrupted inputs x_tilde and the clean images the model rebuilds from them
        corrupted = self.corrupt(shown, random_state=random_state)
        return {"reconstruction.corrupted": corrupted, "reconstruction.rebuilt": self.reconstruct(corrupted)}

    def corrupt(self, X: Any, random_state: int | None = None) -> np.ndarray:
        """Corrupted copies of the images ``X``, as the model sees them in training, (n, C, H, W).

        Parameters
        ----------
        X : array-like of images in [0, 1]
        random_state : int, optional
            Seed of the corruption (default: the config's ``random_state``).
        """
        from .training import Noise

        x = self._images(X).flatten(1)
        noise = Noise(self._generator(random_state), x.shape[0], self.device_)
        return self._numpy(self._corrupt(x, noise)).reshape((-1, *self.image_shape_))
