"""The generative entries (ae, sparse-ae, denoising-ae, vae, gan): tiny runs, real reference rows, figures.

Each entry trains a tiny model for a few epochs on the standard split of the digits;
the tests check that the record holds what the figures need, that the reference rows
are the classical baselines' real figures, and that the figures draw from the saved
record alone (``mlatlas draw`` gives the same bytes).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil

import numpy as np
import pytest

from mlatlas import atlas, plots
from mlatlas.atlas.record import RunRecord
from mlatlas.cli import main

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch (pip install 'mlatlas[deep]')")

NAMES = ("ae", "sparse-ae", "denoising-ae", "vae", "gan")
TINY = {
    "ae": {"epochs": 3, "hidden_sizes": (16,), "code_dim": 4},
    "sparse-ae": {"epochs": 3, "code_dim": 16},
    "denoising-ae": {"epochs": 3, "hidden_sizes": (16,), "code_dim": 4},
    "vae": {"epochs": 3, "hidden_sizes": (16,), "latent_dim": 2},
    "gan": {"epochs": 5, "hidden_sizes": (16,), "latent_dim": 4},
}
FIGURES = {
    "ae": ("ae-reconstructions", "ae-losses"),
    "sparse-ae": ("sparse-ae-reconstructions", "sparse-ae-losses"),
    "denoising-ae": ("denoising-ae-reconstructions", "denoising-ae-losses"),
    "vae": ("vae-losses", "vae-reconstructions", "vae-latent", "vae-interpolation", "vae-samples"),
    "gan": ("gan-losses", "gan-over-training", "gan-samples"),
}


# ---------------------------------------------------------------------------- metadata (no torch needed)


def test_the_five_entries_are_registered_in_their_family():
    entries = {e.name: e for e in atlas.entries() if e.family == "generative"}
    assert set(NAMES) <= set(entries)
    for name in NAMES:
        entry = entries[name]
        assert entry.requires == ("torch",) and entry.dataset == "digits"
        # --set is checked against the model's dataclass config
        assert "epochs" in entry.parameter_names() and "random_state" in entry.parameter_names()
        with pytest.raises(ValueError, match="has no parameter 'widht'"):
            entry.check_params({"widht": 3})
        assert entry.check_params(entry.demo_params) == entry.demo_params


def test_without_torch_the_run_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(ValueError, match="vae needs torch, which is not installed"):
        atlas.run_entry(atlas.get("vae"), params=TINY["vae"])


# ---------------------------------------------------------------------------- runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each entry run once with its tiny settings, saved, and its figures drawn (English and Chinese)."""
    if not HAVE_TORCH:
        return {}
    import torch

    torch.set_num_threads(1)
    out = {}
    for name in NAMES:
        folder = tmp_path_factory.mktemp(name)
        record = atlas.run_entry(atlas.get(name), params=TINY[name], seed=0, out_dir=str(folder),
                                 langs=("en", "zh"))
        out[name] = (record, folder)
    return out


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_entry_records_its_figures_and_redraws_them_identically(runs, name, tmp_path):
    record, folder = runs[name]
    assert record.entry == name and record.rows[0].model == "mlatlas"
    stems = FIGURES[name]
    assert record.figures_in("en") == [f"{s}.png" for s in stems]
    assert record.figures_in("zh") == [f"{s}.zh.png" for s in stems]
    for figure in record.figures:
        assert os.path.getsize(folder / figure) > 1000
    # the record alone is enough: `mlatlas draw` on a copy gives the same bytes
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in ("record.json", "arrays.npz"):
        shutil.copy(folder / part, copy / part)
    assert main(["draw", str(copy), "--lang", "en"]) == 0
    for stem in stems:
        assert (copy / f"{stem}.png").read_bytes() == (folder / f"{stem}.png").read_bytes(), stem
    # one history array per loss term and epoch
    epochs = TINY[name]["epochs"]
    assert record.array("history.epoch").tolist() == list(range(1, epochs + 1))
    assert np.isfinite(record.array("history.loss_d" if name == "gan" else "history.loss")).all()


@needs_torch
def test_figures_have_labelled_panels_and_the_latent_map_a_legend(runs, monkeypatch, tmp_path):
    found = {}
    real_save = plots.save

    def save(fig, path, **kwargs):
        found[os.path.basename(path)] = (plots.unlabelled_axes(fig),
                                         any(ax.get_legend() is not None for ax in fig.axes))
        return real_save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "save", save)
    for name in NAMES:
        record = RunRecord.load(runs[name][1])
        atlas.draw_record(record, ("en",))
    assert set(found) == {f"{s}.png" for stems in FIGURES.values() for s in stems}
    for figure, (unlabelled, _) in found.items():
        assert not unlabelled, f"{figure}: {unlabelled}"
    assert found["vae-latent.png"][1], "the latent map colours digits by label: it needs a legend"
    assert found["vae-losses.png"][1] and found["gan-losses.png"][1]


@needs_torch
@pytest.mark.parametrize("name", ("ae", "sparse-ae", "denoising-ae"))
def test_autoencoder_reference_is_pca_at_the_code_size(runs, name):
    from sklearn.decomposition import PCA

    from mlatlas.metrics import digits_split

    record, _ = runs[name]
    X_train, X_test, _, _ = digits_split(binary=False)
    k = TINY[name]["code_dim"]
    ours, reference = record.rows[0], record.rows[1]
    assert reference.model == f"sklearn PCA({k})"
    pca = PCA(k, svd_solver="full").fit(X_train)
    if name == "denoising-ae":
        corrupted = record.array("reconstruction.corrupted")
        assert np.mean(corrupted == 0) > np.mean(record.array("reconstruction.original") == 0)
        # the reference rebuilds the corrupted test digits; the bar to beat is their own error
        assert 0 < reference.metrics["test_mse"] < record.comparison["test_mse_of_corrupted_inputs"]
    else:
        expected = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
        assert reference.metrics["test_mse"] == pytest.approx(expected, rel=1e-6)
    assert 0 < ours.metrics["test_mse"] < 0.2
    assert record.comparison["test_mse_ratio_to_pca"] == pytest.approx(
        ours.metrics["test_mse"] / reference.metrics["test_mse"])
    shown = record.array("reconstruction.original")
    assert shown.shape == (10, 1, 8, 8) and record.array("reconstruction.labels").tolist() == list(range(10))
    assert record.array("reconstruction.pca").shape == shown.shape
    assert record.array("codes").shape == (X_test.shape[0], k)


@needs_torch
def test_vae_reference_rows_are_the_classical_baselines(runs):
    from mlatlas.metrics import bernoulli_nll_baselines

    record, _ = runs["vae"]
    rows = {row.model: row.metrics for row in record.rows}
    baselines = bernoulli_nll_baselines(n_components=50)
    assert rows["Bernoulli mixture (50, EM)"]["test_nll"] == pytest.approx(baselines["bernoulli_mixture"])
    assert rows["independent Bernoulli"]["test_nll"] == pytest.approx(baselines["independent_bernoulli"])
    gmm_fid = rows["sklearn GaussianMixture(10) samples"]["digits_fid"]
    assert 0 < gmm_fid < 5  # a GaussianMixture's samples look like digits to the classifier
    ours = rows["mlatlas"]
    # a VAE of 3 epochs is far from the mixture, but its IWAE bound is a real, tighter bound
    assert 19 < ours["test_nll"] < 60 and ours["test_nll"] <= ours["test_neg_elbo"] + 1e-6
    assert record.comparison["test_nll_minus_mixture"] == pytest.approx(
        ours["test_nll"] - baselines["bernoulli_mixture"])
    assert ours["digits_fid"] > 0


@needs_torch
def test_vae_record_holds_the_latent_map_grid_interpolation_and_samples(runs):
    from mlatlas.metrics import digits_split

    record, _ = runs["vae"]
    _, X_test, _, y_test = digits_split(binary=True)
    np.testing.assert_array_equal(record.array("labels"), y_test)
    codes = record.array("codes")
    # latent_dim = 2: the plane is the latent space itself
    np.testing.assert_array_equal(record.array("latent.plane"), codes)
    assert record.array("latent.grid").shape == (12, 12, 1, 8, 8)
    ends = record.array("interpolation.ends")
    assert ends.shape == (2, 1, 8, 8) and record.array("interpolation.images").shape == (10, 1, 8, 8)
    samples = record.array("samples.images")
    assert samples.shape == (100, 1, 8, 8) and 0 <= samples.min() and samples.max() <= 1
    assert str(record.array("samples.labels_source")) == "classified"
    assert set(record.array("samples.labels").tolist()) <= set(range(10))


@needs_torch
def test_a_conditional_vae_samples_the_labels_asked_for(tmp_path):
    import torch

    torch.set_num_threads(1)
    record = atlas.run_entry(atlas.get("vae"), params={**TINY["vae"], "n_classes": 10}, seed=0,
                             out_dir=str(tmp_path), figures=False)
    assert str(record.array("samples.labels_source")) == "asked"
    assert record.array("samples.labels").tolist() == [i % 10 for i in range(100)]
    assert 0 <= record.rows[0].metrics["label_accuracy"] <= 1
    assert int(record.array("latent.grid_label")) in range(10)
    atlas.draw_record(record, ("en",))
    assert json.loads((tmp_path / "record.json").read_text())["figures"][-1] == "vae-samples.png"


@needs_torch
def test_gan_record_holds_samples_over_training(runs):
    record, _ = runs["gan"]
    from mlatlas.generative.base import snapshot_epochs

    epochs = record.array("snapshots.epochs")
    assert epochs.tolist() == snapshot_epochs(5) == [1, 2, 3, 5]
    images = record.array("snapshots.images")
    assert images.shape == (4, 16, 1, 8, 8)
    # the last snapshot is the trained generator on the same noise as every other snapshot
    assert not np.array_equal(images[0], images[-1])
    rows = {row.model: row.metrics for row in record.rows}
    assert 0 < rows["sklearn GaussianMixture(10) samples"]["digits_fid"] < 5
    assert rows["mlatlas"]["digits_fid"] > 0 and 0 < rows["mlatlas"]["final_d_real"] < 1
    assert record.array("discriminator.real").shape == (899,)
