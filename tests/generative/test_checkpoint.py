"""Checkpoints: round trips with identical outputs, atomic writes, and refusal of anything else."""

import json
import os
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlatlas.generative import (GAN, VAE, Autoencoder, CheckpointError, DenoisingAutoencoder,  # noqa: E402
                                SparseAutoencoder, load_checkpoint, model_classes)
from mlatlas.generative import checkpoint as ckpt  # noqa: E402


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data[:64] / 16.0, d.target[:64]


MODELS = {
    "ae": lambda: Autoencoder(code_dim=3, hidden_sizes=(16,), epochs=2, random_state=0),
    "sparse": lambda: SparseAutoencoder(code_dim=8, epochs=2, random_state=0),
    "denoising": lambda: DenoisingAutoencoder(code_dim=3, hidden_sizes=(16,), epochs=2, random_state=0),
    "vae": lambda: VAE(latent_dim=2, hidden_sizes=(16,), epochs=2, ema_decay=0.9, random_state=0),
    "cvae": lambda: VAE(latent_dim=2, hidden_sizes=(16,), epochs=2, n_classes=10, decoder="gaussian",
                        lr_schedule="cosine", random_state=0),
    "gan": lambda: GAN(latent_dim=3, hidden_sizes=(16,), epochs=2, n_classes=10, random_state=0),
}


def outputs(model, X, y):
    """Every public output of a fitted model, on fixed inputs and seeds."""
    labels = y if model.conditional else None
    if isinstance(model, GAN):
        return [model.sample(5, random_state=1), model.discriminate(X, labels)]
    if isinstance(model, VAE):
        return [model.encode(X, labels), model.reconstruct(X, labels), model.sample(5, random_state=1),
                model.nll(X[:4], None if labels is None else labels[:4], k=8, random_state=2)]
    out = [model.encode(X), model.reconstruct(X)]
    if isinstance(model, DenoisingAutoencoder):
        out.append(model.corrupt(X, random_state=3))
    return out


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {name: make().fit(X, y) for name, make in MODELS.items()}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_save_load_gives_identical_outputs(tmp_path, data, fitted, name):
    X, y = data
    model = fitted[name]
    model.save(tmp_path / "m")
    assert sorted(os.listdir(tmp_path / "m")) == ["config.json", "model.safetensors", "optimizer.safetensors"]
    loaded = type(model).load(tmp_path / "m")
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    for a, b in zip(outputs(model, X, y), outputs(loaded, X, y)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert [dict(r) for r in loaded.history_] == [dict(r) for r in model.history_]
    again = load_checkpoint(tmp_path / "m")  # the generic loader finds the class in the allow-list
    assert type(again) is type(model)


def test_config_json_records_what_the_issue_lists(tmp_path, fitted):
    fitted["vae"].save(tmp_path / "m")
    header = json.loads((tmp_path / "m" / "config.json").read_text())
    assert header["format"] == ckpt.FORMAT and header["version"] == ckpt.FORMAT_VERSION
    assert header["class"] == "mlatlas.generative.VAE"
    assert header["config"]["latent_dim"] == 2 and header["image_shape"] == [1, 8, 8]
    assert header["training"]["step"] == 2 * 1 and header["training"]["epoch"] == 2
    assert len(header["history"]) == 2 and header["ema"]["n_updates"] == 2
    assert set(header["versions"]) == {"mlatlas", "torch", "safetensors", "numpy", "python"}
    assert set(header["files"]) == {"model.safetensors", "optimizer.safetensors"}
    from safetensors.torch import load_file

    weights = load_file(tmp_path / "m" / "model.safetensors")
    assert any(k.startswith("ema.") for k in weights) and any(k.startswith("network.") for k in weights)
    assert all(k.startswith("loss.") for k in load_file(tmp_path / "m" / "optimizer.safetensors"))


def test_loading_never_calls_torch_load(tmp_path, fitted, monkeypatch):
    fitted["gan"].save(tmp_path / "m")

    def forbidden(*args, **kwargs):
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", forbidden)
    assert isinstance(GAN.load(tmp_path / "m"), GAN)


def test_the_allow_list_is_the_generative_models():
    from mlatlas.generative.base import GenerativeModel

    classes = model_classes()
    assert {f"mlatlas.generative.{n}" for n in
            ("Autoencoder", "SparseAutoencoder", "DenoisingAutoencoder", "VAE", "GAN")} <= set(classes)
    # every class a checkpoint may hold is a torch model of the package (other model families add theirs)
    for name, cls in classes.items():
        assert issubclass(cls, GenerativeModel) and name == f"mlatlas.generative.{cls.__name__}", name
    with pytest.raises(TypeError, match="checkpoints hold the generative models"):
        ckpt.public_name(dict)


# --------------------------------------------------------------------------- refusals
@pytest.fixture
def saved(tmp_path, fitted):
    path = tmp_path / "ckpt"
    fitted["vae"].save(path)
    return path


def edit_header(path, change):
    header = json.loads((path / "config.json").read_text())
    change(header)
    (path / "config.json").write_text(json.dumps(header))


def refuse(path, pattern, loader=VAE.load):
    with pytest.raises(CheckpointError, match=pattern) as info:
        loader(path)
    assert str(info.value).startswith(str(path)) and isinstance(info.value, ValueError)


def test_refuses_missing_directory_and_files(tmp_path, saved):
    refuse(tmp_path / "none", "no such checkpoint directory")
    (tmp_path / "file").write_text("x")
    refuse(tmp_path / "file", "not a directory")
    (tmp_path / "empty").mkdir()
    refuse(tmp_path / "empty", "config.json is missing, and there is no latest file")
    os.remove(saved / "optimizer.safetensors")
    refuse(saved, "optimizer.safetensors is missing")


def test_refuses_bad_json_and_wrong_format(saved):
    (saved / "config.json").write_text("{not json")
    refuse(saved, "config.json is not readable JSON")
    (saved / "config.json").write_text("[1, 2]")
    refuse(saved, "must hold a JSON object; it holds a list")
    (saved / "config.json").write_text(json.dumps({"format": "mlatlas-model", "version": 2}))
    refuse(saved, "not an mlatlas checkpoint .*format 'mlatlas-model'")


@pytest.mark.parametrize("change, pattern", [
    (lambda h: h.update(version=7), "format version 7 is not supported"),
    (lambda h: h.update(extra=1), "unexpected key 'extra'"),
    (lambda h: h.pop("rng"), "lacks key 'rng'"),
    (lambda h: h.update({"class": "mlatlas.persistence.os.system"}), "class 'mlatlas.persistence.os.system' is not "
                                                                     "allowed"),
    (lambda h: h.update({"class": "builtins.eval"}), "is not allowed"),
    (lambda h: h.update({"class": "mlatlas.generative.GAN"}), "holds a GAN checkpoint, not a VAE one"),
    (lambda h: h["config"].update(latent_dim=-1), "config: latent_dim must be an int >= 1; got -1"),
    (lambda h: h["config"].update(run="os.system"), "config: VAE got an unexpected parameter 'run'"),
    (lambda h: h["config"].update(latent_dim=3), "tensor 'network.encoder.2.weight' has shape \\(4, 16\\), "
                                                 "the model expects \\(6, 16\\)"),
    (lambda h: h["config"].update(ema_decay=None), "ema must be null"),
    (lambda h: h.update(image_shape=[1, 8]), "image_shape must be"),
    (lambda h: h["files"].update({"model.safetensors": "0" * 64}), "does not match the SHA-256"),
    (lambda h: h["training"].update(step=-1), "training: step, epoch"),
    (lambda h: h["history"].append({"loss": "x"}), "history must be a list"),
    (lambda h: h["rng"].update(noise="AAAA"), "rng.noise: a generator state has"),
    (lambda h: h["optimizers"]["loss"]["param_groups"][0].update(lr="0.1"), "param_groups\\[0\\].lr must be like"),
    (lambda h: h["optimizers"]["loss"]["param_groups"][0].update(params=[0]), "does not match the model's parameters"),
    (lambda h: h["schedulers"].update(loss={"optimizer": "x"}), "schedulers.loss must be null"),
])
def test_refuses_a_corrupt_header(saved, change, pattern):
    edit_header(saved, change)
    refuse(saved, pattern)


def test_refuses_damaged_tensor_files(saved):
    data = bytearray((saved / "model.safetensors").read_bytes())
    data[100] ^= 0xFF
    (saved / "model.safetensors").write_bytes(bytes(data))
    refuse(saved, "model.safetensors does not match the SHA-256")
    # a file that matches its hash but is not safetensors
    import hashlib

    (saved / "model.safetensors").write_bytes(b"\x80\x04pickle-like bytes")
    edit_header(saved, lambda h: h["files"].update(
        {"model.safetensors": hashlib.sha256(b"\x80\x04pickle-like bytes").hexdigest()}))
    refuse(saved, "model.safetensors is not a readable safetensors file")


def test_refuses_a_tensor_of_the_wrong_shape_even_with_a_matching_hash(saved):
    import hashlib

    from safetensors.torch import load_file, save_file

    weights = load_file(saved / "model.safetensors")
    weights["network.decoder.0.weight"] = torch.zeros(3, 3)
    save_file(weights, saved / "model.safetensors")
    digest = hashlib.sha256((saved / "model.safetensors").read_bytes()).hexdigest()
    edit_header(saved, lambda h: h["files"].update({"model.safetensors": digest}))
    refuse(saved, r"tensor 'network.decoder.0.weight' has shape \(3, 3\), the model expects \(16, 2\)")
    weights.pop("network.decoder.0.weight")
    weights["network.decoder.0.bias.__class__"] = torch.zeros(1)
    save_file(weights, saved / "model.safetensors")
    digest = hashlib.sha256((saved / "model.safetensors").read_bytes()).hexdigest()
    edit_header(saved, lambda h: h["files"].update({"model.safetensors": digest}))
    refuse(saved, "lacks tensor 'network.decoder.0.weight'")


def test_run_folder_latest_pointer_is_checked(tmp_path, data):
    run = tmp_path / "run"
    Autoencoder(code_dim=2, epochs=2, random_state=0).fit(data[0], checkpoint_dir=run)
    assert Autoencoder.load(run)._training.step == 2  # 64 images, one batch of 64 per epoch
    (run / "latest").write_text("../../etc")
    refuse(run, "latest must name a checkpoint folder", Autoencoder.load)
    (run / "latest").write_text("step-000000099")
    refuse(run, "latest names step-000000099, which does not exist", Autoencoder.load)


def test_save_replaces_a_checkpoint_but_never_another_folder(tmp_path, fitted, data):
    target = tmp_path / "m"
    fitted["ae"].save(target)
    fitted["sparse"].save(target)  # a checkpoint may be replaced
    assert isinstance(load_checkpoint(target), SparseAutoencoder)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporary left behind
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(CheckpointError, match="exists and is not an mlatlas checkpoint"):
        fitted["ae"].save(precious)
    assert (precious / "notes.txt").read_text() == "keep me"


def test_an_interrupted_save_leaves_the_previous_checkpoint(tmp_path, fitted, monkeypatch):
    target = tmp_path / "m"
    fitted["ae"].save(target)
    before = (target / "model.safetensors").read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt, "_optimizer_payload", crash)
    with pytest.raises(OSError, match="disk full"):
        fitted["sparse"].save(target)
    assert (target / "model.safetensors").read_bytes() == before
    assert isinstance(load_checkpoint(target), Autoencoder)
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_loading_onto_the_cpu_from_a_config_that_asked_for_cuda(tmp_path, saved):
    edit_header(saved, lambda h: h["config"].update(device="cuda"))
    model = VAE.load(saved)
    assert model.device_.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert VAE.load(saved, device="cpu").device_.type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda' asks for a GPU"):
            VAE.load(saved, device="cuda")


def test_copy_of_a_run_folder_resumes(tmp_path, data):
    run = tmp_path / "run"
    Autoencoder(code_dim=2, epochs=1, random_state=0).fit(data[0], checkpoint_dir=run)
    shutil.copytree(run, tmp_path / "copy")
    a = Autoencoder(code_dim=2, epochs=2, random_state=0).fit(data[0], checkpoint_dir=tmp_path / "copy", resume=True)
    b = Autoencoder(code_dim=2, epochs=2, random_state=0).fit(data[0])
    assert np.array_equal(a.encode(data[0]), b.encode(data[0]))
