"""Benchmark cases for the generative models: the trainer's cost, the VAE's likelihood, sample quality.

Data: the 8x8 digits split in halves, stratified (``mlatlas.metrics.digits_split``,
``random_state=0``, the split the atlas's entries and ``mlatlas train`` use): binarized at pixel > 8 for the likelihood cases, gray levels / 16 for
the sample-quality ones.  PyTorch runs on one thread on both sides (the networks are
small; on two shared cores a second thread only adds hand-offs).

* **VAE training throughput.** The default VAE (``VAEConfig()``: its MLP encoder and
  decoder, Bernoulli likelihood, its training objective, Adam, batches of 64, moving
  average 0.999) for a few epochs through ``VAE.fit`` against the same networks, loss,
  optimiser, shuffling and moving average written as a plain PyTorch loop.  The ratio is the trainer's
  bookkeeping: history, the finite-loss check, the bar, the noise generator.  Quality:
  the last epoch's mean loss (-ELBO per image) on each side.
* **VAE test likelihood.** ``VAE().fit(X_train)`` with the defaults, then
  ``nll(X_test, k=1000)`` (IWAE); each call trains with the next seed (0, 1, ...) and
  the case reports the mean over the seeds run (the warm-up call included).  The
  reference is the mixture of 50 Bernoullis fitted by EM on the same split
  (``bernoulli_nll_baselines``); the independent-Bernoulli figure is 24.57 nats.
  Target: <= 16.5 nats (a quality target; the time ratio is only informative).
* **Sample quality.** ``digits_fid`` (lower is better) of 899 samples of the VAE and
  of the GAN, each trained with its defaults on the gray training digits, against
  899 samples of scikit-learn's ``GaussianMixture(10)`` fitted on the same digits
  (clipped to [0, 1]): the same pixel space (gray levels in [0, 1]; a model trained
  on binarized digits would be held back by the binarization itself, which alone
  scores 1.77) and the same number of samples on both sides.  Each call fits with
  the next seed on both sides and reports the mean over the seeds run (3: the
  warm-up call and two repeats).
"""

from __future__ import annotations

import math

import numpy as np

from .harness import case

N_SAMPLES = 899


def _torch_one_thread():
    import torch

    torch.set_num_threads(1)
    return torch


def _split(binary: bool):
    from mlatlas.metrics import digits_split

    return digits_split(binary=binary)


# --------------------------------------------------------------------------- throughput
def _throughput_setup(quick: bool):
    _torch_one_thread()
    X_train = _split(binary=True)[0]
    return {"X": X_train, "epochs": 5 if quick else 20}


def _throughput_ours(data):
    from mlatlas.generative import VAE

    model = VAE(epochs=data["epochs"], random_state=0).fit(data["X"], progress=False)
    return model.history_[-1]["loss"]


def _throughput_plain(data):
    torch = _torch_one_thread()
    F = torch.nn.functional
    from mlatlas.generative import VAEConfig

    config = VAEConfig()
    latent, hidden, k = config.latent_dim, list(config.hidden_sizes), config.importance_samples
    generator = torch.Generator().manual_seed(0)

    def mlp(sizes):
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        encoder, decoder = mlp([64, *hidden, 2 * latent]), mlp([latent, *hidden[::-1], 64])
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=config.learning_rate, betas=config.betas)
    shadow = [p.detach().clone() for p in params]
    X = torch.from_numpy(data["X"])
    n, batch = X.shape[0], config.batch_size
    for epoch in range(data["epochs"]):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(epoch))
        total = 0.0
        for start in range(0, n, batch):
            x = X[order[start:start + batch]]
            optimizer.zero_grad(set_to_none=True)
            mu, log_var = encoder(x).chunk(2, dim=-1)
            kl = 0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var).sum(1)
            if k == 1:
                z = mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=generator)
                reconstruction = F.binary_cross_entropy_with_logits(decoder(z), x, reduction="none").sum(1)
                loss = (reconstruction + kl).mean()
            else:  # the importance-weighted bound over k draws
                eps = torch.randn((x.shape[0], k, latent), generator=generator).transpose(0, 1)
                z = mu + (0.5 * log_var).exp() * eps
                log_px = -F.binary_cross_entropy_with_logits(decoder(z), x.expand(k, -1, -1), reduction="none").sum(-1)
                log_w = log_px - 0.5 * (z.pow(2) - eps.pow(2) - log_var).sum(-1)
                loss = -(torch.logsumexp(log_w, dim=0) - math.log(k)).mean()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                torch._foreach_lerp_(shadow, [p.detach() for p in params], 1 - config.ema_decay)
            total += float(loss.detach()) * x.shape[0]
    return total / n


case(name="VAE default, binarized digits (898), 20 epochs, batch 64, 1 thread", group="generative",
     setup=_throughput_setup, ours=_throughput_ours, reference=_throughput_plain,
     reference_name="the same VAE as a plain PyTorch loop", quality_name="last epoch -ELBO (nats)",
     target=1.1, repeats=5, quality_higher_is_better=False)


# --------------------------------------------------------------------------- likelihood
def _nll_setup(quick: bool):
    _torch_one_thread()
    X_train, X_test, _, _ = _split(binary=True)
    return {"X_train": X_train, "X_test": X_test, "quick": quick, "seeds": [], "figures": []}


def _nll_ours(data):
    from mlatlas.generative import VAE

    seed = len(data["seeds"])
    kwargs = {"epochs": 50} if data["quick"] else {}
    model = VAE(random_state=seed, **kwargs).fit(data["X_train"], progress=False)
    data["seeds"].append(seed)
    data["figures"].append(float(model.nll(data["X_test"], k=1000, random_state=0).mean()))
    return float(np.mean(data["figures"]))


def _nll_reference(data):
    from mlatlas.metrics import bernoulli_nll_baselines

    return bernoulli_nll_baselines(n_components=50)["bernoulli_mixture"]


case(name="VAE default, binarized digits: test -log p(x) (IWAE k=1000, mean over seeds 0-2; target <= 16.5 nats)",
     group="generative", setup=_nll_setup, ours=_nll_ours, reference=_nll_reference,
     reference_name="mixture of 50 Bernoullis (EM)", quality_name="test NLL (nats)", target=None, repeats=2,
     quality_higher_is_better=False)


# --------------------------------------------------------------------------- sample quality
def _fid_setup(quick: bool):
    _torch_one_thread()
    X_train = _split(binary=False)[0]
    return {"X": X_train, "quick": quick, "ours": [], "reference": []}


def _gmm_fid(data):
    """GaussianMixture(10) on the same gray training digits, sampled as many times; seed = call number."""
    import warnings

    from sklearn.mixture import GaussianMixture

    from mlatlas.metrics import digits_fid

    seed = len(data["reference"])
    gmm = GaussianMixture(10, random_state=seed).fit(data["X"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        samples, _ = gmm.sample(N_SAMPLES)
    data["reference"].append(digits_fid(np.clip(samples, 0.0, 1.0)).fid)
    return float(np.mean(data["reference"]))


def _model_fid(cls):
    def run(data):
        from mlatlas.metrics import digits_fid

        seed = len(data["ours"])
        kwargs = {"epochs": 20} if data["quick"] else {}
        model = cls(random_state=seed, **kwargs).fit(data["X"], progress=False)
        data["ours"].append(digits_fid(model.sample(N_SAMPLES, random_state=0)).fid)
        return float(np.mean(data["ours"]))
    return run


def _vae(**kwargs):
    from mlatlas.generative import VAE

    return VAE(**kwargs)


def _gan(**kwargs):
    from mlatlas.generative import GAN

    return GAN(**kwargs)


case(name="VAE default, gray digits (898): digits_fid of 899 samples (mean over seeds 0-2)", group="generative",
     setup=_fid_setup, ours=_model_fid(_vae), reference=_gmm_fid,
     reference_name="sklearn GaussianMixture(10) samples (seeds 0-2)", quality_name="digits_fid", target=None,
     repeats=2, quality_higher_is_better=False)
case(name="GAN default, gray digits (898): digits_fid of 899 samples (mean over seeds 0-2)", group="generative",
     setup=_fid_setup, ours=_model_fid(_gan), reference=_gmm_fid,
     reference_name="sklearn GaussianMixture(10) samples (seeds 0-2)", quality_name="digits_fid", target=None,
     repeats=2, quality_higher_is_better=False)
