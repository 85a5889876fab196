"""Module system and dense layers against PyTorch (float64, forward and backward)."""

import numpy as np
import pytest

from torch_parity import needs_torch, rel_err, torch

from mlatlas.nn import (
    BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, Identity, Linear, Module, MSELoss,
    Parameter, ReLU, Sequential, Sigmoid, Tanh,
)

TOL = 1e-10



def to_torch_state(state):
    return {k: torch.from_numpy(np.array(v)) for k, v in state.items()}


def compare_with_torch(ours, theirs, x, rng):
    """Copy our state into the torch module, run both forward and backward, return the errors."""
    theirs = theirs.double()
    theirs.load_state_dict(to_torch_state(ours.state_dict()))
    xt = torch.tensor(x, requires_grad=True)
    y, yt = ours(x), theirs(xt)
    g = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    dx = ours.backward(g)
    errors = {"forward": rel_err(y, yt), "input grad": rel_err(dx, xt.grad)}
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        errors[name] = rel_err(p.grad, tp.grad)
    return errors


@needs_torch
@pytest.mark.parametrize("shape,in_f,out_f,bias",
                         [((5, 3), 3, 4, True), ((2, 6, 4), 4, 2, False), ((7, 1), 1, 9, True)])
def test_linear_matches_torch(rng, shape, in_f, out_f, bias):
    ours = Linear(in_f, out_f, bias=bias, random_state=1)
    errors = compare_with_torch(ours, torch.nn.Linear(in_f, out_f, bias=bias), rng.standard_normal(shape), rng)
    assert max(errors.values()) <= TOL, errors


@needs_torch
@pytest.mark.parametrize("ours_cls", [ReLU, Sigmoid, Tanh, Identity])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4, 5)])
def test_activations_match_torch(rng, ours_cls, shape):
    x = rng.standard_normal(shape) * 4
    errors = compare_with_torch(ours_cls(), getattr(torch.nn, ours_cls.__name__)(), x, rng)
    assert max(errors.values()) <= TOL, errors


def test_sigmoid_is_stable_for_large_inputs():
    y = Sigmoid()(np.array([-1000.0, 0.0, 1000.0]))
    assert np.all(np.isfinite(y))
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])


@needs_torch
@pytest.mark.parametrize("start,end,shape", [(1, -1, (2, 3, 4, 5)), (0, 1, (2, 3, 4)), (2, 3, (2, 3, 4, 5))])
def test_flatten_matches_torch(rng, start, end, shape):
    errors = compare_with_torch(Flatten(start, end), torch.nn.Flatten(start, end), rng.standard_normal(shape), rng)
    assert max(errors.values()) == 0.0


def test_dropout_train_and_eval(rng):
    x = rng.standard_normal((200, 50))
    drop = Dropout(p=0.3, random_state=0)
    y = drop(x)
    kept = y != 0
    # kept values are scaled by 1/(1-p); the rest are zero; about 70% kept
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-15)
    assert abs(kept.mean() - 0.7) < 0.02
    g = rng.standard_normal(x.shape)
    np.testing.assert_allclose(drop.backward(g), np.where(kept, g / 0.7, 0.0), rtol=1e-15)
    drop.eval()
    np.testing.assert_array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(g), g)
    assert np.all(Dropout(p=1.0, random_state=0)(x) == 0)
    np.testing.assert_array_equal(Dropout(p=0.0)(x), x)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Dropout(p=1.5)


def test_dropout_reproducible_with_random_state(rng):
    x = rng.standard_normal((10, 10))
    np.testing.assert_array_equal(Dropout(0.5, random_state=3)(x), Dropout(0.5, random_state=3)(x))


def test_notes_worked_example_with_errata():
    """Notes 02, section 1.1, with the corrected z1 = (-0.4, 1.7) (see notes/README.md)."""
    layer1, relu, layer2 = Linear(2, 2), ReLU(), Linear(2, 1)
    layer1.weight.data[...] = [[0.5, -0.5], [0.3, 0.8]]
    layer1.bias.data[...] = [0.1, -0.2]
    layer2.weight.data[...] = [[0.2, -0.4]]
    layer2.bias.data[...] = [0.5]
    net = Sequential(layer1, relu, layer2)
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    z1 = layer1(x)
    np.testing.assert_allclose(z1, [[-0.4, 1.7]], atol=1e-12)
    a1 = relu(z1)
    np.testing.assert_allclose(a1, [[0.0, 1.7]], atol=1e-12)
    y_hat = layer2(a1)
    np.testing.assert_allclose(y_hat, [[-0.18]], atol=1e-12)
    loss_fn = MSELoss(half=True)
    loss = loss_fn(y_hat, y)
    assert abs(float(loss) - 0.6962) < 1e-12
    net.zero_grad()
    net(x)
    dL_dx = net.backward(loss_fn.backward())
    np.testing.assert_allclose(layer2.weight.grad, [[0.0, -2.006]], atol=1e-12)
    np.testing.assert_allclose(layer2.bias.grad, [-1.18], atol=1e-12)
    np.testing.assert_allclose(layer1.weight.grad, [[0.0, 0.0], [0.472, 0.944]], atol=1e-12)
    np.testing.assert_allclose(layer1.bias.grad, [0.0, 0.472], atol=1e-12)
    # dL/da1 = W2^T dL/dz2 = (-0.236, 0.472); through the ReLU only the second survives
    np.testing.assert_allclose(dL_dx, [[0.0 * 0.5 + 0.472 * 0.3, -0.0 * 0.5 + 0.472 * 0.8]], atol=1e-12)


# ---------------------------------------------------------------------------------------
# the module system
# ---------------------------------------------------------------------------------------
def _torch_net():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(3 * 5 * 5, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
        torch.nn.Linear(4, 2),
    ).double()


def _our_net():
    return Sequential(
        Conv2d(1, 3, 3, padding=1, random_state=0), BatchNorm2d(3), ReLU(),
        Flatten(), Linear(3 * 5 * 5, 4, random_state=1), BatchNorm1d(4), Tanh(), Linear(4, 2, random_state=2),
    )


@needs_torch
def test_state_dict_names_and_order_match_torch():
    ours, theirs = _our_net(), _torch_net()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    for k, v in theirs.state_dict().items():
        assert ours.state_dict()[k].shape == tuple(v.shape), k


@needs_torch
@pytest.mark.parametrize("training", [True, False])
def test_state_copies_both_ways_with_identical_outputs(rng, training):
    theirs = _torch_net()
    # give the running statistics non-trivial values first
    theirs.train()
    for _ in range(3):
        theirs(torch.tensor(rng.standard_normal((6, 1, 5, 5))))
    x = rng.standard_normal((6, 1, 5, 5))
    # torch -> ours
    ours = _our_net()
    ours.load_state_dict(theirs.state_dict())
    ours.train(training)
    theirs.train(training)
    assert rel_err(ours(x), theirs(torch.tensor(x))) <= TOL
    # after a training step both updated their running statistics identically
    for k, v in theirs.state_dict().items():
        if k.endswith("num_batches_tracked"):
            assert int(ours.state_dict()[k]) == int(v)
        else:
            assert rel_err(ours.state_dict()[k], v) <= TOL, k
    # ours -> torch (a fresh torch net loads our state)
    fresh = _torch_net()
    fresh.load_state_dict(to_torch_state(ours.state_dict()))
    ours.eval()
    fresh.eval()
    assert rel_err(ours(x), fresh(torch.tensor(x))) <= TOL


def test_load_state_dict_checks_keys_and_shapes():
    net = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    state = net.state_dict()
    with pytest.raises(KeyError, match="missing"):
        net.load_state_dict({k: v for k, v in state.items() if k != "0.bias"})
    result = net.load_state_dict({k: v for k, v in state.items() if k != "0.bias"}, strict=False)
    assert result.missing_keys == ["0.bias"]
    bad = dict(state)
    bad["2.weight"] = np.zeros((2, 3))
    with pytest.raises(ValueError, match="size mismatch"):
        net.load_state_dict(bad)


def test_state_dict_is_a_copy_and_load_keeps_dtype():
    layer = Linear(2, 2, dtype=np.float32)
    state = layer.state_dict()
    state["weight"][...] = 7.0
    assert not np.any(layer.weight.data == 7.0)
    layer.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert layer.weight.data.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, np.ones((2, 2)))


def test_train_eval_zero_grad_and_parameters(rng):
    net = Sequential(Linear(3, 4), Dropout(0.5), Linear(4, 1))
    assert net.training and net[1].training
    net.eval()
    assert not net.training and not net[1].training
    net.train()
    assert net[1].training
    x = rng.standard_normal((5, 3))
    net(x)
    net.backward(np.ones((5, 1)))
    assert all(p.grad is not None for p in net.parameters())
    first = net[0].weight.grad.copy()
    net(x)
    net.backward(np.ones((5, 1)))  # gradients accumulate
    assert not np.allclose(net[0].weight.grad, first)
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert len(list(net.parameters())) == 4
    assert len(net) == 3 and isinstance(net[0], Linear) and len(net[1:]) == 2


@needs_torch
def test_sequential_backward_matches_torch(rng):
    ours = Sequential(Linear(4, 6, random_state=0), Tanh(), Linear(6, 3, random_state=1), Sigmoid())
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3), torch.nn.Sigmoid())
    errors = compare_with_torch(ours, theirs, rng.standard_normal((8, 4)), rng)
    assert max(errors.values()) <= TOL, errors


def test_custom_module_registration():
    class Block(Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter(np.ones(3))
            self.inner = Linear(3, 3)
            self.register_buffer("count", np.zeros(()))

    block = Block()
    assert [n for n, _ in block.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert list(block.state_dict()) == ["scale", "count", "inner.weight", "inner.bias"]
    assert "Linear" in repr(block)


@pytest.mark.parametrize("layer", [Linear(3, 2), ReLU(), Sigmoid(), Tanh(), Flatten()])
def test_dtype_is_kept(rng, layer):
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((4, 3)).astype(dtype)
        y = layer(x)
        assert y.dtype == dtype
        assert layer.backward(np.ones_like(y)).dtype == dtype


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="last dimension 3"):
        Linear(3, 2)(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="device"):
        Linear(3, 2, device="cuda")
    with pytest.raises(TypeError, match="floating"):
        Linear(3, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="Module"):
        Sequential(Linear(2, 2), "relu")
