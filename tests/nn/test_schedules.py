"""Every schedule's learning rates equal to torch.optim.lr_scheduler's, step by step, for 200 steps."""

import math
import warnings

import numpy as np
import pytest

from torch_parity import needs_torch, torch

from mlatlas.nn import SGD, Adam, Parameter
from mlatlas.nn import schedules

STEPS = 200
RTOL = 1e-13


def our_optimizer(kind="sgd", lrs=(0.1,)):
    """One of our optimizers with one parameter group per lr."""
    groups = [{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0], momentum=0.9) if kind == "sgd" else Adam(groups, lr=lrs[0])


def optimizers(kind="sgd", lrs=(0.1,)):
    """Matching optimizers (one parameter group per lr) from both libraries."""
    torch_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return our_optimizer(kind, lrs), torch.optim.SGD(torch_groups, lr=lrs[0], momentum=0.9)
    return our_optimizer(kind, lrs), torch.optim.Adam(torch_groups, lr=lrs[0])


def assert_same_rates(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=0, err_msg=f"step {step}")


def run(make, kind="sgd", lrs=(0.1,), steps=STEPS, metrics=None, track=None):
    """Step both schedules ``steps`` times; return the learning rates (and ``track``ed group keys)."""
    out = []
    for lib, opt in zip(("ours", "torch"), optimizers(kind, lrs)):
        sched = make(schedules if lib == "ours" else torch.optim.lr_scheduler, opt)
        rates = [list(sched.get_last_lr())]
        tracked = []
        for t in range(steps):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[t])
            rates.append(list(sched.get_last_lr()))
            rates[-1] += [float(g["lr"]) for g in opt.param_groups]  # the groups hold the same rates
            if track:
                tracked.append([g[track] if track != "betas" else g["betas"][0] for g in opt.param_groups])
        out.append((rates, tracked))
    (ours, ours_tracked), (theirs, theirs_tracked) = out
    assert_same_rates(ours, theirs)
    if track:
        assert_same_rates(ours_tracked, theirs_tracked)
    return ours


CASES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=30, gamma=0.5),
    "StepLR-1": lambda m, o: m.StepLR(o, step_size=1, gamma=0.97),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[20, 50, 50, 120], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.98),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=40),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=60),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=150),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=200),
    "CosineAnnealingLR-periodic": lambda m, o: m.CosineAnnealingLR(o, T_max=37, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=25, eta_min=1e-4),
    "CosineAnnealingWarmRestarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=200),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(o, max_lr=0.4, epochs=10, steps_per_epoch=20,
                                                          anneal_strategy="linear", three_phase=True,
                                                          pct_start=0.25),
    "OneCycleLR-per-group-max": lambda m, o: m.OneCycleLR(o, max_lr=[0.4, 0.2][:len(o.param_groups)],
                                                          total_steps=250, div_factor=10.0),
    "SequentialLR-warmup-cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.01, total_iters=20), m.CosineAnnealingLR(o, T_max=180)], milestones=[20]),
    "SequentialLR-three": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=10), m.ExponentialLR(o, gamma=0.97),
            m.StepLR(o, step_size=15, gamma=0.5)], milestones=[30, 90]),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("lrs", [(0.1,), (0.05, 0.3)], ids=["one-group", "two-groups"])
def test_learning_rates_match_torch(name, lrs):
    rates = run(CASES[name], lrs=lrs)
    assert len(rates) == STEPS + 1
    assert len({round(r[0], 12) for r in rates}) > 1  # the schedule really moves


@needs_torch
@pytest.mark.parametrize("kind,track", [("sgd", "momentum"), ("adam", "betas")])
def test_one_cycle_cycles_momentum_like_torch(kind, track):
    run(lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=200, base_momentum=0.8, max_momentum=0.9),
        kind=kind, track=track)


@needs_torch
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", factor=0.5, patience=3, threshold=0.01, cooldown=2),
    dict(factor=0.5, patience=2, threshold_mode="abs", threshold=0.05, min_lr=0.004),
])
def test_reduce_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(0)
    # improving, then a noisy plateau, then improving again
    metric = np.concatenate([np.linspace(2, 1, 40), 1 + 0.02 * rng.standard_normal(100), np.linspace(1, 0.5, 60)])
    if kwargs.get("mode") == "max":
        metric = -metric
    rates = run(lambda m, o: m.ReduceLROnPlateau(o, **kwargs), metrics=list(metric))
    assert rates[-1][0] < rates[0][0]


@needs_torch
def test_chained_schedules_match_torch():
    """Two chainable schedules acting on one optimizer, as in PyTorch."""
    out = []
    for lib, opt in zip((schedules, torch.optim.lr_scheduler), optimizers()):
        first, second = lib.StepLR(opt, step_size=10, gamma=0.5), lib.ExponentialLR(opt, gamma=0.99)
        rates = []
        for _ in range(STEPS):
            opt.step()
            first.step()
            second.step()
            rates.append(opt.param_groups[0]["lr"])
        out.append(rates)
    assert_same_rates(*out)


@needs_torch
@pytest.mark.parametrize("make", [
    lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    lambda m, o: m.MultiStepLR(o, milestones=[5, 12], gamma=0.1),
    lambda m, o: m.ExponentialLR(o, gamma=0.9),
    lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=10),
    lambda m, o: m.CosineAnnealingLR(o, T_max=20),
])
def test_step_with_epoch_uses_the_closed_form_like_torch(make):
    out = []
    for lib, opt in zip((schedules, torch.optim.lr_scheduler), optimizers()):
        sched = make(lib, opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rates = []
            for epoch in (3, 9, 14, 25, 4):
                sched.step(epoch)
                rates.append(sched.get_last_lr()[0])
        out.append(rates)
    assert_same_rates(*out)


@needs_torch
def test_warm_restarts_with_fractional_epochs_match_torch():
    out = []
    for lib, opt in zip((schedules, torch.optim.lr_scheduler), optimizers()):
        sched = lib.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.001)
        rates = []
        for epoch in range(30):
            for batch in range(4):
                sched.step(epoch + batch / 4)
                rates.append(sched.get_last_lr()[0])
        out.append(rates)
    assert_same_rates(*out)


def test_cosine_closed_form_and_recursive_form_agree():
    opt = our_optimizer()
    sched = schedules.CosineAnnealingLR(opt, T_max=50, eta_min=0.01)
    for t in range(1, 51):
        opt.step()
        sched.step()
        closed = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 50)) / 2
        assert abs(sched.get_last_lr()[0] - closed) < 1e-15


def test_schedule_state_dict_round_trip():
    opt = our_optimizer()
    sched = schedules.StepLR(opt, step_size=3, gamma=0.5)
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 4
    other_opt = our_optimizer()
    other = schedules.StepLR(other_opt, step_size=3, gamma=0.5)
    other.load_state_dict(state)
    assert other.last_epoch == 4 and other.get_last_lr() == sched.get_last_lr()


def test_schedule_errors():
    opt = our_optimizer()
    with pytest.raises(TypeError, match="not an Optimizer"):
        schedules.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="T_0"):
        schedules.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="total_steps"):
        schedules.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Factor"):
        schedules.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="milestone"):
        schedules.SequentialLR(opt, [schedules.StepLR(opt, 2), schedules.StepLR(opt, 3)], milestones=[])
    one_cycle = schedules.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    one_cycle.step()
    one_cycle.step()
    with pytest.raises(ValueError, match="Tried to step"):
        one_cycle.step()
