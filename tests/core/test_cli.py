import dataclasses
import errno
import json
import os

import numpy as np
import pytest

from mlatlas import atlas
from mlatlas.cli import main, parse_value


def test_list_prints_every_entry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["name", "family", "default", "dataset", "reference", "notes"]
    for name in atlas.names():
        assert name in out


def test_run_writes_the_record_and_figures(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code = main(["run", "linear-regression", "--seed", "1", "--out", str(out_dir)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "mlatlas" in printed and "fit time" in printed
    metrics = json.loads((out_dir / "record.json").read_text())
    assert metrics["entry"] == "linear-regression" and metrics["seed"] == 1
    ours, ref = metrics["rows"]
    assert ours["metrics"]["r2"] == pytest.approx(ref["metrics"]["r2"], abs=1e-8)
    pngs = [f for f in os.listdir(out_dir) if f.endswith(".png")]
    assert pngs and sorted(pngs) == sorted(metrics["figures"])
    assert "record.json, arrays.npz and 2 figure(s)" in printed


def test_run_with_set_and_dataset(tmp_path):
    out_dir = tmp_path / "gd"
    code = main(["run", "linear-regression", "--dataset", "linear", "--set", "solver=gd",
                 "--set", "max_iter=2000", "--out", str(out_dir), "--no-figures"])
    assert code == 0
    metrics = json.loads((out_dir / "record.json").read_text())
    assert metrics["params"]["solver"] == "gd" and metrics["dataset"] == "linear"
    assert not [f for f in os.listdir(out_dir) if f.endswith(".png")]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "no-such-algorithm"], "unknown algorithm 'no-such-algorithm'; known:"),
        (["run", "linear-regression", "--set", "nonsense=1"], "has no parameter 'nonsense'; allowed:"),
        (["run", "linear-regression", "--set", "solver=magic"], "solver must be one of"),
        (["run", "linear-regression", "--set", "novalue"], "--set expects key=value"),
        (["run", "linear-regression", "--dataset", "iris"], "does not run on dataset 'iris'; allowed:"),
        (["demo", "--only", "no-such-algorithm"], "unknown algorithm"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys, tmp_path):
    code = main(argv + (["--out", str(tmp_path / "o")] if argv[0] == "run" else []))
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_argparse_errors_exit_2(capsys):
    assert main(["frobnicate"]) == 2
    assert main(["run"]) == 2


def test_parse_value():
    assert parse_value("3") == 3
    assert parse_value("0.5") == 0.5
    assert parse_value("inf") == float("inf")
    assert parse_value("None") is None
    assert parse_value("true") is True
    assert parse_value("(10, 5)") == (10, 5)
    assert parse_value("rbf") == "rbf"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_demo_writes_summary(tmp_path, capsys, jobs):
    names = ["linear-regression", "logistic-regression"]
    code = main(["demo", "--out", str(tmp_path), "--only", *names, "--no-figures", "--jobs", jobs])
    assert code == 0
    rows = json.loads((tmp_path / "summary.json").read_text())
    assert [r["name"] for r in rows] == names
    assert all(r["status"] == "ok" and r["ours"] is not None for r in rows)
    table = (tmp_path / "summary.md").read_text()
    assert "| linear-regression |" in table


# ---------------------------------------------------------------------------
# Output folder: checked and created before any work; every failure is one line
# ---------------------------------------------------------------------------


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("mlatlas: error: ") and "Traceback" not in err
    return err


@pytest.fixture
def no_fitting(monkeypatch):
    """Make any run fail loudly, to show that a command stopped before the work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the run started although --out is unusable")
    monkeypatch.setattr(atlas, "run_entry", refuse)


def test_out_under_a_file_exits_2_before_fitting(tmp_path, capsys, no_fitting):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["run", "linear-regression", "--out", str(blocker / "sub")]) == 2
    assert "cannot write to --out" in _one_line_error(capsys)


def test_out_that_is_a_file_exits_2(tmp_path, capsys, no_fitting):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["run", "linear-regression", "--out", str(blocker)]) == 2
    assert "is a file, not a folder" in _one_line_error(capsys)
    assert blocker.read_text() == "x"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_out_under_proc_exits_2(capsys, no_fitting):
    assert main(["run", "linear-regression", "--out", "/proc/mlatlas-output"]) == 2
    assert "/proc/mlatlas-output" in _one_line_error(capsys)


def test_read_only_out_exits_2(tmp_path, capsys, monkeypatch, no_fitting):
    # root writes into read-only folders, so the refusal is simulated where it happens
    import tempfile

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", kwargs.get("dir"))
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
    assert main(["run", "linear-regression", "--out", str(tmp_path / "ro")]) == 2
    assert "Permission denied" in _one_line_error(capsys)


def test_demo_checks_its_out_first(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["demo", "--out", str(blocker / "sub"), "--only", "linear-regression"]) == 2
    assert "cannot write to --out" in _one_line_error(capsys)


def test_write_failure_after_the_run_exits_2(tmp_path, capsys, monkeypatch):
    from mlatlas.atlas.record import RunRecord

    def disk_full(self, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(RunRecord, "save", disk_full)
    code = main(["run", "linear-regression", "--out", str(tmp_path / "o"), "--no-figures"])
    assert code == 2
    assert "No space left on device" in _one_line_error(capsys)


# ---------------------------------------------------------------------------
# Timings, seeds, datasets, parameter values
# ---------------------------------------------------------------------------


def test_table_says_times_exclude_the_warm_up(tmp_path, capsys):
    assert main(["run", "knn-regressor", "--out", str(tmp_path), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "predict time" in printed
    assert "untimed" in printed and "numba compilation" in printed


def test_warm_up_fits_a_slice_holding_every_class():
    from mlatlas.atlas.runner import warm_up

    seen = {}

    class Recorder:
        def fit(self, X, y):
            seen["fit"] = (X.shape, set(np.unique(y)))
            return self

        def predict(self, X):
            seen["predict"] = X.shape
            return np.zeros(X.shape[0])

    X = np.arange(400.0).reshape(200, 2)
    y = np.r_[np.zeros(199, dtype=int), 7]  # the rare class sits in the last row
    assert warm_up(Recorder, X, y, rows=10) is True
    assert seen["fit"] == ((11, 2), {0, 7}) and seen["predict"] == (11, 2)


def test_warm_up_ignores_a_failure_on_its_slice():
    from mlatlas.atlas.runner import warm_up

    class Fails:
        def fit(self, X, y=None):
            raise ValueError("n_neighbors > n_samples")

    assert warm_up(Fails, np.zeros((5, 2))) is False


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_bad_seed_has_our_message(seed, tmp_path, capsys, no_fitting):
    assert main(["run", "linear-regression", "--seed", seed, "--out", str(tmp_path)]) == 2
    err = _one_line_error(capsys)
    assert f"--seed must be an integer in [0, 4294967295]; got {seed}." in err
    assert "train_test_split" not in err


def test_run_entry_checks_its_seed():
    with pytest.raises(ValueError, match="seed must be an integer"):
        atlas.run_entry(atlas.get("linear-regression"), seed=-1)


def test_dataset_on_an_entry_that_takes_none_exits_2(tmp_path, capsys, no_fitting):
    assert main(["run", "worked-example", "--dataset", "iris", "--out", str(tmp_path)]) == 2
    assert "worked-example takes no --dataset" in _one_line_error(capsys)


def test_parse_value_reads_nan_as_a_float():
    for text in ("nan", "NaN", "-nan"):
        value = parse_value(text)
        assert isinstance(value, float) and np.isnan(value)


def test_set_nan_is_reported_as_a_number(tmp_path, capsys):
    code = main(["run", "logistic-regression", "--set", "C=nan", "--out", str(tmp_path), "--no-figures"])
    assert code == 2
    err = _one_line_error(capsys)
    assert "C" in err and "nan" in err.lower()
    assert "got str" not in err


# ---------------------------------------------------------------------------
# --data FILE [--target COLUMN]
# ---------------------------------------------------------------------------


def _write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def blobs_csv(tmp_path):
    """Two separated groups: features a, b; text labels; a numeric target."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        group = i % 2
        a, b = rng.normal(4.0 * group, 0.5, size=2)
        rows.append((round(a, 4), round(b, 4), "left" if group == 0 else "right", round(a + 2 * b, 4)))
    return _write_csv(tmp_path / "groups.csv", ["a", "b", "side", "score"], rows)


def test_data_runs_a_classifier_on_a_csv(blobs_csv, tmp_path):
    out = tmp_path / "knn"
    code = main(["run", "knn-classifier", "--data", str(blobs_csv), "--target", "side", "--out", str(out),
                 "--no-figures"])
    assert code == 0
    saved = json.loads((out / "record.json").read_text())
    assert saved["dataset"] == "groups.csv"
    assert saved["rows"][0]["metrics"]["accuracy"] == 1.0  # the groups are 8 standard deviations apart


def test_data_runs_a_regressor_with_a_target_by_index(blobs_csv, tmp_path):
    out = tmp_path / "lin"
    # column 3 is "score" = a + 2 b exactly, so least squares on (a, b, ...) fits it; drop "side"
    numeric = _write_csv(tmp_path / "numeric.csv", ["a", "b", "score"],
                         [row.split(",")[:2] + [row.split(",")[3]]
                          for row in blobs_csv.read_text().splitlines()[1:]])
    code = main(["run", "linear-regression", "--data", str(numeric), "--target", "2", "--out", str(out),
                 "--no-figures"])
    assert code == 0
    saved = json.loads((out / "record.json").read_text())
    assert saved["rows"][0]["metrics"]["r2"] == pytest.approx(1.0, abs=1e-8)


def test_data_runs_clustering_on_every_column(tmp_path):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 0.3, (30, 2)), rng.normal(5, 0.3, (30, 2))])
    path = tmp_path / "points.npz"
    np.savez(path, X=X, y=np.repeat([0, 1], 30))
    out = tmp_path / "km"
    code = main(["run", "kmeans", "--data", str(path), "--set", "n_clusters=2", "--out", str(out), "--no-figures"])
    assert code == 0
    saved = json.loads((out / "record.json").read_text())
    assert saved["rows"][0]["metrics"]["adjusted_rand"] == 1.0


def test_data_csv_without_target_for_clustering(tmp_path):
    path = _write_csv(tmp_path / "xy.csv", ["x", "y"],
                      [(0.0, 0.1), (0.1, 0.0), (0.05, 0.05), (5.0, 5.1), (5.1, 5.0), (5.05, 5.05)])
    out = tmp_path / "km"
    code = main(["run", "kmeans", "--data", str(path), "--set", "n_clusters=2", "--set", "n_init=1",
                 "--out", str(out), "--no-figures"])
    assert code == 0
    saved = json.loads((out / "record.json").read_text())
    assert saved["rows"][0]["metrics"]["inertia"] == pytest.approx(4 * 0.005, rel=1e-9)  # (0.05² + 0.05²) for 4 of the 6 points


@pytest.mark.parametrize("content, argv, message", [
    (None, ["knn-classifier"], "no such file"),
    ("a,b,c\n1,2,0\n3,4\n", ["knn-classifier"], "line 3 has 2 fields, expected 3"),
    ("a,b,c\n1,x,0\n3,4,1\n", ["knn-classifier"], "column 'b' holds a non-numeric value 'x'"),
    ("a,b,c\n1,2,0\n3,4,1\n", ["knn-classifier", "--target", "zz"], "target column 'zz' not found"),
    ("a,b,c\n1,2,0.5\n3,4,1.5\n", ["knn-classifier"], "needs class labels"),
    ("a,b,c\n1,2,cat\n3,4,dog\n", ["linear-regression"], "needs a numeric target"),
    ("\xff\xfe binary", ["knn-classifier"], "not a UTF-8 text file"),
])
def test_bad_data_files_exit_2_with_the_loaders_message(content, argv, message, tmp_path, capsys, no_fitting):
    path = tmp_path / "table.csv"
    if content is not None:
        path.write_bytes(content.encode("latin-1"))
    name, *rest = argv
    code = main(["run", name, "--data", str(path), *rest, "--out", str(tmp_path / "o")])
    assert code == 2
    err = _one_line_error(capsys)
    assert message in err
    if content is not None:
        assert str(path) in err or "table.csv" in err


@pytest.mark.parametrize("argv, message", [
    (["run", "ar", "--data", "FILE"], "ar is a timeseries entry; --data runs classification, regression"),
    (["run", "mle", "--data", "FILE"], "--data runs classification, regression, clustering entries only"),
    (["run", "knn-classifier", "--data", "FILE", "--dataset", "iris"], "not both"),
    (["run", "knn-classifier", "--target", "c"], "give --data too"),
])
def test_data_on_the_wrong_entry_or_with_other_options_exits_2(argv, message, blobs_csv, tmp_path, capsys,
                                                               no_fitting):
    argv = [str(blobs_csv) if a == "FILE" else a for a in argv]
    assert main(argv + ["--out", str(tmp_path / "o")]) == 2
    assert message in _one_line_error(capsys)


# ---------------------------------------------------------------------------- draw, --lang, configs


def test_subcommands_come_from_the_table():
    from mlatlas.cli import COMMANDS, build_parser

    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices
    assert list(choices) == [c.name for c in COMMANDS] == ["list", "run", "draw", "demo", "report", "train",
                                                           "sample"]


def test_draw_redraws_in_chinese_from_the_record(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "knn-regressor", "--out", str(out)]) == 0
    english = (out / "knn-regression-vs-k.png").read_bytes()
    assert main(["draw", str(out), "--lang", "zh"]) == 0
    assert "drew 1 figure(s) of knn-regressor" in capsys.readouterr().out
    assert (out / "knn-regression-vs-k.png").read_bytes() == english  # English left as it was
    record = json.loads((out / "record.json").read_text())
    assert record["figures"] == ["knn-regression-vs-k.png", "knn-regression-vs-k.zh.png"]
    assert os.path.getsize(out / "knn-regression-vs-k.zh.png") > 1000


def test_run_in_both_languages(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "worked-example", "--lang", "both", "--out", str(out)]) == 0
    assert sorted(f for f in os.listdir(out) if f.endswith(".png")) == ["worked-example.png", "worked-example.zh.png"]


@pytest.mark.parametrize("setup, message", [
    ("missing", "no such folder"),
    ("empty", "record.json: no such file"),
    ("broken", "record.json: not valid JSON"),
    ("unknown-entry", "unknown algorithm 'no-such-entry'"),
])
def test_draw_refuses_what_is_not_a_record(setup, message, tmp_path, capsys):
    folder = tmp_path / "run"
    if setup != "missing":
        folder.mkdir()
    if setup == "broken":
        (folder / "record.json").write_text("{")
    if setup == "unknown-entry":
        assert main(["run", "linear-regression", "--out", str(folder), "--no-figures"]) == 0
        capsys.readouterr()
        raw = json.loads((folder / "record.json").read_text())
        raw["entry"] = "no-such-entry"
        (folder / "record.json").write_text(json.dumps(raw))
    assert main(["draw", str(folder)]) == 2
    assert message in _one_line_error(capsys)


def test_set_is_checked_against_a_dataclass_config(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "worked-example", "--set", "learning_rate=0.5", "--out", str(out), "--no-figures"]) == 0
    record = json.loads((out / "record.json").read_text())
    assert record["params"] == {"learning_rate": 0.5}
    assert [row["model"] for row in record["rows"]][0] == "mlatlas.nn"
    assert main(["run", "worked-example", "--set", "learning_rate=fast", "--out", str(out)]) == 2
    assert "learning_rate must be a real number; got str 'fast'" in _one_line_error(capsys)
    assert main(["run", "worked-example", "--set", "epochs=3", "--out", str(out)]) == 2
    assert "worked-example has no parameter 'epochs'; allowed: learning_rate." in _one_line_error(capsys)


def test_demo_reports_a_failing_entry_and_goes_on(tmp_path, capsys, monkeypatch):
    from mlatlas.atlas import registry

    entry = registry.get("knn-regressor")

    def broken(ctx):
        raise RuntimeError("this entry is broken")
    monkeypatch.setitem(registry._REGISTRY, "knn-regressor", dataclasses.replace(entry, run=broken))
    code = main(["demo", "--out", str(tmp_path), "--only", "knn-regressor", "linear-regression",
                 "--no-figures", "--jobs", "1"])
    assert code == 1
    rows = {r["name"]: r for r in json.loads((tmp_path / "summary.json").read_text())}
    assert rows["knn-regressor"]["status"] == "error" and "this entry is broken" in rows["knn-regressor"]["error"]
    assert rows["linear-regression"]["status"] == "ok"
    assert "RuntimeError: this entry is broken" in (tmp_path / "knn-regressor.error.txt").read_text()


def test_demo_rows_show_the_runs_own_dataset(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--only", "mle", "--no-figures", "--jobs", "1"]) == 0
    (row,) = json.loads((tmp_path / "summary.json").read_text())
    assert row["dataset"] == "nile" and row["metric"] == "nile-normal.mu"
    nile = __import__("mlatlas.datasets", fromlist=["load"]).load("nile").y
    assert row["ours"] == pytest.approx(float(np.mean(nile)), rel=1e-12)


def test_bad_jobs_exit_2(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--jobs", "0"]) == 2
    assert "--jobs must be an integer >= 1; got 0." in _one_line_error(capsys)
