"""Fuzzing load_model: mutated model files either load as an allow-listed estimator or raise ValueError.

Valid files of five small fitted models (a tree, a forest of three trees,
LogisticRegression, KMeans, an MLP after one epoch) are mutated three ways:

* the archive's bytes (flips, overwrites, insertions, deletions, truncation), aimed at
  the zip structure and the ``.npy`` headers as well as anywhere in the file;
* the bytes inside one entry, re-packed into a well-formed zip (the checksums agree),
  so that the ``.npy`` and JSON parsers see the damage rather than zip's CRC check;
* the JSON header as a tree: values replaced by random JSON (tagged entries, class names
  from the allow-list and from attack routes included), keys and list items deleted,
  inserted or renamed, subtrees copied elsewhere; array entries dropped or replaced.

Whatever comes out, ``load_model`` must return an instance of a loadable class or raise
a ``ValueError`` whose message starts with the path; any other exception, or a load
that does not finish within a generous time, fails the test.  The number of examples
comes from the loaded hypothesis profile (tests/conftest.py): ``HYPOTHESIS_PROFILE=long``
runs the long one.
"""

import contextlib
import copy
import io
import json
import signal
import threading
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

from mlatlas import load_model, save_model
from mlatlas.persistence import loadable_names, public_name

MODELS = ("tree", "forest", "logistic", "kmeans", "mlp")
HANG_SECONDS = 30  # a load of these small files takes milliseconds; this only catches a hang


class LoadHung(Exception):
    """load_model did not return within HANG_SECONDS."""


@contextlib.contextmanager
def _hang_guard(seconds):
    """Raise LoadHung if the body runs longer than ``seconds`` (main thread, POSIX only)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise LoadHung(f"load_model ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fit(name):
    from mlatlas.nn import MLPClassifier
    from mlatlas.supervised import DecisionTreeClassifier, LogisticRegression, RandomForestClassifier
    from mlatlas.unsupervised import KMeans

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one MLP epoch does not converge, by design
        model = {
            "tree": lambda: DecisionTreeClassifier(max_depth=3).fit(X, y),
            "forest": lambda: RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y),
            "logistic": lambda: LogisticRegression().fit(X, y),
            "kmeans": lambda: KMeans(n_clusters=2, n_init=1, random_state=0).fit(X),
            "mlp": lambda: MLPClassifier((4,), max_epochs=1, random_state=0).fit(X, y),
        }[name]()
    return model, X


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def originals(workdir):
    """name -> (model, X, file bytes, header, arrays, hot offsets) of each valid file."""
    result = {}
    for name in MODELS:
        model, X = _fit(name)
        path = workdir / f"{name}.npz"
        save_model(model, path)
        data = path.read_bytes()
        with np.load(path, allow_pickle=False) as archive:
            header = json.loads(bytes(archive["__header__"]).decode())
            arrays = {k: archive[k] for k in archive.files if k != "__header__"}
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
        # where the structure is: local file headers, the .npy header after each, the
        # central directory and its end record
        central = len(data) - 22 - 46 * len(infos) - sum(len(i.filename) for i in infos)
        hot = sorted({i.header_offset for i in infos} | {i.header_offset + 30 + len(i.filename) for i in infos}
                     | {max(central, 0), len(data) - 22})
        result[name] = (model, X, data, header, arrays, hot)
    return result


LOADABLE = None


def _check_load(path, record=True):
    """The property: an allow-listed estimator, or a ValueError that names the file."""
    global LOADABLE
    if LOADABLE is None:
        LOADABLE = set(loadable_names())
    with _hang_guard(HANG_SECONDS):
        try:
            obj = load_model(path)
        except ValueError as exc:
            assert str(exc).startswith(f"{path}: "), str(exc)
            if record:
                event("refused with ValueError")
            return None
    assert public_name(type(obj)) in LOADABLE
    if record:
        event("loaded")
    return obj


def test_the_files_being_mutated_are_valid(originals, workdir):
    for name, (model, X, data, *_rest) in originals.items():
        path = workdir / f"{name}-copy.npz"
        path.write_bytes(data)
        loaded = _check_load(path, record=False)
        method = "predict" if name == "kmeans" else "predict_proba"
        np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))


# --------------------------------------------------------------------------- archive bytes
def _position(draw, data, hot):
    """Anywhere in the file, or just after a place where the zip or .npy structure is."""
    if draw(st.booleans()):
        return draw(st.integers(0, len(data) - 1))
    return min(draw(st.sampled_from(hot)) + draw(st.integers(0, 160)), len(data) - 1)


@st.composite
def mutated_bytes(draw, data, hot):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate"]))
        if not data:
            break
        at = _position(draw, data, hot)
        if kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[at:at + len(chunk)] = chunk
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


@given(name=st.sampled_from(MODELS), data=st.data())
def test_mutated_archive_bytes(originals, workdir, name, data):
    _, _, original, _, _, hot = originals[name]
    mutated = data.draw(mutated_bytes(original, hot))
    path = workdir / "bytes.npz"
    path.write_bytes(mutated)
    _check_load(path)


@given(name=st.sampled_from(MODELS), data=st.data())
def test_mutated_entries_in_a_well_formed_zip(originals, workdir, name, data):
    _, _, original, _, _, _ = originals[name]
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    target = data.draw(st.sampled_from(sorted(entries)))
    blob = entries[target]
    # mostly the .npy header (its first 128 bytes), sometimes anywhere in the entry
    hot = [0, 8, 10, 20, 40, 60, 80, 100, 118, 127]
    entries[target] = data.draw(mutated_bytes(blob, [h for h in hot if h < len(blob)] or [0]))
    if data.draw(st.booleans()):
        note("also renames or drops an entry")
        victim = data.draw(st.sampled_from(sorted(entries)))
        value = entries.pop(victim)
        new_name = data.draw(st.sampled_from(["", "a0.npy", "a99.npy", "__header__.npy", "x.txt", victim]))
        if new_name:
            entries[new_name] = value
    path = workdir / "entries.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for entry, value in entries.items():
            archive.writestr(entry, value)
    _check_load(path)


# --------------------------------------------------------------------------- the JSON header
TAGS = ["__ndarray__", "__ndarray_list__", "__float__", "__tuple__", "__history__", "__dict__", "__items__",
        "__object__"]
INTERESTING = ["a0", "a1", "a2", "a999", "__header__", "nan", "inf", "-inf", "O", "U", "dtype", "shape",
               "params", "state", "format", "version", "model", "mlatlas-model", "coef_", "fit", "predict",
               "__class__", "__init__", "estimators_", "mlatlas.nn.Sequential", "mlatlas.persistence.os.system",
               "mlatlas.persistence:np.f2py.subprocess.Popen", "mlatlas.supervised.linear:LinearRegression",
               "mlatlas.supervised.tree:DecisionTreeClassifier"] + TAGS


def _json_values():
    names = st.sampled_from(sorted(set(loadable_names())) + INTERESTING)
    leaf = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.integers(-3, 3)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8) | names)

    def extend(children):
        return (st.lists(children, max_size=4)
                | st.dictionaries(st.sampled_from(INTERESTING) | st.text(max_size=6), children, max_size=4)
                | st.builds(lambda tag, value: {tag: value}, st.sampled_from(TAGS), children)
                | st.fixed_dictionaries({"__object__": names, "params": children, "state": children})
                | st.fixed_dictionaries({"__items__": st.lists(st.lists(children, min_size=2, max_size=2),
                                                               max_size=3)})
                | st.fixed_dictionaries({"__ndarray_list__": children, "dtype": st.sampled_from(["O", "U", "f"]),
                                         "shape": st.lists(st.integers(-1, 4) | st.integers(0, 2**62),
                                                           max_size=3)}))

    # values the decoder accepts (tagged the way save_model writes them), to reach the
    # checks that only well-formed entries get to
    well_formed = st.recursive(
        st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=4)
        | st.builds(lambda key: {"__ndarray__": key}, st.sampled_from(["a0", "a1", "a2"]))
        | st.builds(lambda text: {"__float__": text}, st.sampled_from(["nan", "inf", "-inf"])),
        lambda children: (st.lists(children, max_size=3)
                          | st.builds(lambda v: {"__tuple__": v}, st.lists(children, max_size=3))
                          | st.builds(lambda v: {"__history__": v}, st.lists(children, max_size=3))
                          | st.builds(lambda v: {"__dict__": v}, st.dictionaries(st.text(max_size=4), children,
                                                                                  max_size=3))
                          | st.builds(lambda v: {"__items__": [list(pair) for pair in v]},
                                      st.lists(st.tuples(children, children), max_size=3))),
        max_leaves=8)
    return well_formed | st.recursive(leaf | well_formed, extend, max_leaves=12)


def _places(tree):
    """Every (container, key) in a JSON tree, the root's keys included."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        keys = range(len(node)) if isinstance(node, list) else list(node) if isinstance(node, dict) else []
        for key in keys:
            found.append((node, key))
            stack.append(node[key])
    return found


def _mutate_header(draw, header, values):
    for _ in range(draw(st.integers(1, 3))):
        places = _places(header)
        if not places:
            break
        container, key = draw(st.sampled_from(range(len(places))).map(places.__getitem__))
        action = draw(st.sampled_from(["replace", "replace", "delete", "insert", "rename", "copy"]))
        if action == "replace":
            container[key] = draw(values)
        elif action == "delete":
            del container[key]
        elif action == "insert":
            if isinstance(container, list):
                container.insert(key, draw(values))
            else:
                container[draw(st.sampled_from(INTERESTING) | st.text(max_size=6))] = draw(values)
        elif action == "rename" and isinstance(container, dict):
            container[draw(st.sampled_from(INTERESTING) | st.text(max_size=6))] = container.pop(key)
        else:  # copy another subtree here (an array reference, an object, the whole model...)
            source, source_key = places[draw(st.integers(0, len(places) - 1))]
            container[key] = copy.deepcopy(source[source_key])
    return header


def _mutate_arrays(draw, arrays):
    if arrays and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(arrays)))
        choice = draw(st.sampled_from(["drop", "empty", "int8", "scalar", "bool", "strings", "complex"]))
        if choice == "drop":
            del arrays[key]
        else:
            arrays[key] = {"empty": np.zeros((0, 3)), "int8": np.arange(5, dtype=np.int8).reshape(5, 1),
                           "scalar": np.array(3.5), "bool": np.ones(4, dtype=bool),
                           "strings": np.array(["a", "bc"]), "complex": np.array([1j, 2.0])}[choice]
    return arrays


@given(name=st.sampled_from(MODELS), data=st.data())
def test_mutated_json_header(originals, workdir, name, data):
    _, _, _, header, arrays, _ = originals[name]
    header = _mutate_header(data.draw, copy.deepcopy(header), _json_values())
    arrays = _mutate_arrays(data.draw, dict(arrays))
    text = json.dumps(header)
    note(text[:2000])
    path = workdir / "header.npz"
    np.savez(path, __header__=np.frombuffer(text.encode(), dtype=np.uint8), **arrays)
    _check_load(path)
