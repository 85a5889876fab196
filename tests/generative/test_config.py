"""Configs of the generative models (no torch needed), and `import mlatlas` without torch."""

import math
import subprocess
import sys

import pytest

from mlatlas.generative import (AutoencoderConfig, DenoisingAutoencoder, GAN, SparseAutoencoder, VAE, VAEConfig,
                                TrainingConfig)
from mlatlas.generative.config import config_from_dict, config_to_dict, describe_fields


def test_built_from_keyword_arguments_named_after_the_fields():
    vae = VAE(latent_dim=6, epochs=200, hidden_sizes=[32, 16])
    assert vae.config.latent_dim == 6 and vae.config.epochs == 200
    assert vae.latent_dim == 6                      # fields read as attributes
    assert vae.config.hidden_sizes == (32, 16)      # lists are normalised to tuples
    assert isinstance(vae.config, VAEConfig)
    assert repr(vae) == "VAE(epochs=200, latent_dim=6, hidden_sizes=(32, 16))"


def test_unknown_parameter_lists_the_fields():
    with pytest.raises(TypeError, match=r"VAE got an unexpected parameter 'latent'; its parameters are: .*latent_dim"):
        VAE(latent=3)


@pytest.mark.parametrize("field, value", [("learning_rate", math.nan), ("beta", math.nan), ("beta", math.inf),
                                          ("ema_decay", math.nan), ("betas", (0.9, math.nan))])
def test_nan_and_inf_numeric_fields_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        VAE(**{field: value})


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(latent_dim=0), ValueError, r"latent_dim must be an int >= 1; got 0"),
    (dict(latent_dim=2.0), TypeError, r"latent_dim must be an int"),
    (dict(latent_dim=True), TypeError, r"latent_dim must be an int"),
    (dict(decoder="poisson"), ValueError, r"decoder must be one of 'bernoulli', 'gaussian'; got 'poisson'"),
    (dict(hidden_sizes=(8, 0)), ValueError, r"each of hidden_sizes must be an int >= 1"),
    (dict(hidden_sizes="64"), TypeError, r"hidden_sizes must be a tuple of ints"),
    (dict(betas=(0.9,)), ValueError, r"betas must be a tuple of 2 real numbers"),
    (dict(betas=(0.9, 1.0)), ValueError, r"each of betas must be a real number >= 0 and < 1"),
    (dict(n_classes=1), ValueError, r"n_classes must be an int >= 2"),
    (dict(device="gpu"), ValueError, r"device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got 'gpu'"),
    (dict(random_state=-1), ValueError, r"random_state must be an int >= 0"),
    (dict(lr_schedule="linear"), ValueError, r"lr_schedule must be one of 'constant', 'cosine', 'exponential'"),
])
def test_bad_values_name_the_field_and_what_was_expected(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        VAE(**kwargs)


def test_cross_field_checks():
    with pytest.raises(ValueError, match="sparsity='kl'.*code_activation='sigmoid'"):
        SparseAutoencoder(code_activation="relu")
    SparseAutoencoder(sparsity="l1", code_activation="relu")
    with pytest.raises(ValueError, match="noise_level.*< 1 with corruption='masking'"):
        DenoisingAutoencoder(noise_level=1.0)
    DenoisingAutoencoder(corruption="gaussian", noise_level=1.5)


def test_config_json_round_trip_and_description():
    config = GAN(latent_dim=5, betas=(0.4, 0.9), n_classes=10).config
    data = config_to_dict(config)
    assert data["betas"] == [0.4, 0.9]
    assert config_from_dict(type(config), data, "GAN") == config
    names = [row["name"] for row in describe_fields(AutoencoderConfig)]
    assert names[:len(describe_fields(TrainingConfig))] == [row["name"] for row in describe_fields(TrainingConfig)]
    assert "code_dim" in names and all(row["help"] for row in describe_fields(AutoencoderConfig))


def test_set_config_checks_like_the_constructor():
    vae = VAE(epochs=2)
    assert vae.set_config(epochs=4).epochs == 4
    with pytest.raises(ValueError, match="epochs"):
        vae.set_config(epochs=0)
    with pytest.raises(TypeError, match="unexpected parameter 'epoch'"):
        vae.set_config(epoch=3)


def test_unfitted_model_says_so():
    from sklearn.exceptions import NotFittedError

    pytest.importorskip("torch")
    with pytest.raises(NotFittedError, match="VAE is not fitted yet"):
        VAE().sample(3)
    with pytest.raises(AttributeError, match="set by fit"):
        VAE().history_  # noqa: B018


NO_TORCH = r"""
import sys

class NoTorch:
    # refuse to import torch and safetensors, as on a machine without the deep extra
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "safetensors"):
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoTorch())
import numpy as np
import mlatlas, mlatlas.generative, mlatlas.metrics
from mlatlas.generative import VAE, GAN, Autoencoder, VAEConfig, model_classes
vae = VAE(latent_dim=4, epochs=2)     # configs need no torch
assert sorted(model_classes()) == sorted(set(model_classes()))
try:
    vae.fit(np.zeros((4, 64)))
except ImportError as exc:
    assert "mlatlas[deep]" in str(exc), exc
else:
    raise SystemExit("fit worked without torch")
try:
    VAE.load("/nonexistent")
except ImportError as exc:
    assert "mlatlas[deep]" in str(exc), exc
figures = mlatlas.metrics.bernoulli_nll_baselines(n_components=3)
assert figures["bernoulli_mixture"] < figures["independent_bernoulli"]
assert "torch" not in sys.modules
print("ok")
"""


def test_import_mlatlas_without_torch():
    result = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_every_exported_name_resolves():
    pytest.importorskip("torch")
    import mlatlas.generative as generative

    for name in generative.__all__:
        obj = getattr(generative, name)
        assert getattr(obj, "__name__", name) in (name, "load"), name
    with pytest.raises(AttributeError, match="has no attribute 'Diffusion'"):
        generative.Diffusion  # noqa: B018
