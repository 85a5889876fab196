"""Batch, layer, instance and group norm against PyTorch (float64, forward, backward, running stats)."""

import numpy as np
import pytest

from torch_parity import needs_torch, rel_err, torch

from mlatlas.nn import (
    BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, gradcheck,
)

TOL = 1e-10



def run_steps(ours, theirs, shape, rng, modes=("train", "train", "train", "eval", "train", "eval")):
    """Several forward/backward passes in train and eval mode; every output, gradient and buffer compared."""
    theirs = theirs.double()
    for (name, p) in ours.named_parameters():  # non-trivial affine parameters
        p.data[...] = rng.standard_normal(p.shape)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    errors = []
    for mode in modes:
        ours.train(mode == "train")
        theirs.train(mode == "train")
        ours.zero_grad()
        theirs.zero_grad()
        x = rng.standard_normal(shape) * 3 + 2
        xt = torch.tensor(x, requires_grad=True)
        y, yt = ours(x), theirs(xt)
        g = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(g))
        dx = ours.backward(g)
        errors += [rel_err(y, yt), rel_err(dx, xt.grad)]
        for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            errors.append(rel_err(p.grad, tp.grad))
        for key, value in theirs.state_dict().items():
            if key == "num_batches_tracked":
                assert int(ours.state_dict()[key]) == int(value)
            else:
                errors.append(rel_err(ours.state_dict()[key], value))
    return max(errors)


@needs_torch
@pytest.mark.parametrize("kwargs,shape", [
    (dict(), (6, 4)),
    (dict(momentum=None), (5, 4, 3)),
    (dict(affine=False, momentum=0.3), (4, 4, 7)),
    (dict(track_running_stats=False), (8, 4)),
    (dict(eps=1e-3), (2, 4)),
])
def test_batchnorm1d_matches_torch(rng, kwargs, shape):
    assert run_steps(BatchNorm1d(4, **kwargs), torch.nn.BatchNorm1d(4, **kwargs), shape, rng) <= TOL


@needs_torch
@pytest.mark.parametrize("kwargs,shape", [
    (dict(), (4, 3, 5, 6)),
    (dict(momentum=None, affine=False), (2, 3, 4, 4)),
    (dict(track_running_stats=False, eps=1e-2), (3, 3, 2, 5)),
])
def test_batchnorm2d_matches_torch(rng, kwargs, shape):
    assert run_steps(BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs), shape, rng) <= TOL


@needs_torch
@pytest.mark.parametrize("kwargs,shape", [
    (dict(), (3, 4, 5, 6)),
    (dict(affine=True), (2, 4, 3, 3)),
    (dict(affine=True, track_running_stats=True, momentum=0.2), (3, 4, 4, 5)),
    (dict(track_running_stats=True, momentum=None), (2, 4, 3, 4)),
    (dict(affine=True), (4, 6, 5)),  # unbatched (C, H, W)
])
def test_instancenorm2d_matches_torch(rng, kwargs, shape):
    assert run_steps(InstanceNorm2d(4, **kwargs), torch.nn.InstanceNorm2d(4, **kwargs), shape, rng) <= TOL


@needs_torch
@pytest.mark.parametrize("normalized_shape,kwargs,shape", [
    (5, dict(), (4, 5)),
    ((3, 4), dict(), (2, 5, 3, 4)),
    ((2, 3, 3), dict(elementwise_affine=False), (4, 2, 3, 3)),
    (6, dict(bias=False, eps=1e-3), (3, 2, 6)),
])
def test_layernorm_matches_torch(rng, normalized_shape, kwargs, shape):
    assert run_steps(LayerNorm(normalized_shape, **kwargs), torch.nn.LayerNorm(normalized_shape, **kwargs),
                     shape, rng) <= TOL


@needs_torch
@pytest.mark.parametrize("groups,channels,kwargs,shape", [
    (2, 4, dict(), (3, 4, 5, 6)),
    (1, 6, dict(), (2, 6, 3, 3)),
    (6, 6, dict(affine=False), (2, 6, 4, 4)),
    (3, 6, dict(eps=1e-2), (2, 6, 7)),
])
def test_groupnorm_matches_torch(rng, groups, channels, kwargs, shape):
    assert run_steps(GroupNorm(groups, channels, **kwargs), torch.nn.GroupNorm(groups, channels, **kwargs),
                     shape, rng) <= TOL


def test_batchnorm_running_variance_is_unbiased_and_normalisation_biased():
    """The notes' erratum: normalise with the biased variance, track the unbiased one."""
    x = np.array([[1.0], [2.0], [6.0]])
    bn = BatchNorm1d(1, momentum=1.0)
    y = bn(x)
    biased = np.var(x)  # 14/3
    np.testing.assert_allclose(y[:, 0], (x[:, 0] - 3.0) / np.sqrt(biased + 1e-5), rtol=1e-14)
    np.testing.assert_allclose(bn.running_var, [np.var(x, ddof=1)], rtol=1e-14)  # 7
    np.testing.assert_allclose(bn.running_mean, [3.0], rtol=1e-14)
    assert int(bn.num_batches_tracked) == 1
    bn.eval()
    np.testing.assert_allclose(bn(np.array([[3.0]])), [[0.0]], atol=1e-14)


def test_batchnorm_eval_uses_running_statistics(rng):
    bn = BatchNorm2d(2)
    bn.running_mean[...] = [1.0, -1.0]
    bn.running_var[...] = [4.0, 0.25]
    bn.eval()
    x = rng.standard_normal((3, 2, 2, 2))
    expected = (x - np.array([1.0, -1.0])[:, None, None]) / np.sqrt(np.array([4.0, 0.25])[:, None, None] + 1e-5)
    np.testing.assert_allclose(bn(x), expected, rtol=1e-13)


def test_batchnorm_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm1d(3)(np.zeros((1, 3)))
    bn = BatchNorm1d(3).eval()
    assert bn(np.zeros((1, 3))).shape == (1, 3)


@pytest.mark.parametrize("layer,shape", [
    (BatchNorm1d(3), (5, 3)),
    (BatchNorm2d(2), (3, 2, 3, 2)),
    (BatchNorm2d(2).eval(), (3, 2, 3, 2)),
    (InstanceNorm2d(2, affine=True), (2, 2, 3, 3)),
    (LayerNorm((2, 3)), (3, 2, 3)),
    (GroupNorm(2, 4), (2, 4, 2, 3)),
])
def test_gradcheck_norms(rng, layer, shape):
    for p in layer.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    before = layer.state_dict()
    assert gradcheck(layer, rng.standard_normal(shape)).ok
    for key, value in layer.state_dict().items():  # running statistics restored
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("layer,shape", [
    (BatchNorm2d(3), (4, 3, 2, 2)), (LayerNorm(5), (3, 5)), (GroupNorm(1, 3), (2, 3, 4)),
    (InstanceNorm2d(3), (2, 3, 3, 3)),
])
def test_norms_keep_float32(rng, layer, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32


def test_norm_argument_errors():
    with pytest.raises(ValueError, match="divisible"):
        GroupNorm(3, 4)
    with pytest.raises(ValueError, match="channels"):
        BatchNorm2d(3)(np.zeros((2, 4, 2, 2)))
    with pytest.raises(ValueError, match="4-D"):
        BatchNorm2d(3)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="ending in"):
        LayerNorm(4)(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(3, momentum=2.0)
