"""Every registry entry runs end to end (with its figures) on its demo settings."""

import json
import os

import numpy as np
import pytest

from mlatlas import atlas, datasets

ENTRIES = atlas.entries()


def test_registry_is_not_empty_and_names_are_unique():
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names)) and names


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_metadata_is_consistent(entry):
    assert entry.title and entry.family
    for name in entry.allowed_datasets():
        assert name in datasets.available(), f"{entry.name}: unknown dataset {name}"
    if entry.runner is None:
        assert entry.estimator is not None


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_demo_run_writes_metrics_and_figures(entry, tmp_path):
    result = atlas.run_entry(entry, params=dict(entry.demo_params), seed=0, out_dir=str(tmp_path))
    assert result.rows, "a run reports at least our model"
    for row in result.rows:
        for key, value in row.metrics.items():
            if np.ndim(value) == 0 and isinstance(value, (int, float)):
                assert np.isfinite(value), f"{entry.name}: {row.model} {key} = {value}"
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["entry"] == entry.name
    assert len(result.figures) >= len(entry.figures), "every figure function writes at least one file"
    for path in result.figures:
        assert os.path.getsize(path) > 1000, f"{path} is empty"
