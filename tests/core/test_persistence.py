import json
import os
import zipfile

import numpy as np
import pytest

from mlatlas import load_model, save_model
from mlatlas.persistence import FORMAT, FORMAT_VERSION


@pytest.fixture
def fitted():
    from mlatlas.supervised import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.3
    return LinearRegression().fit(X, y), X


def test_round_trip_keeps_params_and_predictions(fitted, tmp_path):
    model, X = fitted
    path = tmp_path / "m.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.coef_, model.coef_)


def test_file_is_npz_with_json_header_and_no_pickle(fitted, tmp_path):
    model, _ = fitted
    path = tmp_path / "m.npz"
    save_model(model, path)
    with np.load(path, allow_pickle=False) as archive:  # would raise on pickled objects
        header = json.loads(bytes(archive["__header__"]).decode())
    assert header["format"] == FORMAT and header["version"] == FORMAT_VERSION
    assert header["model"]["__object__"].startswith("mlatlas.supervised.linear:")


def test_nested_containers_and_special_values_round_trip(tmp_path):
    from mlatlas.supervised import LinearRegression

    model = LinearRegression()
    model.extra_ = {"labels": np.array(["yes", "no"], dtype=object), "inf": float("inf"),
                    "nested": [(1, 2.5), {"a": np.arange(3)}], 3: "int key"}
    model.coef_ = np.arange(4.0)
    path = tmp_path / "n.npz"
    save_model(model, path)
    back = load_model(path)
    assert back.extra_["labels"].tolist() == ["yes", "no"]
    assert back.extra_["inf"] == float("inf")
    assert back.extra_["nested"][0] == (1, 2.5)
    np.testing.assert_array_equal(back.extra_["nested"][1]["a"], np.arange(3))
    assert back.extra_[3] == "int key"


def test_refuses_foreign_objects_on_save(tmp_path):
    from sklearn.linear_model import LinearRegression as SkLinear

    with pytest.raises(TypeError, match="only saves mlatlas objects"):
        save_model(SkLinear(), tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def _forge(path, obj_name):
    header = {"format": FORMAT, "version": FORMAT_VERSION,
              "model": {"__object__": obj_name, "params": {"__dict__": {}}, "state": {"__dict__": {}}}}
    np.savez(path, __header__=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))


@pytest.mark.parametrize("name", ["os:system", "sklearn.linear_model:LinearRegression", "builtins:eval"])
def test_refuses_classes_outside_mlatlas(tmp_path, name):
    path = tmp_path / "forged.npz"
    _forge(path, name)
    with pytest.raises(ValueError, match="only classes inside the mlatlas package"):
        load_model(path)


def test_refuses_files_it_did_not_write(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, X=np.zeros(3))
    with pytest.raises(ValueError, match="no header"):
        load_model(plain)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not an mlatlas model file"):
        load_model(junk)
    with pytest.raises(ValueError, match="no such file"):
        load_model(tmp_path / "missing.npz")
    other = tmp_path / "other.npz"
    np.savez(other, __header__=np.frombuffer(json.dumps({"format": "x"}).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="format 'x'"):
        load_model(other)
    future = tmp_path / "future.npz"
    np.savez(future, __header__=np.frombuffer(
        json.dumps({"format": FORMAT, "version": 99}).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="version 99 is not supported"):
        load_model(future)


def test_interrupted_save_leaves_old_file_intact(fitted, tmp_path, monkeypatch):
    model, X = fitted
    path = tmp_path / "m.npz"
    save_model(model, path)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", explode)
    with pytest.raises(KeyboardInterrupt):
        save_model(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"], "no temporary file is left behind"
    assert zipfile.is_zipfile(path)


def test_history_keeps_its_type(tmp_path):
    from mlatlas.base import History
    from mlatlas.supervised import LinearRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    model = LinearRegression(solver="gd", max_iter=50).fit(X, X @ [1.0, 2.0])
    assert isinstance(model.history_, History)
    save_model(model, tmp_path / "h.npz")
    back = load_model(tmp_path / "h.npz")
    assert isinstance(back.history_, History)
    np.testing.assert_array_equal(back.history_.column("loss"), model.history_.column("loss"))
