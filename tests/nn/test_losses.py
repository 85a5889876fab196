"""MSE, cross-entropy and BCE-with-logits against PyTorch (float64, loss and gradient) and by hand."""

import numpy as np
import pytest

from torch_parity import needs_torch, rel_err, torch

from mlatlas.nn import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, gradcheck

TOL = 1e-10



def compare(ours, theirs, pred, target, rng):
    p = torch.tensor(pred, requires_grad=True)
    loss_t = theirs(p, torch.tensor(target))
    loss = ours(pred, target)
    if np.ndim(loss):
        g = rng.standard_normal(np.shape(loss))
        loss_t.backward(torch.tensor(g))
        grad = ours.backward(g)
    else:
        loss_t.backward()
        grad = ours.backward()
    return rel_err(loss, loss_t), rel_err(grad, p.grad)


REDUCTIONS = ["mean", "sum", "none"]


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4)])
def test_mse_matches_torch(rng, reduction, shape):
    errs = compare(MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction),
                   rng.standard_normal(shape), rng.standard_normal(shape), rng)
    assert max(errs) <= TOL


def test_half_mse_is_the_notes_form(rng):
    pred, target = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    half, full = MSELoss(half=True), MSELoss()
    assert abs(float(half(pred, target)) - 0.5 * float(full(pred, target))) < 1e-15
    # d/dpred of mean(1/2 (pred - y)^2) = (pred - y) / n
    np.testing.assert_allclose(half.backward(), (pred - target) / pred.size, rtol=1e-14)
    one = MSELoss(half=True)
    assert abs(float(one(np.array([-0.18]), np.array([1.0]))) - 0.6962) < 1e-12
    np.testing.assert_allclose(one.backward(), [-1.18], rtol=1e-14)


CE_OPTIONS = [dict(), dict(weight=True), dict(label_smoothing=0.2), dict(ignore_index=2),
              dict(weight=True, label_smoothing=0.1, ignore_index=1)]


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: "-".join(o) or "plain")
@pytest.mark.parametrize("shape", [(6, 5), (3, 5, 2, 4)])
def test_cross_entropy_integer_targets_match_torch(rng, reduction, options, shape):
    kwargs = dict(options)
    if kwargs.get("weight"):
        kwargs["weight"] = rng.random(5) + 0.2
    torch_kwargs = {k: (torch.tensor(v) if k == "weight" else v) for k, v in kwargs.items()}
    target_shape = (shape[0],) + shape[2:]
    target = rng.integers(0, 5, target_shape)
    errs = compare(CrossEntropyLoss(reduction=reduction, **kwargs),
                   torch.nn.CrossEntropyLoss(reduction=reduction, **torch_kwargs),
                   rng.standard_normal(shape) * 3, target, rng)
    assert max(errs) <= TOL


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [dict(), dict(weight=True), dict(weight=True, label_smoothing=0.3)],
                         ids=lambda o: "-".join(o) or "plain")
def test_cross_entropy_probability_targets_match_torch(rng, reduction, options):
    kwargs = dict(options)
    if kwargs.get("weight"):
        kwargs["weight"] = rng.random(4) + 0.2
    torch_kwargs = {k: (torch.tensor(v) if k == "weight" else v) for k, v in kwargs.items()}
    probs = rng.random((5, 4))
    probs /= probs.sum(axis=1, keepdims=True)
    errs = compare(CrossEntropyLoss(reduction=reduction, **kwargs),
                   torch.nn.CrossEntropyLoss(reduction=reduction, **torch_kwargs),
                   rng.standard_normal((5, 4)) * 3, probs, rng)
    assert max(errs) <= TOL


@needs_torch
def test_cross_entropy_unbatched_matches_torch(rng):
    errs = compare(CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), rng.standard_normal(5), np.array(3), rng)
    assert max(errs) <= TOL


def test_cross_entropy_is_stable_for_large_logits():
    loss = CrossEntropyLoss()
    value = loss(np.array([[1000.0, -1000.0, 0.0]]), np.array([0]))
    assert np.isfinite(value) and float(value) == 0.0
    assert np.all(np.isfinite(loss.backward()))


def test_cross_entropy_by_hand():
    loss = CrossEntropyLoss()
    z = np.array([[2.0, 0.0, 0.0]])
    value = loss(z, np.array([0]))
    assert abs(float(value) - (np.log(np.exp(2) + 2) - 2)) < 1e-14
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(loss.backward(), p - [[1, 0, 0]], rtol=1e-14)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [dict(), dict(pos_weight=True), dict(weight=True, pos_weight=True)],
                         ids=lambda o: "-".join(o) or "plain")
def test_bce_with_logits_matches_torch(rng, reduction, options):
    kwargs = {}
    if options.get("pos_weight"):
        kwargs["pos_weight"] = rng.random(3) + 0.5
    if options.get("weight"):
        kwargs["weight"] = rng.random((4, 3))
    torch_kwargs = {k: torch.tensor(v) for k, v in kwargs.items()}
    target = (rng.random((4, 3)) > 0.5).astype(float)
    errs = compare(BCEWithLogitsLoss(reduction=reduction, **kwargs),
                   torch.nn.BCEWithLogitsLoss(reduction=reduction, **torch_kwargs),
                   rng.standard_normal((4, 3)) * 5, target, rng)
    assert max(errs) <= TOL


def test_bce_with_logits_is_stable():
    loss = BCEWithLogitsLoss(reduction="none")
    values = loss(np.array([800.0, -800.0, 800.0]), np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(values, [0.0, 0.0, 800.0])
    np.testing.assert_allclose(loss.backward(np.ones(3)), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("loss,pred_shape,target", [
    (MSELoss(), (3, 2), np.arange(6.0).reshape(3, 2) / 6),
    (MSELoss(half=True, reduction="sum"), (4,), np.ones(4)),
    (CrossEntropyLoss(label_smoothing=0.1, weight=np.array([1.0, 2.0, 0.5])), (4, 3), np.array([0, 2, 1, 1])),
    (CrossEntropyLoss(reduction="sum"), (2, 3, 2), np.array([[0, 2], [1, 1]])),
    (BCEWithLogitsLoss(pos_weight=np.array([2.0, 0.5])), (3, 2), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])),
])
def test_gradcheck_losses(rng, loss, pred_shape, target):
    assert gradcheck(loss, rng.standard_normal(pred_shape), target=target).ok


@pytest.mark.parametrize("loss,target", [(MSELoss(), np.zeros((3, 4))), (CrossEntropyLoss(), np.array([0, 1, 3])),
                                         (BCEWithLogitsLoss(), np.ones((3, 4)))])
def test_losses_keep_float32(rng, loss, target):
    pred = rng.standard_normal((3, 4)).astype(np.float32)
    value = loss(pred, target)
    assert value.dtype == np.float32 and loss.backward().dtype == np.float32


def test_loss_errors():
    with pytest.raises(ValueError, match="reduction"):
        MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="target values"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="integer class indices"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="same as input size"):
        BCEWithLogitsLoss()(np.zeros((2, 3)), np.zeros(3))
    loss = MSELoss(reduction="none")
    loss(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="grad_out"):
        loss.backward()
