import importlib

import pytest

PACKAGES = ["mlatlas.supervised", "mlatlas.unsupervised", "mlatlas.timeseries", "mlatlas.probability", "mlatlas.nn"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves(package):
    module = importlib.import_module(package)
    assert module.__all__, package
    for name in module.__all__:
        obj = getattr(module, name)
        assert getattr(obj, "__name__", name) == name, f"{package}.{name} resolves to {obj!r}"


def test_unknown_name_raises_attribute_error():
    import mlatlas.supervised as supervised

    with pytest.raises(AttributeError, match="has no attribute 'Perceptron'"):
        supervised.Perceptron  # noqa: B018
