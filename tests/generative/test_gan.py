"""The GAN: both losses against a reference formula, the phases, sampling, the conv architecture."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlatlas.generative import GAN  # noqa: E402
from mlatlas.generative.training import Noise  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data[:128] / 16.0, d.target[:128]


@pytest.fixture(scope="module")
def cgan(digits):
    return GAN(latent_dim=4, hidden_sizes=(32,), epochs=2, n_classes=10, random_state=0).fit(*digits)


def test_losses_match_binary_cross_entropy(cgan, digits):
    F = torch.nn.functional
    X, y = digits
    x = torch.from_numpy(X[:16]).float()
    labels = torch.from_numpy(y[:16])
    net = cgan.network_

    def noise():
        return Noise(torch.Generator().manual_seed(3), 16, torch.device("cpu"))

    z = noise().randn(4)
    with torch.no_grad():
        d_terms = cgan._loss_terms(net, "discriminator", x, labels, noise())
        g_terms = cgan._loss_terms(net, "generator", x, labels, noise())
        fake = cgan._generate(net, z, labels)
        real_logit, fake_logit = cgan._logit(net, x, labels), cgan._logit(net, fake, labels)
    # -[log D(x) + log(1 - D(G(z)))] and -log D(G(z)), from torch's own cross-entropy
    expected_d = (F.binary_cross_entropy_with_logits(real_logit, torch.ones(16))
                  + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros(16)))
    expected_g = F.binary_cross_entropy_with_logits(fake_logit, torch.ones(16))
    assert d_terms["loss_d"].item() == pytest.approx(expected_d.item(), rel=1e-6)
    assert g_terms["loss_g"].item() == pytest.approx(expected_g.item(), rel=1e-6)
    assert d_terms["d_real"].item() == pytest.approx(real_logit.sigmoid().mean().item(), rel=1e-6)
    assert d_terms["d_fake"].item() == pytest.approx(fake_logit.sigmoid().mean().item(), rel=1e-6)


def test_discriminator_phase_sends_no_gradient_to_the_generator(cgan, digits):
    X, y = digits
    net = cgan.network_
    net.zero_grad(set_to_none=True)
    terms = cgan._loss_terms(net, "discriminator", torch.from_numpy(X[:8]).float(), torch.from_numpy(y[:8]),
                             Noise(torch.Generator().manual_seed(0), 8, torch.device("cpu")))
    terms["loss_d"].backward()
    assert all(p.grad is None for p in net["generator"].parameters())
    assert all(p.grad is not None for p in net["discriminator"].parameters())
    optimizers = cgan._training.optimizers
    assert set(optimizers) == {"discriminator", "generator"}
    assert {id(p) for g in optimizers["generator"].param_groups for p in g["params"]} == \
        {id(p) for p in net["generator"].parameters()}


def test_history_records_both_losses_and_d_outputs(cgan):
    for row in cgan.history_:
        assert {"loss_d", "loss_g", "d_real", "d_fake", "lr_discriminator", "lr_generator"} <= set(row)
        assert 0 < row["d_real"] < 1 and 0 < row["d_fake"] < 1


def test_sampling_and_discriminating(cgan, digits):
    samples = cgan.sample(10, random_state=1)
    assert samples.shape == (10, 1, 8, 8) and samples.dtype == np.float32
    assert samples.min() >= 0 and samples.max() <= 1
    assert np.array_equal(samples, cgan.sample(10, labels=np.arange(10), random_state=1))
    assert not np.array_equal(cgan.sample(3, labels=1, random_state=1), cgan.sample(3, labels=2, random_state=1))
    p = cgan.discriminate(*digits)
    assert p.shape == (128,) and (p > 0).all() and (p < 1).all()
    with pytest.raises(ValueError, match=r"labels must hold class labels in \[0, 10\)"):
        cgan.sample(2, labels=-1)


def test_conv_architecture_for_28x28_images():
    rng = np.random.default_rng(0)
    X = rng.random((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    model = GAN(latent_dim=4, channels=(4, 8), epochs=1, batch_size=8, n_classes=3, random_state=0).fit(X, y)
    kinds = {type(m).__name__ for m in model.network_.modules()}
    assert {"ConvTranspose2d", "Conv2d"} <= kinds
    assert model.sample(3, labels=2).shape == (3, 1, 28, 28)
    assert model.discriminate(X[:2], y[:2]).shape == (2,)
    mlp = GAN(latent_dim=4, hidden_sizes=(8,), epochs=1, batch_size=8, architecture="mlp", random_state=0).fit(X)
    assert "Conv2d" not in {type(m).__name__ for m in mlp.network_.modules()}


def test_conv_needs_sides_divisible_by_four():
    X = np.zeros((4, 1, 10, 10))
    with pytest.raises(ValueError, match="architecture='conv' needs image sides divisible by 4; got images of 10x10"):
        GAN(architecture="conv", epochs=1).fit(X)
