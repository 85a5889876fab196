"""The DDPM: forward noising, the reverse step, DDIM, guidance, the U-Net, training and resume."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlatlas.generative import DDPM  # noqa: E402
from mlatlas.generative.diffusion.unet import UNet  # noqa: E402

TINY = dict(channels=(8, 16), T=40, batch_size=32, random_state=0, ema_decay=None, sample_steps=10)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.data[:96] / 16).astype(np.float32).reshape(-1, 1, 8, 8), d.target[:96]


@pytest.fixture(scope="module")
def model(digits):
    return DDPM(epochs=2, **TINY).fit(*digits)


def test_q_sample_has_the_closed_form_mean_and_variance():
    m = DDPM(T=1000)
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((200_000, 1, 1, 1), 0.6, dtype=torch.float32)
    for t in (1, 100, 700):
        eps = torch.randn(x0.shape, generator=g)
        xt = m.q_sample(x0, torch.full((x0.shape[0],), t), eps).double()
        ab = m.schedule_.alpha_bar[t - 1]
        assert xt.mean().item() == pytest.approx(math.sqrt(ab) * 0.6, abs=4 * math.sqrt((1 - ab) / x0.shape[0]) + 1e-6)
        assert xt.var().item() == pytest.approx(1 - ab, rel=0.02, abs=1e-6)


@pytest.mark.parametrize("clip", [True, False])
def test_ancestral_step_with_the_true_noise_gives_the_posterior_mean(clip):
    m = DDPM(T=100, clip_denoised=clip)
    s = m.schedule_
    g = torch.Generator().manual_seed(1)
    x0 = torch.rand((5, 1, 8, 8), generator=g, dtype=torch.float64) * 2 - 1
    eps = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    chain = s.sub_chain(s.timesteps())
    for t in (100, 37, 2):
        i = 100 - t
        ab = s.alpha_bar[t - 1]
        xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        # a perfect predictor returns eps itself; z = 0 leaves the mean
        out = m.reverse_step(xt, eps, i, chain, "ancestral", 0.0, z=torch.zeros_like(xt))
        # mu_tilde = coef_x0 x_0 + coef_xt x_t (the errata's posterior mean)
        expected = s.posterior_coef_x0[t - 1] * x0 + s.posterior_coef_xt[t - 1] * xt
        torch.testing.assert_close(out, expected, rtol=1e-9, atol=1e-9)
        # and, as the errata writes it with the noise: (x_t - beta_t / sqrt(1 - ab_t) eps) / sqrt(alpha_t)
        by_noise = (xt - s.betas[t - 1] / math.sqrt(1 - ab) * eps) / math.sqrt(s.alphas[t - 1])
        torch.testing.assert_close(out, by_noise, rtol=1e-9, atol=1e-9)
        # the step's noise has the posterior variance beta_tilde_t
        assert DDPM.step_std(chain, i, "ancestral", 0.0) == pytest.approx(math.sqrt(s.posterior_variance[t - 1]))
    assert DDPM.step_std(chain, 99, "ancestral", 0.0) == 0.0     # t = 1 adds no noise


def test_ddim_with_eta_zero_is_deterministic_and_needs_no_noise(model):
    a = model.sample(6, labels=3, method="ddim", eta=0.0, steps=8, random_state=5)
    b = model.sample(6, labels=3, method="ddim", eta=0.0, steps=8, random_state=5)
    np.testing.assert_array_equal(a, b)
    # eta = 0 draws only x_T: the path from a given x_T is fixed, so two seeds differ only through x_T
    c = model.sample(6, labels=3, method="ddim", eta=0.0, steps=8, random_state=6)
    assert not np.array_equal(a, c)
    assert a.shape == (6, 1, 8, 8) and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1


def test_ddim_with_eta_one_on_all_steps_is_the_ancestral_sampler(model):
    T = model.config.T
    ancestral = model.sample(50, labels=np.arange(50) % 10, method="ancestral", steps=T, random_state=2)
    ddim = model.sample(50, labels=np.arange(50) % 10, method="ddim", eta=1.0, steps=T, random_state=2)
    # the same noise gives the same path (the two updates are one formula, up to rounding)
    np.testing.assert_allclose(ddim, ancestral, atol=2e-4)
    # and in distribution: independent draws agree in per-pixel mean and spread
    a = model.sample(400, method="ancestral", steps=T, random_state=10)
    d = model.sample(400, method="ddim", eta=1.0, steps=T, random_state=11)
    assert abs(a.mean() - d.mean()) < 0.02
    assert np.abs(a.mean(axis=0) - d.mean(axis=0)).mean() < 0.04
    assert abs(a.std() - d.std()) < 0.02
    # DDIM with eta = 0 is a different (deterministic) sampler: its paths are not the ancestral ones
    assert np.abs(model.sample(50, method="ddim", eta=0.0, steps=T, random_state=2) - ancestral).max() > 0.01


def test_trajectory_runs_from_noise_to_the_sample(model):
    images, trajectory, steps = model.sample(3, labels=[1, 2, 3], steps=5, return_trajectory=True, random_state=0)
    assert trajectory.shape == (6, 3, 1, 8, 8)
    np.testing.assert_array_equal(steps, [40, 30, 20, 11, 1, 0])
    np.testing.assert_allclose(np.clip(trajectory[-1], 0, 1), images, atol=1e-6)
    assert trajectory[0].std() > 0.3       # the start is N(0, I) shown as (x + 1) / 2: spread 1/2


def test_guidance_combines_the_two_noise_predictions(model):
    net = model._eval_network()
    x = torch.randn((4, 1, 8, 8), generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        guided = model._predict_noise(net, x, 17, y, guidance=2.0)
        t = torch.full((4,), 17)
        conditional, unconditional = net(x, t, y), net(x, t, torch.full_like(y, 10))
        # eps_hat = (1 + w) eps(x, y) - w eps(x, none)
        torch.testing.assert_close(guided, 3.0 * conditional - 2.0 * unconditional, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(model._predict_noise(net, x, 17, y, guidance=0.0), conditional)
        # the learned "no label" token is the embedding row n_classes, used when no label is given
        torch.testing.assert_close(net(x, t, None), unconditional)


@pytest.mark.parametrize("size, channels", [(8, (8, 16)), (28, (8, 16, 16)), (16, (8, 16, 16, 16))])
def test_unet_keeps_the_image_shape(size, channels):
    net = UNet(in_channels=1, channels=channels, n_res_blocks=2, n_classes=10)
    x = torch.zeros(3, 1, size, size)
    assert net(x, torch.tensor([1, 50, 1000]), torch.tensor([0, 9, 10])).shape == (3, 1, size, size)
    rgb = UNet(in_channels=3, channels=channels, n_classes=None, attention=False)
    assert rgb(torch.zeros(2, 3, size, size), torch.tensor([1, 2])).shape == (2, 3, size, size)


def test_unet_refuses_sizes_it_cannot_halve():
    with pytest.raises(ValueError, match="must divide by 4"):
        UNet(channels=(8, 16, 16))(torch.zeros(1, 1, 10, 10), torch.tensor([1]))
    with pytest.raises(ValueError, match="must divide by 4"):
        DDPM(channels=(8, 16, 16), T=10, epochs=1).fit(np.zeros((4, 1, 10, 10)), np.zeros(4, dtype=int))


def test_28x28_images_train_and_sample():
    X = np.random.default_rng(0).random((8, 1, 28, 28)).astype(np.float32)
    m = DDPM(channels=(4, 8, 8), T=10, epochs=1, batch_size=4, n_classes=None, random_state=0).fit(X)
    assert m.sample(2, steps=3).shape == (2, 1, 28, 28)


def test_a_few_epochs_lower_the_loss(digits):
    m = DDPM(epochs=12, learning_rate=3e-3, lr_schedule="constant", **{k: v for k, v in TINY.items()}).fit(*digits)
    losses = [row["loss"] for row in m.history_]
    assert losses[0] > 0.5                          # predicting 0 scores 1 (eps has unit variance)
    assert np.mean(losses[-3:]) < 0.75 * losses[0]


def test_resume_through_the_shared_trainer_is_bit_identical(tmp_path, digits):
    settings = dict(TINY, ema_decay=0.9, lr_schedule="constant")
    straight = DDPM(epochs=4, **settings).fit(*digits)
    DDPM(epochs=2, **settings).fit(*digits, checkpoint_dir=tmp_path / "run")
    resumed = DDPM(epochs=4, **settings).fit(*digits, checkpoint_dir=tmp_path / "run", resume=True)
    for a, b in zip(straight.network_.state_dict().values(), resumed.network_.state_dict().values()):
        assert torch.equal(a, b)
    for name in straight.ema_.shadow:
        assert torch.equal(straight.ema_.shadow[name], resumed.ema_.shadow[name])
    assert [r["loss"] for r in straight.history_] == [r["loss"] for r in resumed.history_]
    np.testing.assert_array_equal(straight.sample(4, labels=1, random_state=0), resumed.sample(4, labels=1, random_state=0))


def test_save_and_load_give_the_same_samples(tmp_path, model):
    model.save(tmp_path / "m")
    loaded = DDPM.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.sample(5, labels=4, random_state=3), model.sample(5, labels=4, random_state=3))


def test_label_dropout_draws_the_no_label_token(digits):
    """With label_dropout=1 every training label is the token: the label embedding rows stay as initialised."""
    m = DDPM(epochs=1, label_dropout=1.0, **TINY)
    m.fit(*digits)
    fresh = DDPM(epochs=1, label_dropout=1.0, **TINY)
    fresh.fit(digits[0][:1], digits[1][:1])                       # same initial weights, one step
    trained_rows = m.network_.label_embedding.weight[:10]
    initial_rows = fresh.network_.label_embedding.weight[:10]
    # Adam never moved the rows of the real labels (their gradient is exactly zero)
    assert torch.equal(trained_rows, initial_rows)
    assert not torch.equal(m.network_.label_embedding.weight[10], fresh.network_.label_embedding.weight[10])


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(method="euler"), "method must be one of"),
    (dict(steps=0), r"steps must be an int in \[1, 40\]"),
    (dict(steps=41), r"steps must be an int in \[1, 40\]"),
    (dict(eta=1.5), r"eta must be a real number in \[0, 1\]"),
    (dict(guidance=-1.0), "guidance must be a finite real number >= 0"),
    (dict(guidance=float("nan"), labels=1), "guidance must be a finite real number >= 0"),
    (dict(guidance=1.0), "guidance needs labels"),
    (dict(labels=10), r"labels in \[0, 10\)"),
])
def test_bad_sampling_options_are_one_line_value_errors(model, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        model.sample(2, **kwargs)
    assert "\n" not in str(info.value)


def test_unconditional_model_refuses_labels_and_guidance(digits):
    m = DDPM(epochs=1, n_classes=None, **TINY).fit(digits[0])
    assert m.sample(2).shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match="not conditional"):
        m.sample(2, labels=1)
    with pytest.raises(ValueError, match="guidance needs a conditional model"):
        m.sample(2, guidance=1.0)


def test_fit_finds_the_gray_levels_and_samples_lie_on_them(tmp_path, model, digits):
    from mlatlas.generative.diffusion.ddpm import data_levels

    # the digits are pixel / 16: 17 levels, k = 16; an 8-bit grid gives 255; uniform noise none
    assert data_levels(digits[0]) == 16
    assert data_levels(np.arange(256) / 255) == 255
    assert data_levels(np.array([0.0, 0.5, 1.0])) == 2
    assert data_levels(np.random.default_rng(0).random(500)) is None
    assert model.config.levels == 16
    x = model.sample(20, labels=np.arange(20) % 10, random_state=0)
    np.testing.assert_allclose(x * 16, np.round(x * 16), atol=1e-5)
    # the levels travel with the checkpoint; without rounding the samples are off the grid
    model.save(tmp_path / "m")
    assert DDPM.load(tmp_path / "m").config.levels == 16
    plain = DDPM(epochs=1, round_to_levels=False, **TINY).fit(*digits)
    assert plain.config.levels is None
    y = plain.sample(20, labels=np.arange(20) % 10, random_state=0)
    assert np.abs(y * 16 - np.round(y * 16)).max() > 0.01
    continuous = DDPM(epochs=1, n_classes=None, **TINY).fit(np.random.default_rng(0).random((16, 1, 8, 8)))
    assert continuous.config.levels is None


def test_config_checks():
    with pytest.raises(ValueError, match="schedule must be one of"):
        DDPM(schedule="quadratic")
    assert DDPM(schedule="cosine", T=10).schedule_.T == 10
