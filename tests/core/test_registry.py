"""Every registry entry runs end to end, agrees with its reference as measured, and redraws identically.

The agreement figures below are what each entry's run measured with its demo settings
and seed 0, with a margin: a change that makes ours drift from the reference (or a
comparison that stops being computed) fails here.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from mlatlas import atlas, datasets, plots
from mlatlas.atlas.record import RunRecord
from mlatlas.atlas.registry import TASKS
from mlatlas.cli import main

ENTRIES = atlas.entries()
HAVE_TORCH = __import__("importlib").util.find_spec("torch") is not None


def test_registry_is_not_empty_and_names_are_unique():
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names)) and names


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_metadata_is_consistent(entry):
    assert entry.title and entry.family and entry.references
    assert entry.task in TASKS
    for name in entry.allowed_datasets():
        assert name in datasets.available(), f"{entry.name}: unknown dataset {name}"
    assert callable(entry.run) and all(callable(draw) for draw in entry.figures) and entry.figures
    cls = entry.config_class()
    if dataclasses.is_dataclass(cls):
        assert entry.parameter_names() == [f.name for f in dataclasses.fields(cls)]
    else:
        assert hasattr(cls, "get_params") and entry.parameter_names()
    # the entry's own settings pass its --set check
    assert entry.check_params(entry.settings(entry.demo_params)) == entry.settings(entry.demo_params)


def test_check_params_names_the_unknown_and_types_dataclass_fields():
    with pytest.raises(ValueError, match="knn-classifier has no parameter 'k'; allowed: "):
        atlas.get("knn-classifier").check_params({"k": 3})
    worked = atlas.get("worked-example")
    assert worked.check_params({"learning_rate": 1}) == {"learning_rate": 1.0}
    with pytest.raises(TypeError, match="learning_rate must be a real number; got str 'fast'"):
        worked.check_params({"learning_rate": "fast"})


# ---------------------------------------------------------------------------- lazy listing


def test_list_reads_metadata_only():
    """`mlatlas list` imports no algorithm module, no scikit-learn, matplotlib or torch."""
    code = ("import sys, io, contextlib\n"
            "from mlatlas.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['list']) == 0\n"
            "heavy = ('mlatlas.supervised', 'mlatlas.unsupervised', 'mlatlas.nn', 'mlatlas.probability',\n"
            "         'mlatlas.timeseries', 'mlatlas.generative', 'mlatlas.base', 'mlatlas.datasets',\n"
            "         'sklearn', 'matplotlib', 'torch', 'scipy', 'numba', 'statsmodels')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'matplotlib', 'torch', 'scipy',\n"
            "             'numba', 'statsmodels') or m.startswith(heavy)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_list_marks_missing_requirements(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("statsmodels", "torch") else real(name, *a))
    assert main(["list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert "needs statsmodels (not installed)" in lines["ar"]
    assert "without torch: fewer checks" in lines["worked-example"]
    assert "needs" not in lines["kmeans"] and "without" not in lines["kmeans"]
    assert main(["run", "ar"]) == 2
    assert "ar needs statsmodels, which is not installed" in capsys.readouterr().err


def test_worked_example_runs_without_torch(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    record = atlas.run_entry(atlas.get("worked-example"), out_dir=str(tmp_path), figures=False)
    assert [row.model for row in record.rows] == ["mlatlas.nn", "by hand (notes + errata)"]
    assert record.comparison["torch_available"] is False
    assert record.comparison["max_abs_difference_vs_hand"] < 1e-12


# ---------------------------------------------------------------------------- every entry, end to end

#: Per entry: comparison key -> (relation, bound).  "rows:<metric>" is |ours - reference|;
#: "ours:<metric>" is our row's own metric.
EXPECTED = {
    "gmm": {"adjusted_rand_ours_vs_reference": (">=", 0.99), "log_likelihood_relative_difference": ("abs<=", 5e-5)},
    "kmeans": {"adjusted_rand_ours_vs_reference": ("==", 1.0), "inertia_relative_difference": ("abs<=", 1e-12)},
    "adaboost": {"prediction_agreement": ("==", 1.0), "same_stumps": ("==", 50), "stumps_compared": ("==", 50),
                 "max_error_difference": ("abs<=", 1e-12), "max_normalised_weight_difference": ("abs<=", 1e-12),
                 "max_decision_function_difference": ("abs<=", 1e-12)},
    "random-forest": {"prediction_agreement": (">=", 0.98), "max_feature_importance_difference": ("abs<=", 0.1),
                      "rows:accuracy": ("abs<=", 0.02)},
    "random-forest-regressor": {"max_feature_importance_difference": ("abs<=", 0.05), "rows:r2": ("abs<=", 0.03)},
    "linear-regression": {"max_coef_difference_relative": ("abs<=", 1e-12), "intercept_difference": ("abs<=", 1e-9),
                          "max_prediction_difference": ("abs<=", 1e-9), "rows:r2": ("abs<=", 1e-12)},
    "logistic-regression": {"prediction_agreement": ("==", 1.0), "max_coef_difference": ("abs<=", 2e-4),
                            "max_probability_difference": ("abs<=", 1e-4)},
    "knn-classifier": {"prediction_agreement": ("==", 1.0), "rows:accuracy": ("abs<=", 0.0)},
    "knn-regressor": {"max_prediction_difference": ("abs<=", 1e-12)},
    "mlp": {"prediction_agreement": (">=", 0.97), "rows:accuracy": ("abs<=", 0.01),
            "epochs_mlatlas": ("==", 40), "epochs_sklearn": ("==", 40)},
    "mlp-regressor": {"rows:r2": ("abs<=", 0.02), "epochs_mlatlas": ("==", 100)},
    "nn-concepts": {"torch_available": ("==", HAVE_TORCH)},
    "worked-example": {"max_abs_difference_vs_hand": ("abs<=", 1e-12), "torch_available": ("==", HAVE_TORCH)},
    "mle": {"max_rel_difference": ("abs<=", 1e-9)},
    "svm": {"prediction_agreement": ("==", 1.0), "same_support_vectors": ("==", True),
            "max_dual_coef_difference": ("abs<=", 1e-10), "max_intercept_difference": ("abs<=", 1e-10)},
    "ar": {"max_param_rel_difference": ("abs<=", 1e-10), "sigma2_rel_difference": ("abs<=", 1e-12),
           "max_forecast_difference": ("abs<=", 1e-9), "max_interval_difference": ("abs<=", 1e-9)},
    "decision-tree": {"untied_differences": ("==", 0), "prediction_agreement": (">=", 0.97)},
    "decision-tree-regressor": {"same_tree_node_by_node": ("==", True), "max_prediction_difference": ("==", 0.0),
                                "max_feature_importance_difference": ("==", 0.0), "untied_differences": ("==", 0)},
    "id3": {"prediction_agreement": ("==", 1.0), "play_tennis_root": ("==", "outlook"),
            "play_tennis_training_accuracy": ("==", 1.0)},
    "sparse-coding": {"objective_ratio_train": ("near1", 1e-5), "objective_ratio_test": ("near1", 1e-5)},
    # The generative entries' demo runs train for seconds: these check the comparison with the
    # classical baselines and that some learning happened (digits_fid of uniform noise is 44.4,
    # the independent-Bernoulli NLL 24.6 nats); the quality targets are benchmarks.
    "ae": {"test_mse_ratio_to_pca": ("<=", 6.0)},
    "sparse-ae": {"ours:mean_code_activation": ("<=", 0.3), "ours:test_mse": ("<=", 0.12)},
    "denoising-ae": {"test_mse_ratio_to_pca": ("<=", 1.6)},
    "vae": {"test_nll_minus_mixture": ("<=", 0.0), "ours:digits_fid": ("<=", 5.0)},  # beats 50 Bernoullis
    "gan": {"ours:digits_fid": ("<=", 3.0)},  # uniform noise: 44
    "ddpm": {"ours:digits_fid": ("<=", 12.0)},
    "rbm": {"test_nll_difference": ("<=", 1.0), "small_ais_error_at_most_betas": ("abs<=", 0.1)},
    "dbn": {"test_nll_bound_difference": ("<=", 1.0)},
    "dbn-classifier": {"versus_logistic": (">=", -0.02), "ours:accuracy": (">=", 0.94)},
    "bm": {"log_likelihood_gap_to_exact": ("abs<=", 0.05), "sampler_total_variation": ("<=", 0.04)},
}
if HAVE_TORCH:
    EXPECTED["worked-example"]["max_abs_difference_vs_torch"] = ("abs<=", 1e-12)


def _check(record, key, relation, bound):
    if key.startswith("rows:"):
        metric = key[len("rows:"):]
        value = abs(record.rows[0].metrics[metric] - record.rows[1].metrics[metric])
    elif key.startswith("ours:"):
        value = record.rows[0].metrics[key[len("ours:"):]]
    else:
        assert key in record.comparison, f"{record.entry}: no comparison {key!r}"
        value = record.comparison[key]
    ok = {"==": lambda: value == bound, ">=": lambda: value >= bound, "<=": lambda: value <= bound,
          "abs<=": lambda: abs(value) <= bound,
          "near1": lambda: abs(value - 1.0) <= bound}[relation]()
    assert ok, f"{record.entry}: {key} = {value!r}, expected {relation} {bound!r}"


def test_every_entry_has_its_expected_agreement_figures():
    assert set(EXPECTED) == {e.name for e in ENTRIES}


#: Figures in which colour means a class, a cluster or a component: each needs a legend.
CLASS_COLOURED = ("knn-boundaries-moons", "gmm-ellipses", "svm-kernels", "svm-margins", "svm-hard-vs-soft",
                  "moons-boundary", "kmeans-iterations", "adaboost-weights")


@pytest.fixture
def figure_checks(monkeypatch):
    """Record, for every figure saved, its panels without axis labels and whether it has a legend."""
    found = {}
    real_save = plots.save

    def save(fig, path, **kwargs):
        legends = any(ax.get_legend() is not None for ax in fig.axes) or bool(fig.legends)
        found[os.path.basename(path)] = (plots.unlabelled_axes(fig), legends)
        return real_save(fig, path, **kwargs)

    monkeypatch.setattr(plots, "save", save)
    return found


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_demo_run(entry, tmp_path, figure_checks):
    run_dir = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = atlas.run_entry(entry, params=dict(entry.demo_params), seed=0, out_dir=str(run_dir))
    assert record.rows, "a run reports at least our model"
    for row in record.rows:
        for key, value in row.metrics.items():
            if isinstance(value, float):
                assert np.isfinite(value), f"{entry.name}: {row.model} {key} = {value}"
    for key, (relation, bound) in EXPECTED[entry.name].items():
        _check(record, key, relation, bound)

    # the saved record reads back the same
    loaded = RunRecord.load(run_dir)
    assert loaded.entry == entry.name and loaded.rows == record.rows and loaded.comparison == record.comparison
    assert set(loaded.arrays) == set(record.arrays)

    # every figure function wrote a file, with labelled panels, and a legend where colour means a class
    names = record.figures_in("en")
    assert names == record.figures
    assert len(names) >= len(entry.figures) and len(set(names)) == len(names)
    for name in names:
        assert os.path.getsize(run_dir / name) > 1000, f"{name} is empty"
        unlabelled, has_legend = figure_checks[name]
        assert not unlabelled, f"{name}: {unlabelled}"
        if name.removesuffix(".png") in CLASS_COLOURED:
            assert has_legend, f"{name} colours classes but has no legend"

    # `mlatlas draw` on a copy of the record alone gives byte-identical images
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in ("record.json", "arrays.npz"):
        shutil.copy(run_dir / part, copy / part)
    assert main(["draw", str(copy)]) == 0
    for name in names:
        assert (copy / name).read_bytes() == (run_dir / name).read_bytes(), f"{name} differs when redrawn"
    assert json.loads((copy / "record.json").read_text())["figures"] == names
