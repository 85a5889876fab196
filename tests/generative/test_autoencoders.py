"""Autoencoders: the sparsity penalties and corruptions against hand computations, the public methods."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlatlas.generative import Autoencoder, DenoisingAutoencoder, SparseAutoencoder  # noqa: E402
from mlatlas.generative.training import Noise  # noqa: E402


@pytest.fixture(scope="module")
def gray():
    from sklearn.datasets import load_digits

    return load_digits().data[:200] / 16.0


def test_kl_sparsity_penalty_by_hand():
    model = SparseAutoencoder(sparsity_weight=2.0, target_activation=0.1)
    code = torch.tensor([[0.2, 0.5], [0.4, 0.1]], dtype=torch.float64)
    rho, rho_hat = 0.1, [0.3, 0.3]
    expected = 2.0 * sum(rho * math.log(rho / r) + (1 - rho) * math.log((1 - rho) / (1 - r)) for r in rho_hat)
    assert model._penalty(code)["sparsity"].item() == pytest.approx(expected, rel=1e-12)
    # no penalty when every unit's mean activation is the target
    assert model._penalty(torch.full((3, 4), 0.1, dtype=torch.float64))["sparsity"].item() == pytest.approx(0, abs=1e-12)


def test_l1_sparsity_penalty_by_hand():
    model = SparseAutoencoder(sparsity="l1", code_activation="relu", sparsity_weight=0.5)
    code = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, 3.0]])
    assert model._penalty(code)["sparsity"].item() == pytest.approx(0.5 * (3.0 + 4.0) / 2)


def test_kl_penalty_drives_mean_activations_to_the_target(gray):
    common = dict(epochs=30, batch_size=50, learning_rate=1e-2, code_dim=32, random_state=0)
    sparse = SparseAutoencoder(sparsity_weight=3.0, target_activation=0.05, **common).fit(gray)
    free = SparseAutoencoder(sparsity_weight=0.0, **common).fit(gray)
    assert sparse.mean_activation(gray).mean() < 0.1 < 0.5 < free.mean_activation(gray).mean()


def test_reconstruction_loss_by_hand():
    x = torch.tensor([[0.0, 1.0, 0.25]])
    logits = torch.tensor([[0.3, -1.2, 2.0]])
    m = torch.sigmoid(logits)
    bce = -(x * m.log() + (1 - x) * (1 - m).log()).sum()
    assert Autoencoder()._reconstruction_loss(logits, x).item() == pytest.approx(bce.item(), rel=1e-6)
    squared = 0.5 * ((x - m) ** 2).sum()
    assert Autoencoder(reconstruction="gaussian")._reconstruction_loss(logits, x).item() == pytest.approx(
        squared.item(), rel=1e-6)


def test_masking_and_gaussian_corruption(gray):
    masked = DenoisingAutoencoder(noise_level=0.4, epochs=1, random_state=0).fit(gray)
    ones = np.ones((500, 64))
    dropped = (masked.corrupt(ones, random_state=1) == 0).mean()
    assert abs(dropped - 0.4) < 0.01
    assert set(np.unique(masked.corrupt(gray, random_state=1) / np.where(gray > 0, gray, 1).reshape(-1, 1, 8, 8))
               ) <= {0.0, 1.0}
    noisy = DenoisingAutoencoder(corruption="gaussian", noise_level=0.1, epochs=1, random_state=0).fit(gray)
    out = noisy.corrupt(np.full((500, 64), 0.5), random_state=1)
    assert abs(out.std() - 0.1) < 0.005 and abs(out.mean() - 0.5) < 0.005
    assert noisy.corrupt(gray).min() >= 0 and noisy.corrupt(gray).max() <= 1
    # the corruption inside training draws from the same formulas
    x = torch.ones(4, 64)
    corrupted = masked._corrupt(x, Noise(torch.Generator().manual_seed(0), 4, torch.device("cpu")))
    assert set(corrupted.unique().tolist()) <= {0.0, 1.0}


def test_denoising_autoencoder_rebuilds_clean_images_better_than_the_noisy_input(gray):
    model = DenoisingAutoencoder(noise_level=0.3, epochs=40, learning_rate=3e-3, code_dim=16, random_state=0).fit(gray)
    noisy = model.corrupt(gray, random_state=5)
    clean = gray.reshape(-1, 1, 8, 8)
    assert ((model.reconstruct(noisy) - clean) ** 2).mean() < ((noisy - clean) ** 2).mean()


def test_encode_decode_reconstruct_and_error(gray):
    model = Autoencoder(code_dim=5, hidden_sizes=(32, 16), epochs=2, random_state=0).fit(gray)
    codes = model.encode(gray)
    assert codes.shape == (200, 5) and codes.dtype == np.float32
    rebuilt = model.reconstruct(gray)
    assert rebuilt.shape == (200, 1, 8, 8) and rebuilt.min() >= 0 and rebuilt.max() <= 1
    np.testing.assert_allclose(model.decode(codes), rebuilt, atol=1e-6)
    np.testing.assert_allclose(model.reconstruction_error(gray),
                               ((rebuilt.reshape(200, -1) - gray) ** 2).mean(axis=1), rtol=1e-5)
    with pytest.raises(ValueError, match=r"codes must be a finite array of shape \(n, 5\)"):
        model.decode(np.zeros((2, 4)))


def test_code_activations(gray):
    sig = Autoencoder(code_activation="sigmoid", epochs=1, random_state=0).fit(gray).encode(gray)
    assert sig.min() > 0 and sig.max() < 1
    relu = Autoencoder(code_activation="relu", epochs=1, random_state=0).fit(gray).encode(gray)
    assert relu.min() >= 0


def test_images_of_other_shapes(gray):
    rng = np.random.default_rng(0)
    X = rng.random((20, 2, 6, 10))
    model = Autoencoder(code_dim=3, epochs=1, random_state=0).fit(X)
    assert model.image_shape_ == (2, 6, 10) and model.reconstruct(X).shape == (20, 2, 6, 10)
    assert model.encode(X.reshape(20, -1)).shape == (20, 3)
