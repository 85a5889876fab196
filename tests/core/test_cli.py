import json
import os

import pytest

from mlatlas import atlas
from mlatlas.cli import main, parse_value


def test_list_prints_every_entry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["name", "family", "default", "dataset", "reference"]
    for name in atlas.names():
        assert name in out


def test_run_writes_metrics_and_figures(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code = main(["run", "linear-regression", "--seed", "1", "--out", str(out_dir)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "mlatlas" in printed and "fit time" in printed
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["entry"] == "linear-regression" and metrics["seed"] == 1
    ours, ref = metrics["rows"]
    assert ours["metrics"]["r2"] == pytest.approx(ref["metrics"]["r2"], abs=1e-8)
    pngs = [f for f in os.listdir(out_dir) if f.endswith(".png")]
    assert pngs and sorted(pngs) == sorted(os.path.basename(p) for p in metrics["figures"])


def test_run_with_set_and_dataset(tmp_path):
    out_dir = tmp_path / "gd"
    code = main(["run", "linear-regression", "--dataset", "linear", "--set", "solver=gd",
                 "--set", "max_iter=2000", "--out", str(out_dir), "--no-figures"])
    assert code == 0
    metrics = json.loads((out_dir / "metrics.json").read_text())
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


def test_demo_writes_summary(tmp_path, capsys):
    names = ["linear-regression", "logistic-regression"]
    code = main(["demo", "--out", str(tmp_path), "--only", *names, "--no-figures"])
    assert code == 0
    rows = json.loads((tmp_path / "summary.json").read_text())
    assert [r["name"] for r in rows] == names
    assert all(r["status"] == "ok" and r["ours"] is not None for r in rows)
    table = (tmp_path / "summary.md").read_text()
    assert "| linear-regression |" in table
