"""`mlatlas train` and `mlatlas sample`: exit codes, one-line errors, exact resume, sample files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

pytest.importorskip("torch")

from mlatlas.cli import main  # noqa: E402
from mlatlas.generative import cli_support  # noqa: E402

TINY = ["--set", "hidden_sizes=(8,)", "--set", "latent_dim=2", "--set", "batch_size=20", "--device", "cpu"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """60 gray digits in [0, 1] as (n, 1, 8, 8) with labels, and the same unscaled (0..16)."""
    from sklearn.datasets import load_digits

    folder = tmp_path_factory.mktemp("data")
    X, y = load_digits(return_X_y=True)
    good, bad = folder / "small.npz", folder / "raw.npz"
    np.savez(good, X=(X[:60] / 16).reshape(60, 1, 8, 8), y=y[:60])
    np.savez(bad, X=X[:60].reshape(60, 1, 8, 8), y=y[:60])
    np.savez(folder / "flat5.npz", X=np.full((60, 5), 0.5), y=y[:60])
    return {"good": str(good), "bad": str(bad), "shape": str(folder / "flat5.npz")}


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("mlatlas: error: ")
    return err


def _train(out, data, *extra) -> int:
    return main(["train", "vae", "--data", data["good"], "--out", str(out), *TINY, *extra])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    """A conditional VAE trained 2 epochs (shared by the sample tests)."""
    out = tmp_path_factory.mktemp("run") / "vae"
    assert _train(out, data, "--epochs", "2", "--set", "n_classes=10") == 0
    return out


def test_train_writes_model_checkpoints_and_record(trained):
    assert (trained / "model" / "model.safetensors").is_file()
    assert (trained / "checkpoints" / "latest").is_file()
    record = json.loads((trained / "record.json").read_text())
    assert record["entry"] == "vae"
    with np.load(trained / "arrays.npz") as arrays:
        assert arrays["history.loss"].shape == (2,)
        assert np.isfinite(arrays["history.loss"]).all()
        # a conditional model's samples carry the labels asked for
        assert arrays["samples.labels"].tolist() == [i % 10 for i in range(100)]
        # other data than the digits: the record describes (at most 1000 of) the training images
        assert arrays["codes"].shape == (60, 2) and arrays["labels"].shape == (60,)


def test_resume_is_byte_identical(tmp_path, data):
    assert _train(tmp_path / "straight", data, "--epochs", "4") == 0
    assert _train(tmp_path / "split", data, "--epochs", "2") == 0
    assert main(["train", "vae", "--data", data["good"], "--out", str(tmp_path / "split"),
                 "--epochs", "4", "--resume"]) == 0
    straight = (tmp_path / "straight" / "model" / "model.safetensors").read_bytes()
    split = (tmp_path / "split" / "model" / "model.safetensors").read_bytes()
    assert straight == split
    with np.load(tmp_path / "split" / "arrays.npz") as arrays:
        assert arrays["history.loss"].shape == (4,)


@pytest.mark.parametrize("model, figures", [
    ("vae", {"vae-losses.png", "vae-reconstructions.png", "vae-latent.png", "vae-interpolation.png",
             "vae-samples.png"}),
    ("gan", {"gan-losses.png", "gan-over-training.png", "gan-samples.png"}),
    ("denoising-ae", {"denoising-ae-reconstructions.png", "denoising-ae-losses.png"}),
])
def test_a_training_run_on_the_default_data_is_a_record_that_mlatlas_draw_draws(tmp_path, model, figures):
    from mlatlas.metrics import digits_split

    out = tmp_path / model
    sizes = ["--set", "hidden_sizes=(8,)"] if model != "gan" else ["--set", "hidden_sizes=(16,)"]
    assert main(["train", model, "--out", str(out), "--epochs", "3", "--seed", "0", *sizes]) == 0
    record = json.loads((out / "record.json").read_text())
    assert record["entry"] == model and record["dataset"] == "digits (standard split, training half)"
    _, X_test, _, y_test = digits_split(binary=model == "vae")
    with np.load(out / "arrays.npz") as arrays:
        assert arrays["history.epoch"].tolist() == [1.0, 2.0, 3.0]
        if model == "gan":
            # the generator's samples from one noise at a few epochs of the run
            assert arrays["snapshots.epochs"].tolist() == [1, 2, 3]
            assert arrays["snapshots.images"].shape == (3, 16, 1, 8, 8)
        else:
            # the codes of the held-out half, labelled: the figures describe the test digits
            assert arrays["codes"].shape[0] == X_test.shape[0]
            np.testing.assert_array_equal(arrays["labels"], y_test)
    assert main(["draw", str(out)]) == 0
    drawn = set(json.loads((out / "record.json").read_text())["figures"])
    assert drawn == figures
    for name in figures:
        assert (out / name).stat().st_size > 1000


def test_fresh_run_into_a_used_folder_is_refused(trained, data, capsys):
    assert _train(trained, data, "--epochs", "1") == 2
    assert "--resume" in _error(capsys)


def test_resume_without_a_run(tmp_path, data, capsys):
    assert _train(tmp_path / "empty", data, "--epochs", "1", "--resume") == 2
    assert "no training run" in _error(capsys)


def test_unknown_model(tmp_path, capsys):
    assert main(["train", "vea", "--out", str(tmp_path / "x")]) == 2
    assert "unknown model 'vea'" in _error(capsys)
    assert main(["sample", "vea", "--checkpoint", str(tmp_path), "--out", str(tmp_path / "s")]) == 2
    assert "unknown model 'vea'" in _error(capsys)


def test_bad_set(tmp_path, data, capsys):
    assert _train(tmp_path / "a", data, "--set", "widht=3") == 2
    assert "widht" in _error(capsys)
    assert _train(tmp_path / "b", data, "--set", "latent_dim=-1") == 2
    assert "latent_dim" in _error(capsys)
    assert _train(tmp_path / "c", data, "--epochs", "0") == 2
    assert "epochs" in _error(capsys)


@pytest.mark.parametrize("which, words", [("bad", "[0, 1]"), ("shape", "square")])
def test_bad_data(tmp_path, data, capsys, which, words):
    assert main(["train", "vae", "--data", data[which], "--out", str(tmp_path / "r"), *TINY]) == 2
    assert words in _error(capsys)
    assert not (tmp_path / "r" / "model").exists()


def test_unknown_data_name(tmp_path, capsys):
    assert main(["train", "ae", "--data", "no-such-thing", "--out", str(tmp_path / "r")]) == 2
    assert "no-such-thing" in _error(capsys)


def test_sample_files(trained, tmp_path):
    out = tmp_path / "s"
    assert main(["sample", "vae", "--checkpoint", str(trained), "-n", "7", "--label", "3", "--seed", "1",
                 "--out", str(out)]) == 0
    with np.load(f"{out}.npz") as f:
        x, y = f["x"], f["y"]
    assert x.shape == (7, 1, 8, 8) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(y, np.full(7, 3))
    assert os.path.getsize(f"{out}.png") > 0
    # unlabelled: x only
    assert main(["sample", "vae", "--checkpoint", str(trained), "-n", "2", "--out", str(tmp_path / "u")]) == 0
    with np.load(tmp_path / "u.npz") as f:
        assert sorted(f.files) == ["x"]
        assert f["x"].shape == (2, 1, 8, 8)


def test_sample_by_prompt_equals_sample_by_label(trained, tmp_path):
    by_label, by_word = tmp_path / "a", tmp_path / "b"
    assert main(["sample", "vae", "--checkpoint", str(trained), "-n", "4", "--label", "7", "--seed", "2",
                 "--out", str(by_label)]) == 0
    assert main(["sample", "vae", "--checkpoint", str(trained), "-n", "4", "--prompt", "a seven", "--seed", "2",
                 "--out", str(by_word)]) == 0
    with np.load(f"{by_label}.npz") as a, np.load(f"{by_word}.npz") as b:
        np.testing.assert_array_equal(a["x"], b["x"])
        np.testing.assert_array_equal(b["y"], np.full(4, 7))


@pytest.mark.parametrize("extra, words", [(["--steps", "10"], "--steps"), (["--method", "ddim"], "--method"),
                                          (["--label", "1", "--prompt", "one"], "not both"),
                                          (["--prompt", "a cat"], "no digit")])
def test_sample_refuses_options_the_model_lacks(trained, tmp_path, capsys, extra, words):
    assert main(["sample", "vae", "--checkpoint", str(trained), "-n", "2", *extra,
                 "--out", str(tmp_path / "s")]) == 2
    assert words in _error(capsys)
    assert not (tmp_path / "s.npz").exists()


def test_sample_label_out_of_range(trained, tmp_path, capsys):
    assert main(["sample", "vae", "--checkpoint", str(trained), "-n", "2", "--label", "10",
                 "--out", str(tmp_path / "s")]) == 2
    assert "10" in _error(capsys)
    assert not (tmp_path / "s.npz").exists()


def test_sample_checkpoint_of_another_model(trained, tmp_path, capsys):
    assert main(["sample", "gan", "--checkpoint", str(trained), "-n", "2", "--out", str(tmp_path / "s")]) == 2
    assert "VAE" in _error(capsys)


def test_sample_missing_and_corrupt_checkpoint(trained, tmp_path, capsys):
    assert main(["sample", "vae", "--checkpoint", str(tmp_path / "none"), "-n", "2",
                 "--out", str(tmp_path / "s")]) == 2
    assert "none" in _error(capsys)
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(trained / "model", broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:50])
    assert main(["sample", "vae", "--checkpoint", str(broken), "-n", "2", "--out", str(tmp_path / "s")]) == 2
    _error(capsys)
    assert not (tmp_path / "s.npz").exists()


def test_missing_torch_names_the_extra(tmp_path, monkeypatch, capsys):
    real = cli_support.importlib.util.find_spec
    monkeypatch.setattr(cli_support.importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    assert main(["train", "vae", "--out", str(tmp_path / "r")]) == 2
    assert "mlatlas[deep]" in _error(capsys)
