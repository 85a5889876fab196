"""Run by test_distributed.py under ``torch.distributed.run --nproc-per-node 2``.

Fits the small models of ``tiny_models()`` with the trainer, unchanged, on gloo;
rank 0 saves each one to ``OUT/<name>``.
"""

import os
import sys

import numpy as np


def tiny_data():
    rng = np.random.default_rng(0)
    X = (rng.random((96, 64)) < 0.3).astype(np.float32)
    y = rng.integers(0, 3, 96)
    return X, y


def tiny_models():
    from mlatlas.generative import GAN, VAE

    common = dict(epochs=2, batch_size=32, random_state=5)
    return {
        "vae": (VAE(latent_dim=3, hidden_sizes=(16,), n_classes=3, ema_decay=0.9, **common), True),
        "gan": (GAN(latent_dim=4, hidden_sizes=(16,), **common), False),
    }


def main(out: str) -> None:
    X, y = tiny_data()
    for name, (model, labelled) in tiny_models().items():
        model.fit(X, y if labelled else None, progress=False)
        if int(os.environ.get("RANK", "0")) == 0:
            model.save(os.path.join(out, name))


if __name__ == "__main__":
    main(sys.argv[1])
