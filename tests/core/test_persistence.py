"""save_model / load_model: round trips, the class allow-list, and one ValueError for every bad file."""

import functools
import io
import json
import os
import re
import subprocess
import zipfile

import numpy as np
import pytest

from mlatlas import load_model, save_model
from mlatlas.persistence import (FORMAT, FORMAT_VERSION, MAX_DEPTH, READABLE_VERSIONS, ModelFileError,
                                 loadable_class, loadable_names, public_name)


@pytest.fixture
def fitted():
    from mlatlas.supervised import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.3
    return LinearRegression().fit(X, y), X


@pytest.fixture(scope="module")
def forest():
    from mlatlas.supervised import RandomForestClassifier

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    return RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y), X


def _contents(path):
    """(header, arrays) of a saved model."""
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(bytes(archive["__header__"]).decode())
        arrays = {k: archive[k] for k in archive.files if k != "__header__"}
    return header, arrays


def _header_bytes(header):
    if isinstance(header, bytes):
        return np.frombuffer(header, dtype=np.uint8)
    text = header if isinstance(header, str) else json.dumps(header)
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _write(path, header, arrays=None):
    np.savez(path, __header__=_header_bytes(header), **(arrays or {}))
    return path


def _forge(path, obj_name, params=None, version=FORMAT_VERSION):
    model = {"__object__": obj_name, "params": {"__dict__": params or {}}, "state": {"__dict__": {}}}
    return _write(path, {"format": FORMAT, "version": version, "model": model})


def _raises_for(path, match):
    """load_model(path) raises ModelFileError (a ValueError) naming the path and matching ``match``."""
    with pytest.raises(ValueError) as info:
        load_model(path)
    assert isinstance(info.value, ModelFileError)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert re.search(match, message), message
    return message


# --------------------------------------------------------------------------- round trips
def test_round_trip_keeps_params_and_predictions(fitted, tmp_path):
    model, X = fitted
    path = tmp_path / "m.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.coef_, model.coef_)


def test_file_is_npz_with_json_header_public_names_and_no_pickle(forest, tmp_path):
    model, _ = forest
    path = tmp_path / "m.npz"
    save_model(model, path)
    header, arrays = _contents(path)  # allow_pickle=False: would raise on pickled objects
    assert header["format"] == FORMAT and header["version"] == FORMAT_VERSION == 2
    assert header["model"]["__object__"] == "mlatlas.supervised.RandomForestClassifier"
    trees = header["model"]["state"]["__dict__"]["estimators_"]
    assert [t["__object__"] for t in trees] == ["mlatlas.supervised.DecisionTreeClassifier"] * 3
    assert all(a.dtype.kind in "biuf" for a in arrays.values())
    with zipfile.ZipFile(path) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}


def test_nested_containers_and_special_values_round_trip(tmp_path):
    from mlatlas.supervised import LinearRegression

    model = LinearRegression()
    model.extra_ = {"labels": np.array(["yes", "no"], dtype=object), "inf": float("inf"),
                    "nested": [(1, 2.5), {"a": np.arange(3)}], 3: "int key", (1, "b"): None,
                    "nan": float("nan"), "words": np.array([["ab", "c"]]), "fortran": np.asfortranarray(
                        np.arange(6.0).reshape(2, 3)), "empty": np.zeros((0, 4)), "scalar": np.array(2.5)}
    model.coef_ = np.arange(4.0)
    path = tmp_path / "n.npz"
    save_model(model, path)
    back = load_model(path)
    assert back.extra_["labels"].tolist() == ["yes", "no"] and back.extra_["labels"].dtype == object
    assert back.extra_["inf"] == float("inf") and np.isnan(back.extra_["nan"])
    assert back.extra_["nested"][0] == (1, 2.5)
    np.testing.assert_array_equal(back.extra_["nested"][1]["a"], np.arange(3))
    assert back.extra_[3] == "int key" and back.extra_[(1, "b")] is None
    assert back.extra_["words"].tolist() == [["ab", "c"]] and back.extra_["words"].dtype.kind == "U"
    np.testing.assert_array_equal(back.extra_["fortran"], model.extra_["fortran"])
    assert back.extra_["fortran"].flags.f_contiguous
    assert back.extra_["empty"].shape == (0, 4) and back.extra_["scalar"].shape == ()
    back.coef_[0] = 7.0  # loaded arrays are ordinary writeable arrays


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


# --------------------------------------------------------------------------- version 1 files
_V1 = {"mlatlas.supervised.RandomForestClassifier": "mlatlas.supervised.forest:RandomForestClassifier",
       "mlatlas.supervised.DecisionTreeClassifier": "mlatlas.supervised.tree:DecisionTreeClassifier"}


def _as_version_1(header):
    """The header as version 1 wrote it: ``module:qualname`` names."""
    def rename(value):
        if isinstance(value, dict):
            return {k: (_V1[v] if k == "__object__" else rename(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value
    return {**rename(header), "version": 1}


def test_reads_version_1_files(forest, tmp_path):
    model, X = forest
    save_model(model, tmp_path / "v2.npz")
    header, arrays = _contents(tmp_path / "v2.npz")
    old = _write(tmp_path / "v1.npz", _as_version_1(header), arrays)
    assert READABLE_VERSIONS == (1, 2)
    back = load_model(old)
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    assert [type(t) for t in back.estimators_] == [type(t) for t in model.estimators_]


def test_version_1_names_only_in_version_1_and_only_from_its_table(tmp_path):
    _raises_for(_forge(tmp_path / "a.npz", "mlatlas.supervised.linear:LinearRegression"),
                "is not a class mlatlas loads")
    _raises_for(_forge(tmp_path / "b.npz", "mlatlas.supervised.LinearRegression", version=1),
                "version-1 file may only name")
    # a qualname that was never written (the module is not imported to look it up)
    _raises_for(_forge(tmp_path / "c.npz", "mlatlas.supervised.linear:_LogisticObjective", version=1),
                "version-1 file may only name")
    assert isinstance(load_model(_forge(tmp_path / "d.npz", "mlatlas.supervised.linear:LinearRegression",
                                        version=1)), loadable_class("mlatlas.supervised.LinearRegression"))


# --------------------------------------------------------------------------- the allow-list
def test_loadable_names_are_the_exported_estimators():
    from sklearn.base import BaseEstimator

    from mlatlas import nn, probability, supervised, timeseries, unsupervised
    from mlatlas.generative import boltzmann

    expected = set()
    for short, package in [("supervised", supervised), ("unsupervised", unsupervised),
                           ("probability", probability), ("timeseries", timeseries), ("nn", nn),
                           ("generative.boltzmann", boltzmann)]:
        for attr in package.__all__:
            obj = getattr(package, attr)
            if isinstance(obj, type) and issubclass(obj, BaseEstimator):
                expected.add(f"mlatlas.{short}.{attr}")
    names = loadable_names()
    assert set(names) == expected and len(names) == 22
    for name in names:
        cls = loadable_class(name)
        assert public_name(cls) == name
    for outside in ("mlatlas.nn.Sequential", "mlatlas.nn.Linear", "mlatlas.unsupervised.EmptyClusterWarning",
                    "mlatlas.unsupervised.kmeans_plusplus", "mlatlas.probability.MLEResult",
                    "mlatlas.nn.NonFiniteLossError"):
        assert outside not in names


@pytest.mark.parametrize("name", [
    "mlatlas.nn.Sequential", "mlatlas.probability.mle", "mlatlas.supervised.linear",
    "mlatlas.supervised.np", "mlatlas.persistence.os.system", "mlatlas.supervised.linear.LinearRegression",
    "mlatlas.supervised.__getattr__", "mlatlas.supervised.__class__", "os.system", "LinearRegression",
    "mlatlas.supervised.LinearRegression.__init__", "", 5, None, ["mlatlas.supervised.SVC"],
])
def test_loadable_class_refuses_everything_else(name):
    with pytest.raises(ValueError, match="not a class mlatlas loads|not a model class|must be a str"):
        loadable_class(name)


class _Spy:
    """Stands in for a dangerous callable and records every call."""

    calls: list = []

    def __init__(self, *args, **kwargs):
        _Spy.calls.append((args, kwargs))


ATTACKS = [
    # the routes of the issue: classes reachable through an mlatlas module's imports
    ("mlatlas.persistence:np.f2py.subprocess.Popen", 1),
    ("mlatlas.supervised.linear:np.f2py.subprocess.Popen", 1),
    ("mlatlas.persistence:importlib.metadata.zipfile.ZipFile", 1),
    ("mlatlas.persistence:zipfile.ZipFile", 1),
    ("mlatlas.persistence:os.system", 1),
    ("mlatlas:persistence.os.system", 1),
    ("mlatlas.persistence.np.f2py.subprocess.Popen", 2),
    ("mlatlas.persistence.zipfile.ZipFile", 2),
    ("mlatlas.supervised.np.f2py.subprocess.Popen", 2),
    ("mlatlas.persistence.importlib.metadata.zipfile.ZipFile", 2),
    ("os:system", 1), ("builtins:eval", 1), ("sklearn.linear_model:LinearRegression", 1),
    ("subprocess.Popen", 2), ("builtins.eval", 2), ("mlatlas.nn.module:Sequential", 1),
    ("mlatlas.nn.Sequential", 2),
]


@pytest.mark.parametrize("name, version", ATTACKS, ids=[f"v{v}-{n}" for n, v in ATTACKS])
def test_hostile_class_names_are_refused_and_have_no_effect(name, version, tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    marker = tmp_path / "ran"
    _Spy.calls = []
    monkeypatch.setattr(subprocess, "Popen", _Spy)
    monkeypatch.setattr(os, "system", _Spy)
    # arguments each target would need to do its harm
    if name.endswith("Popen"):
        params = {"args": ["touch", str(marker)]}
    elif name.endswith("ZipFile"):
        params = {"file": str(victim), "mode": "w"}
    else:
        params = {}
    path = _forge(tmp_path / "forged.npz", name, params, version=version)
    _raises_for(path, "refuses to load")
    assert _Spy.calls == [], "no process was started"
    assert not marker.exists()
    assert victim.read_text() == "keep me", "the unrelated file is intact"


def test_hostile_name_nested_in_a_forest_is_refused(forest, tmp_path, monkeypatch):
    model, _ = forest
    save_model(model, tmp_path / "f.npz")
    header, arrays = _contents(tmp_path / "f.npz")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    header["model"]["state"]["__dict__"]["estimators_"][1] = {
        "__object__": "mlatlas.persistence.zipfile.ZipFile",
        "params": {"__dict__": {"file": str(victim), "mode": "w"}}, "state": {"__dict__": {}}}
    _raises_for(_write(tmp_path / "bad.npz", header, arrays),
                r"model\.state\.__dict__\['estimators_'\]\[1\]\.__object__: refuses to load")
    assert victim.read_text() == "keep me"


def test_pickled_array_entry_is_refused_without_unpickling(fitted, tmp_path, monkeypatch):
    model, _ = fitted
    save_model(model, tmp_path / "m.npz")
    header, arrays = _contents(tmp_path / "m.npz")
    _Spy.calls = []
    monkeypatch.setattr(os, "system", _Spy)

    class Payload:
        def __reduce__(self):
            return os.system, ("echo pwned",)

    evil = np.empty(1, dtype=object)
    evil[0] = Payload()
    buffer = io.BytesIO()
    np.save(buffer, evil, allow_pickle=True)
    path = tmp_path / "pickled.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__header__.npy", _npy(_header_bytes(header)))
        for key, value in arrays.items():
            archive.writestr(f"{key}.npy", buffer.getvalue() if key == "a0" else _npy(value))
    _raises_for(path, r"entry 'a0.npy': arrays of dtype object are not read")
    assert _Spy.calls == []


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_save_refuses_what_load_would_refuse(tmp_path):
    from sklearn.linear_model import LinearRegression as SkLinear

    from mlatlas.nn import Linear, Sequential
    from mlatlas.supervised import LinearRegression

    class Mine(LinearRegression):
        pass

    with pytest.raises(TypeError, match="only saves mlatlas objects.*sklearn"):
        save_model(SkLinear(), tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"mlatlas\.nn\.module\.Sequential.*state_dict"):
        save_model(Sequential(Linear(2, 2)), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="only saves mlatlas objects"):
        save_model(Mine(), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="only saves mlatlas objects"):
        save_model(object(), tmp_path / "x.npz")
    nested = LinearRegression()
    nested.helper_ = SkLinear()
    with pytest.raises(TypeError, match="only saves mlatlas objects"):
        save_model(nested, tmp_path / "x.npz")
    odd = LinearRegression()
    odd.when_ = np.array(["2020-01-01"], dtype="datetime64[D]")
    with pytest.raises(TypeError, match="dtype datetime64"):
        save_model(odd, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_save_refuses_a_fitted_name_that_shadows_the_class(tmp_path, monkeypatch):
    from mlatlas.supervised import LinearRegression

    monkeypatch.setattr(LinearRegression, "shadow_", property(lambda self: 1), raising=False)
    model = LinearRegression()
    model.__dict__["shadow_"] = 2
    with pytest.raises(TypeError, match="'shadow_' is not a name a model file may set"):
        save_model(model, tmp_path / "x.npz")


# --------------------------------------------------------------------------- parameters and state
def _linear_file(tmp_path, name, params=None, state=None, cls="mlatlas.supervised.LinearRegression"):
    model = {"__object__": cls, "params": {"__dict__": params or {}}, "state": {"__dict__": state or {}}}
    return _write(tmp_path / name, {"format": FORMAT, "version": FORMAT_VERSION, "model": model})


def test_unknown_constructor_parameter(tmp_path):
    _raises_for(_linear_file(tmp_path, "p.npz", {"fit_intercept": False, "bogus": 1}),
                r"model\.params: mlatlas\.supervised\.LinearRegression has no parameter 'bogus'")
    _raises_for(_linear_file(tmp_path, "s.npz", {"self": 1}), "has no parameter 'self'")
    _raises_for(_linear_file(tmp_path, "m.npz", {"hidden": 1}, cls="mlatlas.nn.MLPClassifier"),
                "MLPClassifier has no parameter 'hidden'")
    loaded = load_model(_linear_file(tmp_path, "ok.npz", {"fit_intercept": False}))
    assert loaded.fit_intercept is False


@pytest.mark.parametrize("name", ["predict", "fit", "get_params", "__class__", "__dict__", "_private_",
                                  "coef", "1coef_", "coef-_", "__init__", "_repr_html_", "n features_"])
@pytest.mark.parametrize("cls", ["mlatlas.supervised.LinearRegression", "mlatlas.nn.MLPClassifier"])
def test_state_names_the_class_cannot_hold(tmp_path, name, cls):
    _raises_for(_linear_file(tmp_path, "s.npz", state={name: 1}, cls=cls),
                rf"model\.state: .* is not a fitted attribute {re.escape(cls)} may hold")


def test_state_may_not_shadow_a_class_attribute(tmp_path, monkeypatch):
    from mlatlas.supervised import LinearRegression

    monkeypatch.setattr(LinearRegression, "shadow_", property(lambda self: 1), raising=False)
    _raises_for(_linear_file(tmp_path, "s.npz", state={"shadow_": 2}), "'shadow_' is not a fitted attribute")
    monkeypatch.undo()
    assert load_model(_linear_file(tmp_path, "t.npz", state={"shadow_": 2, "X_fit_": 1})).shadow_ == 2


def test_a_constructor_that_rejects_a_value_gives_a_value_error(tmp_path, monkeypatch):
    from mlatlas.supervised import LinearRegression

    original = LinearRegression.__init__

    @functools.wraps(original)
    def strict_init(self, *args, **kwargs):
        if kwargs.get("max_iter") == -1:
            raise TypeError("max_iter must be positive")
        original(self, *args, **kwargs)

    monkeypatch.setattr(LinearRegression, "__init__", strict_init)
    _raises_for(_linear_file(tmp_path, "c.npz", {"max_iter": -1}),
                r"model: mlatlas\.supervised\.LinearRegression could not be built .*TypeError: max_iter")


# --------------------------------------------------------------------------- malformed files
def _valid(tmp_path, fitted):
    model, _ = fitted
    save_model(model, tmp_path / "valid.npz")
    return _contents(tmp_path / "valid.npz")


def _edit(edit):
    """A case that edits the JSON header of a valid file."""
    def make(tmp_path, header, arrays):
        edited = edit(header)
        return _write(tmp_path / "bad.npz", header if edited is None else edited, arrays)
    return make


def _state(header):
    return header["model"]["state"]["__dict__"]


def _set_state(key, value):
    def edit(header):
        _state(header)[key] = value
    return _edit(edit)


def _deep(levels):
    value = "x"
    for _ in range(levels):
        value = [value]
    return value


def _truncated(fraction):
    def make(tmp_path, header, arrays):
        data = _write(tmp_path / "ok.npz", header, arrays).read_bytes()
        path = tmp_path / "bad.npz"
        path.write_bytes(data[: int(len(data) * fraction)])
        return path
    return make


def _raw_header(text):
    return lambda tmp_path, header, arrays: _write(tmp_path / "bad.npz", text, arrays)


def _replace_entry(key, blob):
    def make(tmp_path, header, arrays):
        path = tmp_path / "bad.npz"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("__header__.npy", _npy(_header_bytes(header)))
            for name, value in arrays.items():
                archive.writestr(f"{name}.npy", blob if name == key else _npy(value))
        return path
    return make


def _npy_with_header(header_text, data=b""):
    """A .npy entry with a hand-written header dict."""
    text = header_text.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


def _zip_variant(kind):
    def make(tmp_path, header, arrays):
        path = tmp_path / "bad.npz"
        payload = {"__header__": _header_bytes(header), **arrays}
        if kind == "compressed":
            np.savez_compressed(path, **payload)
        elif kind == "duplicate":
            with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w") as archive:
                for name, value in payload.items():
                    archive.writestr(f"{name}.npy", _npy(value))
                archive.writestr("a0.npy", _npy(np.zeros(3)))
        elif kind == "not-npy":
            with zipfile.ZipFile(path, "w") as archive:
                for name, value in payload.items():
                    archive.writestr(f"{name}.npy", _npy(value))
                archive.writestr("readme.txt", b"hello")
        elif kind == "no-header":
            np.savez(path, X=np.zeros(3))
        elif kind == "empty":
            zipfile.ZipFile(path, "w").close()
        elif kind == "plain-npy":
            np.save(path, np.zeros(3))
            os.replace(str(path) + ".npy", path)
        elif kind == "garbage":
            path.write_bytes(b"garbage")
        elif kind == "header-floats":
            np.savez(path, __header__=np.zeros(3), **arrays)
        elif kind == "header-2d":
            np.savez(path, __header__=_header_bytes(header).reshape(1, -1), **arrays)
        return path
    return make


MALFORMED = {
    # archive level
    "truncated-10%": (_truncated(0.1), "not a readable mlatlas model file"),
    "truncated-50%": (_truncated(0.5), "not a readable mlatlas model file"),
    "truncated-99%": (_truncated(0.99), "not a readable mlatlas model file"),
    "compressed": (_zip_variant("compressed"), "compressed"),
    "duplicate-entry": (_zip_variant("duplicate"), "two entries share a name"),
    "not-npy-entry": (_zip_variant("not-npy"), "'readme.txt': not a .npy entry"),
    "no-header": (_zip_variant("no-header"), "no header"),
    "empty-archive": (_zip_variant("empty"), "empty archive"),
    "plain-npy": (_zip_variant("plain-npy"), "not a readable mlatlas model file .*BadZipFile"),
    "garbage": (_zip_variant("garbage"), "not a readable mlatlas model file"),
    "header-not-bytes": (_zip_variant("header-floats"), "corrupt model header"),
    "header-2d": (_zip_variant("header-2d"), "corrupt model header"),
    # .npy entries
    "npy-huge-shape": (_replace_entry("a0", _npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", b"\0" * 8)),
        r"'a0.npy': declares shape \(1000000000000,\)"),
    "npy-huge-shape-2d": (_replace_entry("a0", _npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")),
        "'a0.npy': shape .* is larger than any array"),
    "npy-negative-shape": (_replace_entry("a0", _npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }")), "non-negative"),
    "npy-object-dtype": (_replace_entry("a0", _npy_with_header(
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8)), "dtype object"),
    "npy-structured": (_replace_entry("a0", _npy_with_header(
        "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", b"\0" * 8)), "are not read"),
    "npy-bad-descr": (_replace_entry("a0", _npy_with_header(
        "{'descr': 'nonsense', 'fortran_order': False, 'shape': (1,), }")), "'a0.npy': ValueError"),
    "npy-bad-magic": (_replace_entry("a0", b"\x93NUMPX" + b"\0" * 60), "'a0.npy': ValueError"),
    "npy-header-code": (_replace_entry("a0", _npy_with_header("__import__('os').system('echo hi')")),
                        "'a0.npy': ValueError"),
    "npy-short-data": (_replace_entry("a0", _npy(np.zeros(3))[:-8]), "holds 16 bytes"),
    # header level
    "header-not-utf8": (_raw_header(b'{"format": "\xff"}'), "corrupt model header"),
    "header-not-json": (_raw_header("{'format': 1"), "corrupt model header"),
    "header-list": (_raw_header("[1, 2, 3]"), "the header is a JSON list, not an object"),
    "header-string": (_raw_header('"hello"'), "the header is a JSON str"),
    "header-deep-json": (_raw_header("[" * 100000 + "]" * 100000), "corrupt model header"),
    "header-huge-int": (_raw_header('{"format": ' + "9" * 5000 + "}"), "corrupt model header"),
    "format-missing": (_edit(lambda h: {k: v for k, v in h.items() if k != "format"}), "format None"),
    "format-list": (_edit(lambda h: {**h, "format": [FORMAT]}), "not an mlatlas model file"),
    "version-99": (_edit(lambda h: {**h, "version": 99}), "version 99 is not supported"),
    "version-str": (_edit(lambda h: {**h, "version": "2"}), "version '2' is not supported"),
    "version-true": (_edit(lambda h: {**h, "version": True}), "version True is not supported"),
    "version-float": (_edit(lambda h: {**h, "version": 2.0}), "version 2.0 is not supported"),
    "extra-key": (_edit(lambda h: {**h, "code": "x"}), "unexpected key 'code'"),
    "model-missing": (_edit(lambda h: {k: v for k, v in h.items() if k != "model"}), r"header\.model"),
    "model-hello": (_edit(lambda h: {**h, "model": "hello"}), r"header\.model: expected an object"),
    "model-list": (_edit(lambda h: {**h, "model": []}), r"header\.model: expected an object"),
    "object-name-int": (_edit(lambda h: h["model"].update({"__object__": 5})), "must be a str"),
    "object-extra-key": (_edit(lambda h: h["model"].update({"code": 1})), "unrecognised entry"),
    "object-no-state": (_edit(lambda h: h["model"].pop("state") and None), "unrecognised entry"),
    "params-int": (_edit(lambda h: h["model"].update({"params": 5})), r"model\.params: expected a dict"),
    "params-list": (_edit(lambda h: h["model"].update({"params": [1]})), r"model\.params: expected a dict"),
    "params-int-keys": (_edit(lambda h: h["model"].update({"params": {"__items__": [[1, 2]]}})),
                        r"model\.params: expected a dict"),
    "state-list": (_edit(lambda h: h["model"].update({"state": []})), r"model\.state: expected a dict"),
    "state-plain-object": (_edit(lambda h: h["model"].update({"state": {"coef_": 1}})),
                           "unrecognised entry"),
    "missing-array": (_set_state("coef_", {"__ndarray__": "a999"}), "refers to array entry 'a999'"),
    "array-key-list": (_set_state("coef_", {"__ndarray__": ["a0"]}), "refers to array entry"),
    "array-key-header": (_set_state("coef_", {"__ndarray__": "__header__"}), "refers to array entry"),
    "unknown-tag": (_set_state("coef_", {"__code__": "x"}), "unrecognised entry"),
    "two-tags": (_set_state("coef_", {"__tuple__": [], "__dict__": {}}), "unrecognised entry"),
    "float-bad": (_set_state("coef_", {"__float__": "1e5"}), "expected 'nan', 'inf' or '-inf'"),
    "float-list": (_set_state("coef_", {"__float__": []}), "expected 'nan', 'inf' or '-inf'"),
    "tuple-int": (_set_state("coef_", {"__tuple__": 3}), r"__tuple__: expected a list"),
    "history-dict": (_set_state("history_", {"__history__": {}}), r"__history__: expected a list"),
    "dict-list": (_set_state("coef_", {"__dict__": []}), r"__dict__: expected an object"),
    "items-not-pairs": (_set_state("coef_", {"__items__": [[1, 2, 3]]}), r"expected a \[key, value\] pair"),
    "items-unhashable": (_set_state("coef_", {"__items__": [[{"__dict__": {}}, 1]]}), "must be hashable"),
    "items-int": (_set_state("coef_", {"__items__": 7}), r"__items__: expected a list"),
    "deep-nesting": (_set_state("coef_", _deep(MAX_DEPTH + 5)), f"deeper than {MAX_DEPTH} levels"),
    "deep-nesting-json-limit": (_set_state("coef_", _deep(900)), f"deeper than {MAX_DEPTH} levels"),
    "deep-objects": (_set_state("coef_", functools.reduce(
        lambda inner, _: {"__tuple__": [inner]}, range(100), 1)), f"deeper than {MAX_DEPTH} levels"),
    "list-array-huge-shape": (_set_state("coef_", {"__ndarray_list__": [], "dtype": "O",
                                                   "shape": [10**12]}), "do not have shape"),
    "list-array-huge-2d": (_set_state("coef_", {"__ndarray_list__": [], "dtype": "O",
                                                "shape": [0, 2**40, 2**40]}), "larger than any array"),
    "list-array-negative": (_set_state("coef_", {"__ndarray_list__": [], "dtype": "O", "shape": [-1]}),
                            "non-negative"),
    "list-array-many-dims": (_set_state("coef_", {"__ndarray_list__": [], "dtype": "O", "shape": [1] * 40}),
                             "at most 32 sizes"),
    "list-array-shape-str": (_set_state("coef_", {"__ndarray_list__": [], "dtype": "O", "shape": "big"}),
                             r"\.shape: a shape must be a list"),
    "list-array-bool-shape": (_set_state("coef_", {"__ndarray_list__": [1], "dtype": "O", "shape": [True]}),
                              "non-negative integers"),
    "list-array-ragged": (_set_state("coef_", {"__ndarray_list__": [[1], [1, 2]], "dtype": "O",
                                               "shape": [2, 1]}), "do not have shape"),
    "list-array-dtype": (_set_state("coef_", {"__ndarray_list__": [1], "dtype": "f", "shape": [1]}),
                         r"\.dtype: expected 'O' or 'U'"),
    "list-array-str-not-str": (_set_state("coef_", {"__ndarray_list__": [1], "dtype": "U", "shape": [1]}),
                               "not a str"),
    "list-array-missing-key": (_set_state("coef_", {"__ndarray_list__": [1], "dtype": "O"}),
                               "unrecognised entry"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_every_malformed_file_gives_one_value_error_naming_it(case, fitted, tmp_path):
    make, match = MALFORMED[case]
    header, arrays = _valid(tmp_path, fitted)
    path = make(tmp_path, header, arrays)
    _raises_for(path, match)


def test_missing_path_and_folder(tmp_path):
    _raises_for(tmp_path / "missing.npz", "no such file")
    _raises_for(tmp_path, "not a file")


def test_the_unmodified_valid_file_of_the_malformed_cases_loads(fitted, tmp_path):
    """The cases above fail because of their edit: the file they start from loads."""
    model, X = fitted
    header, arrays = _valid(tmp_path, fitted)
    for name in ("same.npz", "same-by-zipfile.npz"):
        path = tmp_path / name
        if name == "same.npz":
            _write(path, header, arrays)
        else:
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("__header__.npy", _npy(_header_bytes(header)))
                for key, value in arrays.items():
                    archive.writestr(f"{key}.npy", _npy(value))
        np.testing.assert_array_equal(load_model(path).predict(X), model.predict(X))
