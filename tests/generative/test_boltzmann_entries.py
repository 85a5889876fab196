"""The Boltzmann family's registry entries (run, compare, draw, redraw) and `mlatlas train/sample rbm|dbn|bm`."""

from __future__ import annotations

import os
import shutil
import warnings

import numpy as np
import pytest

from mlatlas import atlas, plots
from mlatlas.atlas.record import RunRecord
from mlatlas.cli import main

#: Per entry: what its demo run must show (comparison key -> check).
EXPECTED = {
    # AIS with 1,000 temperatures within 0.1 nat of the exact log Z of the 12-unit RBM; ours at
    # least as good as BernoulliRBM (constant learning rate, no momentum) on the test digits
    "rbm": {"small_ais_error_at_most_betas": lambda v: abs(v) <= 0.1, "test_nll_difference": lambda v: v <= 0.5},
    "dbn": {"test_nll_bound_difference": lambda v: v <= 0.5},
    "dbn-classifier": {"versus_logistic": lambda v: v >= -0.05},
    "bm": {"sampler_total_variation": lambda v: v <= 0.05, "log_likelihood_gap_to_exact": lambda v: abs(v) <= 0.2},
}


@pytest.fixture
def labelled(monkeypatch):
    """Record, per saved figure, its panels without axis labels."""
    found = {}
    real_save = plots.save

    def save(fig, path, **kwargs):
        found[os.path.basename(path)] = plots.unlabelled_axes(fig)
        return real_save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "save", save)
    return found


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entry_demo_runs_compares_and_redraws(name, tmp_path, labelled):
    entry = atlas.get(name)
    run_dir = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = atlas.run_entry(entry, params=dict(entry.demo_params), seed=0, out_dir=str(run_dir))
    for row in record.rows:
        for key, value in row.metrics.items():
            assert np.isfinite(value), f"{name}: {row.model} {key} = {value}"
    for key, check in EXPECTED[name].items():
        assert check(record.comparison[key]), f"{name}: {key} = {record.comparison[key]}"
    names = record.figures_in("en")
    assert len(names) >= len(entry.figures)
    for figure in names:
        assert os.path.getsize(run_dir / figure) > 1000 and not labelled[figure], (figure, labelled[figure])
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in ("record.json", "arrays.npz"):
        shutil.copy(run_dir / part, copy / part)
    assert main(["draw", str(copy)]) == 0
    for figure in names:
        assert (copy / figure).read_bytes() == (run_dir / figure).read_bytes(), figure


def test_rbm_entry_measures_both_models_alike():
    entry = atlas.get("rbm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = atlas.run_entry(entry, params={"n_components": 16, "n_iter": 5}, seed=1, figures=False)
    ours, theirs = record.rows
    assert theirs.model == "sklearn.neural_network.BernoulliRBM"
    assert set(ours.metrics) == set(theirs.metrics)
    # -log p(x) is above the entropy floor 0 and below 64 log 2 (a coin per pixel) for both
    for row in record.rows:
        assert 0 < row.metrics["test_nll"] < 64 * np.log(2)
    assert record.array("ais.estimate").shape == record.array("ais.n_betas").shape


@pytest.mark.parametrize("model, settings", [
    ("rbm", ["--set", "n_components=8"]),
    ("dbn", ["--set", "hidden_layer_sizes=(8, 4)"]),
    ("bm", ["--set", "n_hidden=2", "--set", "n_chains=20"]),
])
def test_cli_trains_saves_and_samples(model, settings, tmp_path):
    out = tmp_path / model
    assert main(["train", model, "--epochs", "2", "--out", str(out), *settings]) == 0
    assert (out / "model" / "model.npz").is_file()
    record = RunRecord.load(out)
    assert record.entry == model
    history = [key for key in record.arrays if key.replace("_", ".").startswith("history.epoch")]
    # one row per epoch (per layer and epoch for the DBN)
    epochs = [1.0, 2.0, 1.0, 2.0] if model == "dbn" else [1.0, 2.0]
    assert history and record.arrays[history[0]].tolist() == epochs
    if model in ("rbm", "dbn"):
        # the record holds what the entry's figures draw: the first layer's filters and samples
        assert record.arrays["filters"].shape[1] == 64
        samples = record.arrays["samples"].reshape(32, -1)
        assert samples.shape == (32, 64) and samples.min() >= 0 and samples.max() <= 1
    assert main(["sample", model, "--checkpoint", str(out), "-n", "6", "--out", str(tmp_path / "s.npz"),
                 "--seed", "3"]) == 0
    with np.load(tmp_path / "s.npz") as f:
        x = f["x"]
    assert x.shape == (6, 1, 8, 8) and x.min() >= 0 and x.max() <= 1
    assert (tmp_path / "s.png").stat().st_size > 500
    # a model takes no label
    assert main(["sample", model, "--checkpoint", str(out), "-n", "2", "--out", str(tmp_path / "t"),
                 "--label", "3"]) == 2
