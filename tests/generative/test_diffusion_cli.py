"""`mlatlas train/sample ddpm` (exit codes, --prompt, sampler options) and the `ddpm` atlas entry."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

from mlatlas import atlas, plots
from mlatlas.cli import main

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch (pip install 'mlatlas[deep]')")

TINY = ["--set", "channels=(8,16)", "--set", "T=30", "--set", "sample_steps=6", "--set", "ema_decay=None",
        "--set", "batch_size=128", "--device", "cpu"]
#: The entry's test run: one epoch of a tiny U-Net on a short chain (what it checks is the wiring).
TINY_ENTRY = {"epochs": 1, "channels": (8, 16), "T": 30, "sample_steps": 6, "ema_decay": None}
FIGURES = ("ddpm-loss", "ddpm-forward", "ddpm-reverse", "ddpm-samples", "ddpm-guidance", "ddpm-ddim-steps")


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("mlatlas: error: ")
    return err


def test_the_entry_is_registered_with_its_config():
    entry = atlas.get("ddpm")
    assert entry.family == "generative" and entry.requires == ("torch",)
    assert {"T", "channels", "guidance", "sample_steps"} <= set(entry.parameter_names())
    assert entry.check_params(entry.demo_params) == entry.demo_params
    with pytest.raises(ValueError, match="has no parameter 'stpes'"):
        entry.check_params({"stpes": 3})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`mlatlas train ddpm` for one epoch of a tiny model on the default data (the training half)."""
    if not HAVE_TORCH:
        return None
    import torch

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("run") / "ddpm"
    assert main(["train", "ddpm", "--out", str(out), "--epochs", "1", *TINY]) == 0
    return out


@needs_torch
def test_train_writes_a_record_that_mlatlas_draw_draws(trained):
    record = json.loads((trained / "record.json").read_text())
    assert record["entry"] == "ddpm"
    with np.load(trained / "arrays.npz") as arrays:
        assert arrays["history.loss"].shape == (1,)
        assert arrays["samples.images"].shape == (100, 1, 8, 8)
        assert arrays["forward.images"].shape[1:] == (1, 8, 8)
        assert arrays["guidance.images"].shape == (5, 10, 1, 8, 8)
        assert np.isfinite(arrays["ddim.fid"]).all()
    assert main(["draw", str(trained)]) == 0
    for stem in FIGURES:
        assert (trained / f"{stem}.png").is_file(), stem


@needs_torch
def test_sample_by_prompt_equals_sample_by_label(trained, tmp_path):
    common = ["sample", "ddpm", "--checkpoint", str(trained), "-n", "6", "--seed", "3", "--steps", "4"]
    assert main([*common, "--label", "7", "--out", str(tmp_path / "label")]) == 0
    for prompt in ("seven", "七", "a 7"):
        assert main([*common, "--prompt", prompt, "--out", str(tmp_path / "prompt")]) == 0
        with np.load(tmp_path / "label.npz") as a, np.load(tmp_path / "prompt.npz") as b:
            np.testing.assert_array_equal(a["x"], b["x"])
            np.testing.assert_array_equal(b["y"], np.full(6, 7))
    assert (tmp_path / "prompt.png").is_file()


@needs_torch
def test_sampler_options_reach_the_model(trained, tmp_path):
    base = ["sample", "ddpm", "--checkpoint", str(trained), "-n", "4", "--seed", "1"]
    assert main([*base, "--method", "ancestral", "--steps", "30", "--out", str(tmp_path / "a")]) == 0
    assert main([*base, "--method", "ddim", "--eta", "1.0", "--steps", "30", "--out", str(tmp_path / "d")]) == 0
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "d.npz") as d:
        assert a["x"].shape == (4, 1, 8, 8) and "y" not in a
        np.testing.assert_allclose(a["x"], d["x"], atol=2e-4)       # DDIM eta = 1 on all steps is ancestral
    assert main([*base, "--label", "2", "--guidance", "3", "--out", str(tmp_path / "g")]) == 0


@needs_torch
@pytest.mark.parametrize("extra, words", [
    (["--method", "euler"], "method must be one of"),
    (["--steps", "0"], "steps must be an int in [1, 30]"),
    (["--steps", "31"], "steps must be an int in [1, 30]"),
    (["--label", "10"], "labels in [0, 10)"),
    (["--label", "-1"], "labels in [0, 10)"),
    (["--guidance", "2"], "guidance needs labels"),
    (["--label", "1", "--guidance", "-1"], "guidance must be"),
    (["--prompt", "a cat"], "names no digit"),
    (["--eta", "2"], "eta must be"),
])
def test_bad_sampling_input_exits_2_with_one_line(trained, tmp_path, capsys, extra, words):
    code = main(["sample", "ddpm", "--checkpoint", str(trained), "-n", "2", *extra, "--out", str(tmp_path / "x")])
    assert code == 2
    assert words in _error(capsys)


@needs_torch
def test_guidance_on_an_unconditional_model_exits_2(tmp_path, capsys):
    out = tmp_path / "plain"
    assert main(["train", "ddpm", "--out", str(out), "--epochs", "1", *TINY, "--set", "n_classes=None"]) == 0
    code = main(["sample", "ddpm", "--checkpoint", str(out), "-n", "2", "--guidance", "1", "--out",
                 str(tmp_path / "x")])
    assert code == 2
    assert "guidance needs a conditional model" in _error(capsys)
    assert main(["sample", "ddpm", "--checkpoint", str(out), "-n", "2", "--label", "3", "--out",
                 str(tmp_path / "y")]) == 2
    assert "not conditional" in _error(capsys)
    with np.load(out / "arrays.npz") as arrays:
        assert "guidance.images" not in arrays and "samples.labels" not in arrays
    assert main(["draw", str(out)]) == 0                       # the figures of a conditional model are left out
    assert (out / "ddpm-samples.png").is_file() and not (out / "ddpm-guidance.png").exists()


@needs_torch
def test_bad_training_settings_exit_2(tmp_path, capsys):
    assert main(["train", "ddpm", "--out", str(tmp_path / "a"), "--epochs", "1", "--set", "schedule=quadratic"]) == 2
    assert "schedule must be one of" in _error(capsys)
    assert main(["train", "ddpm", "--out", str(tmp_path / "b"), "--epochs", "1",
                 "--set", "channels=(8,16,16,16,16)"]) == 2
    assert "must divide by 16" in _error(capsys)


@needs_torch
def test_the_entry_runs_and_draws_from_its_record(tmp_path, monkeypatch):
    import torch

    from mlatlas.atlas.record import RunRecord

    torch.set_num_threads(1)
    unlabelled = {}
    real_save = plots.save

    def save(fig, path, **kwargs):
        unlabelled[os.path.basename(path)] = plots.unlabelled_axes(fig)
        return real_save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "save", save)
    record = atlas.run_entry(atlas.get("ddpm"), params={**atlas.get("ddpm").demo_params, **TINY_ENTRY}, seed=0,
                             out_dir=str(tmp_path), langs=("en", "zh"))
    ours, gmm, real = (row.metrics for row in record.rows)
    # real figures: the GMM's and the real digits' FID are what digits_fid measures for them
    assert 0.2 < gmm["digits_fid"] < 2.0 and real["digits_fid"] < 0.1
    assert ours["digits_fid"] > 0 and 0 <= ours["label_accuracy"] <= 1
    assert record.comparison["digits_fid_ratio_to_gmm"] == pytest.approx(ours["digits_fid"] / gmm["digits_fid"])
    names = sorted(os.path.basename(p) for p in record.figures)
    assert names == sorted([f"{s}.png" for s in FIGURES] + [f"{s}.zh.png" for s in FIGURES])
    assert all(not problems for problems in unlabelled.values()), unlabelled
    # the figures come from the saved record alone: drawing it again gives the same bytes
    first = {name: (tmp_path / name).read_bytes() for name in names if not name.endswith(".zh.png")}
    assert main(["draw", str(tmp_path)]) == 0
    assert {name: (tmp_path / name).read_bytes() for name in first} == first
    assert RunRecord.load(str(tmp_path)).entry == "ddpm"
