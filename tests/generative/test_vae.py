"""The VAE: closed-form KL, the IWAE bound, sampling, conditioning, the Gaussian decoder."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlatlas.generative import VAE  # noqa: E402
from mlatlas.generative.vae import gaussian_kl  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.data[:300] > 8).astype(np.float32), d.target[:300]


@pytest.fixture(scope="module")
def vae(digits):
    return VAE(latent_dim=2, hidden_sizes=(32,), epochs=15, batch_size=32, random_state=0).fit(digits[0])


@pytest.fixture(scope="module")
def cvae(digits):
    X, y = digits
    return VAE(latent_dim=2, hidden_sizes=(32,), epochs=10, batch_size=32, n_classes=10, random_state=0).fit(X, y)


def test_closed_form_kl_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.0, -1.5, 0.7]], dtype=torch.float64)
    sigma = (0.5 * log_var).exp()
    z = mu + sigma * torch.randn((400_000, 3), generator=g, dtype=torch.float64)
    # KL(q || p) = E_q[log q(z) - log p(z)]
    log_q = (-0.5 * ((z - mu) / sigma) ** 2 - 0.5 * log_var - 0.5 * math.log(2 * math.pi)).sum(1)
    log_p = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(1)
    monte_carlo = (log_q - log_p).mean().item()
    standard_error = (log_q - log_p).std().item() / math.sqrt(z.shape[0])
    closed = gaussian_kl(mu, log_var).item()
    assert abs(monte_carlo - closed) < 4 * standard_error
    assert closed == pytest.approx(0.5 * sum(m ** 2 + math.exp(v) - 1 - v for m, v in
                                             zip([0.5, -1.0, 2.0], [0.0, -1.5, 0.7])))


def test_iwae_bound_is_above_the_elbo_and_rises_with_k(vae, digits):
    X = digits[0][:100]
    elbo = vae.elbo(X, n_samples=200, random_state=1).mean()
    bounds = [-vae.nll(X, k=k, random_state=1).mean() for k in (1, 10, 100, 1000)]
    assert bounds[0] == pytest.approx(elbo, abs=0.5)           # k = 1: a one-sample ELBO estimate
    assert elbo < bounds[1] < bounds[2] < bounds[3]
    assert bounds[3] - elbo > 0.1                               # a real gap, not rounding


def test_nll_matches_the_exact_marginal_likelihood_of_a_one_dimensional_latent(digits):
    X = digits[0][:5]
    model = VAE(latent_dim=1, hidden_sizes=(16,), epochs=5, batch_size=32, random_state=0).fit(digits[0])
    net = model._eval_network()
    x = torch.from_numpy(X).flatten(1)
    z = torch.linspace(-10, 10, 8001)[:, None, None].expand(-1, x.shape[0], 1)  # (grid, n, 1)
    with torch.no_grad():
        log_px_z = model._log_likelihood(net, x, model._decoder_logits(net, z.contiguous(), None)).double()
    log_pz = (-0.5 * z[..., 0] ** 2 - 0.5 * math.log(2 * math.pi)).double()
    step = 20 / 8000
    # log p(x) = log integral p(x|z) p(z) dz, by the trapezoid-free Riemann sum on a fine grid
    exact = -(torch.logsumexp(log_px_z + log_pz, dim=0) + math.log(step)).numpy()
    estimate = model.nll(X, k=20000, random_state=3)
    np.testing.assert_allclose(estimate, exact, atol=0.05)


def test_elbo_is_reconstruction_minus_kl(vae, digits):
    X = digits[0][:8]
    net = vae._eval_network()
    x = torch.from_numpy(X)
    with torch.no_grad():
        mu, log_var = vae._posterior(net, x, None)
        # with sigma -> its value and one draw, ELBO = log p(x|z) - KL; check against the parts
        elbo_many = vae.elbo(X, n_samples=1000, random_state=0)
    z = mu.unsqueeze(0) + (0.5 * log_var).exp() * torch.randn((1000, *mu.shape), generator=torch.Generator()
                                                                .manual_seed(9))
    with torch.no_grad():
        log_px = vae._log_likelihood(net, x, vae._decoder_logits(net, z, None)).mean(0)
    np.testing.assert_allclose(elbo_many, (log_px - gaussian_kl(mu, log_var)).numpy(), atol=0.3)


def test_history_splits_the_loss_into_reconstruction_and_kl(digits):
    model = VAE(latent_dim=2, hidden_sizes=(16,), epochs=2, batch_size=64, beta=3.0, importance_samples=1,
                random_state=0).fit(digits[0])
    for row in model.history_:
        assert row["loss"] == pytest.approx(row["reconstruction"] + 3.0 * row["kl"], rel=1e-6)
        assert row["kl"] >= 0


def test_sample_shapes_ranges_and_reproducibility(vae):
    samples = vae.sample(7)
    assert samples.shape == (7, 1, 8, 8) and samples.dtype == np.float32
    assert samples.min() >= 0 and samples.max() <= 1
    assert np.array_equal(vae.sample(7, random_state=4), vae.sample(7, random_state=4))
    assert not np.array_equal(vae.sample(7, random_state=4), vae.sample(7, random_state=5))
    with pytest.raises(ValueError, match="labels was given, but this VAE is not conditional"):
        vae.sample(3, labels=1)
    with pytest.raises(ValueError, match="n must be .*>= 1; got 0"):
        vae.sample(0)


def test_conditional_sampling_follows_the_labels(cvae):
    assert np.array_equal(cvae.sample(10, random_state=2), cvae.sample(10, labels=np.arange(10), random_state=2))
    threes = cvae.sample(4, labels=3, random_state=2)
    assert np.array_equal(threes, cvae.sample(4, labels=[3, 3, 3, 3], random_state=2))
    assert not np.array_equal(threes, cvae.sample(4, labels=5, random_state=2))
    with pytest.raises(ValueError, match=r"labels must hold class labels in \[0, 10\)"):
        cvae.sample(2, labels=10)
    with pytest.raises(ValueError, match="conditional .* pass y"):
        cvae.encode(np.zeros((2, 64)))


def test_encode_decode_reconstruct_interpolate(vae, cvae, digits):
    X, y = digits
    mu, log_var = vae.encode(X[:5], return_log_var=True)
    assert mu.shape == log_var.shape == (5, 2)
    assert np.array_equal(vae.reconstruct(X[:5]), vae.decode(mu))
    path = vae.interpolate(X[0], X[1], n_steps=6)
    assert path.shape == (6, 1, 8, 8)
    np.testing.assert_allclose(path[[0, -1]], vae.reconstruct(X[:2]), atol=1e-6)
    assert cvae.interpolate(X[0].reshape(1, 8, 8), X[1], n_steps=3, label=4).shape == (3, 1, 8, 8)
    assert cvae.reconstruct(X[:3], y[:3]).shape == (3, 1, 8, 8)
    with pytest.raises(ValueError, match=r"Z must be a finite array of shape \(n, 2\)"):
        vae.decode(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="x_start must be one image"):
        vae.interpolate(X[:2], X[1])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 64\)"):
        vae.encode(np.zeros((2, 49)))


def test_gaussian_decoder_trains_and_gives_a_density(digits):
    gray = digits[0] * 0.8 + 0.1
    model = VAE(latent_dim=2, hidden_sizes=(16,), epochs=4, batch_size=32, decoder="gaussian",
                random_state=0).fit(gray)
    losses = model.history_.column("loss")
    assert losses[-1] < losses[0]
    assert "likelihood.log_sigma" in model.network_.state_dict()
    nll = model.nll(gray[:4], k=50)
    assert np.isfinite(nll).all()


def test_reparameterisation_carries_gradients_to_the_encoder(digits):
    from mlatlas.generative.training import Noise

    model = VAE(latent_dim=2, hidden_sizes=(8,), epochs=1, batch_size=64, random_state=0).fit(digits[0])
    model.network_.zero_grad()
    terms = model._loss_terms(model.network_, "loss", torch.from_numpy(digits[0][:16]), None,
                              Noise(torch.Generator().manual_seed(0), 16, torch.device("cpu")))
    terms["reconstruction"].backward()  # the KL term aside, only through z = mu + sigma * eps
    grad = model.network_["encoder"][0].weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_importance_weighted_training_loss_by_hand(vae, digits):
    """importance_samples = k trains on -log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), written out here."""
    from mlatlas.generative.training import Noise

    x = torch.from_numpy(digits[0][:7])
    k = 4
    model = VAE(latent_dim=2, hidden_sizes=(32,), importance_samples=k, random_state=0)
    net = vae.network_
    terms = model._loss_terms(net, "loss", x, None, Noise(torch.Generator().manual_seed(3), 7, torch.device("cpu")))
    eps = torch.randn((7, k, 2), generator=torch.Generator().manual_seed(3)).transpose(0, 1)  # the same draws
    with torch.no_grad():
        mu, log_var = net["encoder"](x).chunk(2, dim=-1)
        q = torch.distributions.Normal(mu, (0.5 * log_var).exp())
        z = mu + q.scale * eps
        log_w = (torch.distributions.Bernoulli(logits=net["decoder"](z)).log_prob(x).sum(-1)
                 + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1))
        expected = -(torch.logsumexp(log_w, dim=0) - math.log(k)).mean()
    assert terms["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    # the bound is at least as tight as the one-sample ELBO terms recorded beside it
    assert terms["loss"].item() <= (terms["reconstruction"] + terms["kl"]).item() + 1e-4


def test_importance_weighted_training_runs_and_needs_beta_one(digits):
    model = VAE(latent_dim=2, hidden_sizes=(16,), importance_samples=3, epochs=2, batch_size=50,
                random_state=0).fit(digits[0][:100])
    assert sorted(k for k in model.history_[0] if k in ("loss", "reconstruction", "kl")) == \
        ["kl", "loss", "reconstruction"]
    assert model.history_[-1]["loss"] < model.history_[0]["loss"]
    with pytest.raises(ValueError, match="importance_samples > 1 .* set importance_samples=1 .* for beta=4.0"):
        VAE(importance_samples=2, beta=4.0)
    assert VAE(importance_samples=1, beta=4.0).beta == 4.0
