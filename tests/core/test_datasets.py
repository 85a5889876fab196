import gzip
import struct

import numpy as np
import pytest

from mlatlas import datasets


@pytest.mark.parametrize("name", datasets.available())
def test_every_named_dataset_loads_with_consistent_shapes(name):
    data = datasets.load(name)
    assert data.X.ndim == 2
    assert data.X.shape[0] > 0
    assert len(data.feature_names) == data.X.shape[1]
    assert data.task in datasets.TASKS
    assert data.description
    if data.y is not None:
        assert len(data.y) == data.X.shape[0]
    if data.task == "timeseries":
        assert data.y.ndim == 1 and np.all(np.isfinite(data.y))


def test_bundled_tables_match_their_sources():
    from sklearn.datasets import load_digits, load_iris

    iris = datasets.load("iris")
    np.testing.assert_array_equal(iris.X, load_iris().data)
    np.testing.assert_array_equal(iris.y, load_iris().target)
    assert iris.target_names == ["setosa", "versicolor", "virginica"]
    digits = datasets.load("digits")
    assert digits.images.shape == (1797, 8, 8)
    assert digits.images.max() == 1.0
    assert datasets.load("diabetes").task == "regression"
    sun = datasets.load("sunspots")
    assert sun.X[0, 0] == 1700.0 and len(sun.y) == 309


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="known datasets: iris"):
        datasets.load("no-such-set")


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="does not take options"):
        datasets.load("iris", n_samples=3)


def test_generators_are_reproducible_and_seeded():
    a = datasets.load("moons", random_state=3)
    b = datasets.load("moons", random_state=3)
    c = datasets.load("moons", random_state=4)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.allclose(a.X, c.X)
    spirals = datasets.load("spirals", n_samples=301, n_arms=3)
    assert spirals.X.shape == (301, 2) and set(np.unique(spirals.y)) == {0, 1, 2}


def test_linear_generator_is_recoverable_by_least_squares():
    data = datasets.load("linear", n_samples=2000, n_features=3, noise=0.01, random_state=1)
    A = np.column_stack([np.ones(len(data.X)), data.X])
    beta, *_ = np.linalg.lstsq(A, data.y, rcond=None)
    residual = data.y - A @ beta
    assert residual.std() == pytest.approx(0.01, rel=0.1)


def test_simulated_ar_has_the_right_autocorrelation():
    y = datasets.simulate_ar([0.7], 20000, random_state=0)
    lag1 = np.corrcoef(y[:-1], y[1:])[0, 1]
    assert lag1 == pytest.approx(0.7, abs=0.02)


def test_csv_with_header_and_named_target(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n")
    data = datasets.load_file(path, target="label")
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4], [5, 6]])
    assert data.y.tolist() == ["x", "y", "x"]
    assert data.task == "classification"
    assert data.feature_names == ["a", "b"]


def test_csv_without_header_defaults_to_last_column_regression(tmp_path):
    path = tmp_path / "plain.csv"
    rows = "\n".join(f"{i},{i * 0.5 + 0.25}" for i in range(100))
    path.write_text(rows + "\n")
    data = datasets.load_file(path)
    assert data.task == "regression"
    assert data.X.shape == (100, 1)
    assert data.y[3] == pytest.approx(1.75)


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("a,b\n", "no data rows"),
        ("a,b\n1,2\n3\n", "line 3 has 1 fields, expected 2"),
        ("a,b,c\n1,zz,3\n", "non-numeric value 'zz'"),
    ],
)
def test_malformed_csv_names_file_and_problem(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        datasets.load_file(path)
    assert "bad.csv" in str(info.value)


def test_csv_unknown_target_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="target column 'zzz' not found"):
        datasets.load_file(path, target="zzz")


def test_npz_round_trip_and_errors(tmp_path):
    path = tmp_path / "d.npz"
    X = np.arange(12.0).reshape(6, 2)
    np.savez(path, X=X, y=np.array([0, 1, 0, 1, 0, 1]))
    data = datasets.load_file(path)
    np.testing.assert_array_equal(data.X, X)
    assert data.task == "classification"
    bad = tmp_path / "nox.npz"
    np.savez(bad, Z=X)
    with pytest.raises(ValueError, match="no array 'X'"):
        datasets.load_file(bad)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="broken.npz"):
        datasets.load_file(broken)
    mismatch = tmp_path / "mismatch.npz"
    np.savez(mismatch, X=X, y=np.zeros(3))
    with pytest.raises(ValueError, match="X has 6 rows but y has 3"):
        datasets.load_file(mismatch)


def _write_idx(path, array, compress=False):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    payload = header + body
    path.write_bytes(gzip.compress(payload) if compress else payload)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_idx_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    suffix = ".gz" if compress else ""
    img_path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    lab_path = tmp_path / f"train-labels-idx1-ubyte{suffix}"
    _write_idx(img_path, images, compress)
    _write_idx(lab_path, labels, compress)
    data = datasets.load_file(img_path, labels=lab_path)
    assert data.X.shape == (5, 12)
    np.testing.assert_allclose(data.images, images / 255.0)
    np.testing.assert_array_equal(data.y, labels)
    np.testing.assert_array_equal(datasets.read_idx(lab_path), labels)


def test_idx_errors(tmp_path):
    bad_magic = tmp_path / "x-idx1-ubyte"
    bad_magic.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="bad magic"):
        datasets.load_file(bad_magic)
    truncated = tmp_path / "t-idx1-ubyte"
    truncated.write_bytes(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10) + b"\x01\x02")
    with pytest.raises(ValueError, match="promises 10 bytes"):
        datasets.load_file(truncated)
    images = tmp_path / "i-idx3-ubyte"
    _write_idx(images, np.zeros((2, 2, 2), dtype=np.uint8))
    labels = tmp_path / "l-idx1-ubyte"
    _write_idx(labels, np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="expected 2 labels"):
        datasets.load_file(images, labels=labels)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        datasets.load_file(tmp_path / "nope.csv")
    other = tmp_path / "data.parquet"
    other.write_bytes(b"xx")
    with pytest.raises(ValueError, match="unsupported file type"):
        datasets.load_file(other)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("binary.csv", b"\xff\xfe\x00\x01", "not a UTF-8 text file"),
        ("corrupt.csv.gz", b"not gzip at all", "cannot read the CSV file"),
        ("huge-field.csv", b'a,b\n1,"' + b"x" * (200 * 1024) + b'"\n', "cannot read the CSV file"),
    ],
)
def test_unreadable_csv_is_one_value_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        datasets.load_file(path)
    assert name in str(info.value)


def test_a_folder_is_not_a_data_file(tmp_path):
    folder = tmp_path / "table.csv"
    folder.mkdir()
    with pytest.raises(ValueError, match="a folder, not a file"):
        datasets.load_file(folder)
