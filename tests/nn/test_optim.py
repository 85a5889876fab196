"""SGD, Adam and AdamW: parameter trajectories equal to PyTorch's for 200 steps."""

import numpy as np
import pytest

from torch_parity import needs_torch, rel_err, torch

from mlatlas.nn import SGD, Adam, AdamW, Linear, MSELoss, Parameter, Sequential, Tanh

STEPS = 200
TOL = 1e-10



def gradient(theta, t):
    """A deterministic, parameter-dependent gradient (of a wobbly quadratic) at step t."""
    return np.sin(3 * theta + 0.1 * t) + 0.5 * theta + 0.3 * np.cos(t)


def run_trajectories(ours_cls, torch_cls, kwargs, rng, steps=STEPS, two_groups=False):
    init = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    ours_params = [Parameter(a) for a in init]
    torch_params = [torch.tensor(a, requires_grad=True) for a in init]
    if two_groups:
        ours_opt = ours_cls([{"params": [ours_params[0]]}, {"params": [ours_params[1]], "lr": 0.003}], **kwargs)
        torch_opt = torch_cls([{"params": [torch_params[0]]}, {"params": [torch_params[1]], "lr": 0.003}], **kwargs)
    else:
        ours_opt, torch_opt = ours_cls(ours_params, **kwargs), torch_cls(torch_params, **kwargs)
    worst = 0.0
    for t in range(steps):
        for p, tp in zip(ours_params, torch_params):
            g = gradient(p.data, t)
            p.grad = g
            tp.grad = torch.tensor(gradient(tp.detach().numpy(), t))
        ours_opt.step()
        torch_opt.step()
        worst = max(worst, *(rel_err(p.data, tp) for p, tp in zip(ours_params, torch_params)))
    return worst, ours_opt, torch_opt, ours_params, torch_params


SGD_SETTINGS = [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.02, momentum=0.8, dampening=0.3, weight_decay=0.01),
    dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.05),
    dict(lr=0.01, momentum=0.5, maximize=True),
]


@needs_torch
@pytest.mark.parametrize("kwargs", SGD_SETTINGS)
def test_sgd_trajectory_matches_torch(rng, kwargs):
    worst, *_ = run_trajectories(SGD, torch.optim.SGD, kwargs, rng)
    assert worst <= TOL


ADAM_SETTINGS = [
    dict(lr=0.01),
    dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True),
    dict(lr=0.01, betas=(0.3, 0.9)),
]


@needs_torch
@pytest.mark.parametrize("kwargs", ADAM_SETTINGS)
def test_adam_trajectory_matches_torch(rng, kwargs):
    worst, *_ = run_trajectories(Adam, torch.optim.Adam, kwargs, rng)
    assert worst <= TOL


@needs_torch
@pytest.mark.parametrize("kwargs", [dict(lr=0.01), dict(lr=0.02, weight_decay=0.3, amsgrad=True),
                                    dict(lr=0.01, betas=(0.85, 0.95), weight_decay=0.0)])
def test_adamw_trajectory_matches_torch(rng, kwargs):
    worst, *_ = run_trajectories(AdamW, torch.optim.AdamW, kwargs, rng)
    assert worst <= TOL


@needs_torch
@pytest.mark.parametrize("ours_cls,torch_name,kwargs", [
    (SGD, "SGD", dict(lr=0.05, momentum=0.9)),
    (Adam, "Adam", dict(lr=0.01)),
])
def test_parameter_groups_match_torch(rng, ours_cls, torch_name, kwargs):
    torch_cls = getattr(torch.optim, torch_name)
    worst, ours_opt, torch_opt, *_ = run_trajectories(ours_cls, torch_cls, kwargs, rng, steps=50, two_groups=True)
    assert worst <= TOL
    assert [g["lr"] for g in ours_opt.param_groups] == [g["lr"] for g in torch_opt.param_groups]


@needs_torch
@pytest.mark.parametrize("ours_cls,torch_name,kwargs", [
    (SGD, "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    (Adam, "Adam", dict(lr=0.01, amsgrad=True)),
    (AdamW, "AdamW", dict(lr=0.01, weight_decay=0.1)),
])
def test_state_dict_from_torch_continues_the_trajectory(rng, ours_cls, torch_name, kwargs):
    """Run 30 steps in torch, load its optimizer state and parameters into ours, continue both."""
    torch_cls = getattr(torch.optim, torch_name)
    init = rng.standard_normal((4, 3))
    tp = torch.tensor(init, requires_grad=True)
    topt = torch_cls([tp], **kwargs)
    for t in range(30):
        tp.grad = torch.tensor(gradient(tp.detach().numpy(), t))
        topt.step()
    p = Parameter(tp.detach().numpy())
    opt = ours_cls([p], **kwargs)
    opt.load_state_dict(topt.state_dict())
    for t in range(30, 80):
        p.grad = gradient(p.data, t)
        tp.grad = torch.tensor(gradient(tp.detach().numpy(), t))
        opt.step()
        topt.step()
    assert rel_err(p.data, tp) <= TOL
    # our state dict has PyTorch's layout and keys
    ours_state, torch_state = opt.state_dict(), topt.state_dict()
    assert set(ours_state["state"][0]) == set(torch_state["state"][0])
    assert ours_state["param_groups"][0]["params"] == torch_state["param_groups"][0]["params"]
    for key, value in torch_state["state"][0].items():
        assert rel_err(np.asarray(ours_state["state"][0][key], dtype=float), value.double()) <= TOL


def test_state_dict_round_trip(rng):
    p = Parameter(rng.standard_normal(3))
    opt = Adam([p], lr=0.1)
    for t in range(5):
        p.grad = gradient(p.data, t)
        opt.step()
    state = opt.state_dict()
    q = Parameter(p.data)
    other = Adam([q], lr=0.5)
    other.load_state_dict(state)
    assert other.lr == 0.1
    for t in range(5, 10):
        p.grad = gradient(p.data, t)
        q.grad = gradient(q.data, t)
        opt.step()
        other.step()
    np.testing.assert_array_equal(p.data, q.data)


@needs_torch
def test_training_a_network_matches_torch(rng):
    """Module gradients + optimizer together: 200 Adam steps on a small regression net."""
    ours = Sequential(Linear(3, 8, random_state=0), Tanh(), Linear(8, 1, random_state=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    X, y = rng.standard_normal((32, 3)), rng.standard_normal((32, 1))
    opt, topt = Adam(ours.parameters(), lr=0.01), torch.optim.Adam(theirs.parameters(), lr=0.01)
    loss_fn, tloss_fn = MSELoss(), torch.nn.MSELoss()
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(ours(X), y)
        ours.backward(loss_fn.backward())
        opt.step()
        topt.zero_grad()
        tloss = tloss_fn(theirs(Xt), yt)
        tloss.backward()
        topt.step()
    assert abs(float(loss) - tloss.item()) <= TOL * abs(tloss.item())
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert rel_err(p.data, tp) <= 1e-9, name


def test_float32_parameters_stay_float32(rng):
    for cls in (SGD, Adam, AdamW):
        p = Parameter(rng.standard_normal(4).astype(np.float32))
        opt = cls([p], lr=0.1)
        p.grad = np.ones(4, dtype=np.float32)
        opt.step()
        assert p.data.dtype == np.float32


def test_skips_parameters_without_gradient_and_zero_grad(rng):
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = SGD([a, b], lr=0.5, weight_decay=0.1)
    a.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    np.testing.assert_allclose(a.data, 1 - 0.5 * (1 + 0.1))
    opt.zero_grad()
    assert a.grad is None
    opt.lr = 0.01
    assert opt.param_groups[0]["lr"] == 0.01


def test_optimizer_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([Parameter([1.0])], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        Adam([Parameter([1.0])], lr=-1)
    with pytest.raises(ValueError, match="beta"):
        Adam([Parameter([1.0])], betas=(1.0, 0.9))
    with pytest.raises(TypeError, match="Parameters"):
        SGD([np.ones(2)], lr=0.1)
    p = Parameter([1.0])
    with pytest.raises(ValueError, match="more than one"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
