"""gradcheck: finite differences against every layer's backward, and it catches wrong backwards."""

import numpy as np
import pytest

from mlatlas.nn import (
    BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Flatten, GradcheckError, GroupNorm,
    Identity, InstanceNorm2d, LayerNorm, Linear, Module, ReLU, Sequential, Sigmoid, Tanh, Upsample, gradcheck,
)


def _layers():
    return [
        ("Linear", lambda: Linear(4, 3, random_state=0), (5, 4)),
        ("Linear-3d-nobias", lambda: Linear(4, 2, bias=False, random_state=0), (2, 3, 4)),
        ("ReLU", ReLU, (4, 5)),
        ("Sigmoid", Sigmoid, (4, 5)),
        ("Tanh", Tanh, (4, 5)),
        ("Identity", Identity, (3, 2)),
        ("Flatten", Flatten, (2, 3, 2, 2)),
        ("Dropout-eval", lambda: Dropout(0.5).eval(), (3, 4)),
        ("Conv2d", lambda: Conv2d(2, 3, 3, padding=1, random_state=0), (2, 2, 4, 4)),
        ("Conv2d-strided-grouped", lambda: Conv2d(4, 2, (2, 3), stride=(2, 1), groups=2, random_state=0), (1, 4, 5, 5)),
        ("ConvTranspose2d", lambda: ConvTranspose2d(2, 2, 4, stride=2, padding=1, random_state=0), (1, 2, 3, 3)),
        ("BatchNorm1d", lambda: BatchNorm1d(3), (6, 3)),
        ("BatchNorm2d", lambda: BatchNorm2d(2), (3, 2, 2, 3)),
        ("InstanceNorm2d", lambda: InstanceNorm2d(2, affine=True), (2, 2, 3, 3)),
        ("LayerNorm", lambda: LayerNorm(4), (3, 4)),
        ("GroupNorm", lambda: GroupNorm(2, 4), (2, 4, 3)),
        ("Upsample-nearest", lambda: Upsample(scale_factor=2), (1, 2, 2, 3)),
        ("Upsample-bilinear", lambda: Upsample(size=(4, 5), mode="bilinear", align_corners=True), (1, 1, 3, 3)),
        ("Upsample-bicubic", lambda: Upsample(scale_factor=1.5, mode="bicubic"), (1, 1, 3, 4)),
        ("Sequential", lambda: Sequential(Conv2d(1, 2, 3, random_state=0), BatchNorm2d(2), Tanh(), Flatten(),
                                          Linear(8, 2, random_state=1)), (3, 1, 4, 4)),
    ]


@pytest.mark.parametrize("name,make,shape", _layers(), ids=[c[0] for c in _layers()])
def test_gradcheck_passes_on_every_layer(rng, name, make, shape):
    layer = make()
    for p in layer.parameters():  # away from the default ones/zeros of the norms
        p.data[...] = rng.standard_normal(p.shape)
    report = gradcheck(layer, rng.standard_normal(shape))
    assert report.ok
    assert report.rows[0]["name"] == "input"
    assert [r["name"] for r in report.rows[1:]] == [n for n, _ in layer.named_parameters()]
    assert all(r["max_rel_error"] < 1e-6 for r in report.rows)


class _WrongReLU(ReLU):
    def backward(self, grad_out):
        return grad_out  # forgets the mask


class _WrongLinear(Linear):
    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.bias.grad *= 2  # wrong parameter gradient
        return dx


def test_gradcheck_catches_a_wrong_input_gradient(rng):
    with pytest.raises(GradcheckError, match="differ"):
        gradcheck(_WrongReLU(), rng.standard_normal((4, 4)))
    report = gradcheck(_WrongReLU(), rng.standard_normal((4, 4)), raise_exception=False)
    assert not report.ok and not report.rows[0]["ok"] and report.rows[0]["n_failed"] > 0


def test_gradcheck_catches_a_wrong_parameter_gradient(rng):
    report = gradcheck(_WrongLinear(3, 2, random_state=0), rng.standard_normal((4, 3)), raise_exception=False)
    by_name = {r["name"]: r["ok"] for r in report.rows}
    assert by_name == {"input": True, "weight": True, "bias": False}
    assert "bias" in str(report) and "NO" in str(report)


def test_gradcheck_restores_state_and_gradients(rng):
    bn = BatchNorm1d(3)
    bn(rng.standard_normal((5, 3)))
    bn.backward(np.ones((5, 3)))
    state, grad = bn.state_dict(), bn.weight.grad.copy()
    gradcheck(bn, rng.standard_normal((4, 3)))
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    np.testing.assert_array_equal(bn.weight.grad, grad)


def test_gradcheck_with_explicit_grad_out_and_without_params(rng):
    layer = Linear(3, 2, random_state=0)
    report = gradcheck(layer, rng.standard_normal((2, 3)), grad_out=np.ones((2, 2)), check_params=False)
    assert [r["name"] for r in report.rows] == ["input"]


def test_gradcheck_needs_float64_parameters(rng):
    with pytest.raises(ValueError, match="float64"):
        gradcheck(Linear(2, 2, dtype=np.float32), rng.standard_normal((2, 2)))


def test_gradcheck_on_a_custom_module(rng):
    class Square(Module):
        def forward(self, x):
            self._x = x
            return x * x

        def backward(self, grad_out):
            return 2 * self._x * grad_out

    assert gradcheck(Square(), rng.standard_normal((3, 3))).ok


def test_parameters_that_are_views_are_perturbed_in_place():
    """An MLP's weights are transposed views of its coefficient arrays (not contiguous)."""
    from mlatlas.nn.mlp import network_from_weights

    rng = np.random.default_rng(0)
    coefs, intercepts = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))], [rng.normal(size=4), rng.normal(size=2)]
    net = network_from_weights(coefs, intercepts, "tanh")
    assert not net[0].weight.data.flags["C_CONTIGUOUS"]
    # a copy perturbed instead of the weights would give numeric gradients of 0: a mismatch
    report = gradcheck(net, rng.normal(size=(5, 3)))
    assert report.ok and [row["name"] for row in report.rows][1:] == ["0.weight", "0.bias", "2.weight", "2.bias"]
