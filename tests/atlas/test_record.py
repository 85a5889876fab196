"""Run records: save, load back exactly, and refuse anything malformed with one ValueError."""

import json
import os
import zipfile

import numpy as np
import pytest

from mlatlas.atlas.record import ARRAYS_FILE, RECORD_FILE, ModelRow, RunRecord


def _record() -> RunRecord:
    record = RunRecord(entry="knn-classifier", dataset="iris", seed=3, params={"n_neighbors": 5, "sizes": (10, 5)},
                       rows=[ModelRow("mlatlas", {"accuracy": 0.9, "n": 3, "ok": True, "note": "x"}, 0.5, 0.25),
                             ModelRow("reference", {"accuracy": 0.9}, None, None)],
                       comparison={"agreement": 1.0, "same": True, "inf": float("inf")},
                       info={"names": ["a", "b"], "nested": {"k": [1, 2]}}, versions={"numpy": "2.0"},
                       primary_metric="accuracy", timing_note="times: after a warm-up")
    record.add("curve", k=np.arange(5), score=np.linspace(0, 1, 5))
    record.add(scalar=np.float64(2.5), labels=np.array(["setosa", "virginica"]), grid=np.eye(3, dtype=bool),
               roots=np.array([1 + 2j]))
    return record


def test_save_and_load_round_trip(tmp_path):
    saved = _record()
    saved.save(tmp_path)
    assert sorted(os.listdir(tmp_path)) == [ARRAYS_FILE, RECORD_FILE]  # no temporary files left
    loaded = RunRecord.load(tmp_path)
    assert loaded.rows == saved.rows and loaded.comparison == saved.comparison
    assert loaded.info == saved.info and loaded.seed == 3 and loaded.primary() == 0.9
    assert loaded.params == {"n_neighbors": 5, "sizes": [10, 5]}  # JSON: tuples come back as lists
    assert set(loaded.arrays) == set(saved.arrays)
    for name, array in saved.arrays.items():
        assert loaded.arrays[name].dtype == array.dtype and loaded.arrays[name].shape == array.shape
        np.testing.assert_array_equal(loaded.arrays[name], array)
    assert loaded.arrays["scalar"].shape == ()  # 0-d arrays stay 0-d
    assert loaded.directory == str(tmp_path)


def test_table_lists_metrics_times_comparison_and_timing_note():
    table = _record().table()
    lines = table.splitlines()
    assert lines[0].split() == ["mlatlas", "reference"]
    assert any(line.startswith("accuracy") and line.split()[1:] == ["0.9000", "0.9000"] for line in lines)
    assert any(line.startswith("fit time (s)") and line.split()[-2:] == ["0.5000", "-"] for line in lines)
    assert "agreement: 1.0000" in lines and "same: True" in lines and lines[-1] == "times: after a warm-up"


def test_figure_paths_stay_inside_the_folder(tmp_path):
    record = _record()
    with pytest.raises(ValueError, match="save the record"):
        record.figure_path("x")
    record.save(tmp_path)
    assert record.figure_path("a b/c", "zh") == os.path.join(str(tmp_path), "a_b_c.zh.png")


def test_array_method_names_a_missing_array():
    with pytest.raises(ValueError, match="has no array 'nope'"):
        _record().array("nope")


@pytest.mark.parametrize("name, value, error, message", [
    ("bad/name", [1], ValueError, "use letters, digits"),
    ("objects", np.array([{}, 1], dtype=object), TypeError, "cannot be stored in a record"),
])
def test_unstorable_arrays_are_refused(name, value, error, message):
    with pytest.raises(error, match=message):
        _record().add(**{name: value})


def test_non_scalar_metrics_are_refused(tmp_path):
    record = _record()
    record.rows[0].metrics["matrix"] = [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="is not a scalar"):
        record.save(tmp_path)


# ---------------------------------------------------------------------------- malformed records


def _saved(tmp_path) -> dict:
    _record().save(tmp_path)
    return json.loads((tmp_path / RECORD_FILE).read_text())


def _write(tmp_path, content: dict) -> None:
    (tmp_path / RECORD_FILE).write_text(json.dumps(content))


def _mutations():
    def set_(key, value):
        def apply(raw):
            raw[key] = value
        return apply

    def delete(key):
        def apply(raw):
            del raw[key]
        return apply

    def rows(apply_row):
        def apply(raw):
            apply_row(raw["rows"][0])
        return apply

    return [
        ("format", set_("format", "something-else"), "not a run record"),
        ("version", set_("version", 99), "record version 99 is not supported"),
        ("version bool", set_("version", True), "record version True is not supported"),
        ("missing key", delete("rows"), "record lacks 'rows'"),
        ("unknown key", set_("surprise", 1), "unknown field"),
        ("entry type", set_("entry", 5), "entry must be a string; got int 5"),
        ("negative seed", set_("seed", -1), "seed must be a non-negative integer"),
        ("rows type", set_("rows", {}), "rows must be a list"),
        ("row type", set_("rows", [3]), r"rows\[0\] must be an object"),
        ("metric value", rows(lambda r: r["metrics"].update(x=[1])), r"rows\[0\].metrics\['x'\] must be a number"),
        ("time type", rows(lambda r: r.update(fit_time="fast")), r"rows\[0\].fit_time must be a number or null"),
        ("comparison", set_("comparison", []), "comparison must be an object"),
        ("versions", set_("versions", {"numpy": 2}), r"versions\['numpy'\] must be a string"),
        ("figure escapes", set_("figures", ["../../etc/passwd.png"]), "figures are .png file names"),
        ("figure absolute", set_("figures", ["/tmp/x.png"]), "figures are .png file names"),
        ("figure not a name", set_("figures", [3]), "figures holds 3"),
        ("figures type", set_("figures", {"en": []}), "figures must be a list"),
        ("array spec", lambda raw: raw["arrays"].update(curve={"dtype": "<f8"}), r"arrays\['curve'\] must be"),
        ("array name", lambda raw: raw["arrays"].update({"../x": {"dtype": "<f8", "shape": [1]}}),
         "not a valid array name"),
        ("array missing from npz", lambda raw: raw["arrays"].update(extra={"dtype": "<f8", "shape": [1]}),
         r"does not match record.json; missing \['extra'\]"),
        ("array not listed", lambda raw: raw["arrays"].pop("scalar"), r"unexpected \['scalar'\]"),
        ("array shape", lambda raw: raw["arrays"].update({"curve.k": {"dtype": "<i8", "shape": [6]}}),
         "array 'curve.k' is"),
    ]


@pytest.mark.parametrize("case, mutate, message", _mutations(), ids=[m[0] for m in _mutations()])
def test_malformed_record_json_is_one_value_error(tmp_path, case, mutate, message):
    raw = _saved(tmp_path)
    mutate(raw)
    _write(tmp_path, raw)
    with pytest.raises(ValueError, match=message) as info:
        RunRecord.load(tmp_path)
    assert str(tmp_path) in str(info.value)


@pytest.mark.parametrize("content, message", [
    (b"", "not valid JSON"),
    (b"[1, 2]", "expected a JSON object; got list"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply|not valid JSON"),
])
def test_unreadable_record_json(tmp_path, content, message):
    _saved(tmp_path)
    (tmp_path / RECORD_FILE).write_bytes(content)
    with pytest.raises(ValueError, match=message):
        RunRecord.load(tmp_path)


def test_missing_files_and_folders(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        RunRecord.load(tmp_path / "nope")
    with pytest.raises(ValueError, match="record.json: no such file"):
        RunRecord.load(tmp_path)
    _saved(tmp_path)
    (tmp_path / ARRAYS_FILE).unlink()
    with pytest.raises(ValueError, match="arrays.npz: no such file"):
        RunRecord.load(tmp_path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "pickle"])
def test_damaged_arrays_are_one_value_error(tmp_path, damage):
    _saved(tmp_path)
    path = tmp_path / ARRAYS_FILE
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "garbage":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    else:
        # every listed array present, but one of them an object array that needs pickle to load
        with np.load(path) as archive:
            arrays = {name: archive[name] for name in archive.files}
        arrays["curve.k"] = np.array([{}, {}, {}, {}, {}], dtype=object)
        with zipfile.ZipFile(path, "w") as archive:
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w") as handle:
                    np.lib.format.write_array(handle, array, allow_pickle=True)
    with pytest.raises(ValueError, match="arrays.npz") as info:
        RunRecord.load(tmp_path)
    if damage == "pickle":
        assert "allow_pickle" in str(info.value) or "Object arrays" in str(info.value)
