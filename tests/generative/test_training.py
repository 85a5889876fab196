"""The one trainer: loss goes down, exact resume, Ctrl-C, the NaN guard, history, RNG hygiene."""

import os
import signal

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mlatlas.generative import (GAN, VAE, Autoencoder, DenoisingAutoencoder, NonFiniteLossError,  # noqa: E402
                                SparseAutoencoder, Trainer)
from mlatlas.generative import checkpoint as ckpt  # noqa: E402
from mlatlas.generative.training import EMA, Noise, generator_state  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.data[:96] > 8).astype(np.float32), d.data[:96] / 16.0, d.target[:96]


TINY = dict(batch_size=32, random_state=7)


def tiny(cls, **kwargs):
    size = dict(hidden_sizes=(16,))
    if cls is VAE:
        size["latent_dim"] = 3
    elif cls is GAN:
        size["latent_dim"] = 4
    else:
        size["code_dim"] = 4 if cls is not SparseAutoencoder else 8
    return cls(**{**TINY, **size, **kwargs})


def training_tensors(model):
    """Every tensor a resumed run depends on, by name."""
    out = {f"network.{k}": v for k, v in model.network_.state_dict().items()}
    if model.ema_ is not None:
        out.update({f"ema.{k}": v for k, v in model.ema_.shadow.items()})
    for phase, opt in model._training.optimizers.items():
        for index, state in opt.state_dict()["state"].items():
            out.update({f"opt.{phase}.{index}.{k}": v for k, v in state.items()})
    out["rng.noise"] = model._training.generator.get_state()
    return out


def assert_same_run(a, b):
    ta, tb = training_tensors(a), training_tensors(b)
    assert sorted(ta) == sorted(tb)
    different = [k for k in ta if not torch.equal(ta[k], tb[k])]
    assert not different, different
    strip = [[{k: v for k, v in row.items() if k != "seconds"} for row in m.history_] for m in (a, b)]
    assert strip[0] == strip[1]
    assert (a._training.step, a._training.epoch, a._training.batch) == (b._training.step, b._training.epoch,
                                                                        b._training.batch)
    for phase, sched in a._training.schedulers.items():
        other = b._training.schedulers[phase]
        assert (sched is None and other is None) or sched.state_dict() == other.state_dict()


RESUMABLE = [
    (VAE, dict(ema_decay=0.9, lr_schedule="exponential", lr_gamma=0.9), "binary"),
    (VAE, dict(n_classes=10, decoder="gaussian"), "gray"),
    (GAN, dict(ema_decay=0.5), "gray"),
    (DenoisingAutoencoder, dict(corruption="gaussian"), "gray"),
    (SparseAutoencoder, dict(sparsity="l1", code_activation="relu"), "gray"),
]


def data_for(kind, digits, model):
    binary, gray, y = digits
    return (binary if kind == "binary" else gray), (y if model.conditional else None)


@pytest.mark.parametrize("cls, extra, kind", RESUMABLE)
def test_training_2n_equals_n_then_resume_to_2n_bit_for_bit(tmp_path, digits, cls, extra, kind):
    straight = tiny(cls, epochs=4, **extra)
    X, y = data_for(kind, digits, straight)
    straight.fit(X, y, checkpoint_dir=tmp_path / "straight")
    tiny(cls, epochs=2, **extra).fit(X, y, checkpoint_dir=tmp_path / "split")
    resumed = tiny(cls, epochs=4, **extra).fit(X, y, checkpoint_dir=tmp_path / "split", resume=True)
    assert_same_run(straight, resumed)
    assert len(resumed.history_) == 4 and resumed.history_[-1]["step"] == 4 * 3
    # the final checkpoints hold the same weights, byte for byte
    final = [ckpt.latest_checkpoint(tmp_path / run) for run in ("straight", "split")]
    assert [os.path.basename(f) for f in final] == ["step-000000012"] * 2
    for name in ("model.safetensors", "optimizer.safetensors"):
        assert open(os.path.join(final[0], name), "rb").read() == open(os.path.join(final[1], name), "rb").read()


def test_ctrl_c_mid_epoch_saves_a_checkpoint_and_resumes_exactly(tmp_path, digits, capsys):
    X = digits[0]
    straight = tiny(VAE, epochs=3, ema_decay=0.8).fit(X)
    model = tiny(VAE, epochs=3, ema_decay=0.8)
    calls = {"n": 0}
    loss_terms = model._loss_terms

    def press_ctrl_c_at_step_5(network, phase, x, y, noise):
        calls["n"] += 1
        if calls["n"] == 5:  # epoch 2, batch 2 of 3
            os.kill(os.getpid(), signal.SIGINT)
        return loss_terms(network, phase, x, y, noise)

    model._loss_terms = press_ctrl_c_at_step_5
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, checkpoint_dir=tmp_path)
    message = capsys.readouterr().err
    assert "interrupted at step 5" in message and "resume=True" in message
    latest = ckpt.latest_checkpoint(tmp_path)
    assert os.path.basename(latest) == "step-000000005"
    assert model._training.batch == 2 and model._training.epoch == 1
    resumed = tiny(VAE, epochs=3, ema_decay=0.8).fit(X, checkpoint_dir=tmp_path, resume=True)
    assert_same_run(straight, resumed)


def test_ctrl_c_without_checkpoint_dir_writes_a_temporary_one(digits, capsys):
    model = tiny(Autoencoder, epochs=2)
    loss_terms = model._loss_terms

    def interrupt(network, phase, x, y, noise):
        os.kill(os.getpid(), signal.SIGINT)
        return loss_terms(network, phase, x, y, noise)

    model._loss_terms = interrupt
    with pytest.raises(KeyboardInterrupt):
        model.fit(digits[1])
    message = capsys.readouterr().err
    folder = message.split("checkpoint written to ")[1].split(".\n")[0]
    try:
        assert Autoencoder.load(folder)._training.step == 1
    finally:
        import shutil

        shutil.rmtree(os.path.dirname(folder))


def _digest(folder):
    import hashlib

    return {name: hashlib.sha256(open(os.path.join(folder, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(folder))}


def test_nan_loss_stops_with_an_error_naming_step_and_term_and_keeps_the_last_checkpoint(tmp_path, digits):
    X = digits[0]
    model = tiny(VAE, epochs=4)
    loss_terms = model._loss_terms
    calls = {"n": 0}

    def kl_turns_nan_at_step_8(network, phase, x, y, noise):
        terms = loss_terms(network, phase, x, y, noise)
        calls["n"] += 1
        if calls["n"] == 8:
            terms["kl"] = terms["kl"] * float("nan")
        return terms

    model._loss_terms = kl_turns_nan_at_step_8
    with pytest.raises(NonFiniteLossError, match=r"loss term 'kl' of phase 'loss' became nan at step 7 "
                                                 r"\(epoch 3, batch 2\)") as info:
        model.fit(X, checkpoint_dir=tmp_path, checkpoint_every=1)
    assert isinstance(info.value, ValueError)
    assert info.value.step == 7 and info.value.term == "kl" and info.value.epoch == 3
    latest = ckpt.latest_checkpoint(tmp_path)
    assert os.path.basename(latest) == "step-000000006" and info.value.checkpoint == latest
    assert sorted(os.listdir(tmp_path)) == ["latest", "step-000000003", "step-000000006"]
    before = _digest(latest)
    # the latest checkpoint is the state after 2 epochs, intact and loadable
    reference = tiny(VAE, epochs=2).fit(X)
    loaded = VAE.load(tmp_path)
    assert _digest(latest) == before
    assert_same_run(reference, loaded)


def test_loss_that_is_inf_from_the_start_has_no_checkpoint_to_point_to(digits):
    model = tiny(Autoencoder, epochs=1)
    model._loss_terms = lambda network, phase, x, y, noise: {"loss": network["encoder"](x.flatten(1)).sum() * np.inf}
    with pytest.raises(NonFiniteLossError, match="became (inf|-inf|nan) at step 0.*No checkpoint was written"):
        model.fit(digits[1])


def test_training_never_touches_the_global_torch_generator(digits):
    torch.manual_seed(1)
    before = torch.get_rng_state()
    first = tiny(VAE, epochs=1).fit(digits[0])
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(99)  # a different global seed changes nothing
    second = tiny(VAE, epochs=1).fit(digits[0])
    assert all(torch.equal(a, b) for a, b in zip(first.network_.state_dict().values(),
                                                 second.network_.state_dict().values()))
    third = tiny(VAE, epochs=1, random_state=8).fit(digits[0])
    assert not torch.equal(first.network_.state_dict()["decoder.0.weight"],
                           third.network_.state_dict()["decoder.0.weight"])


def test_random_state_none_records_a_fresh_seed(tmp_path, digits):
    a = tiny(Autoencoder, epochs=1, random_state=None).fit(digits[1], checkpoint_dir=tmp_path)
    b = tiny(Autoencoder, epochs=2, random_state=None).fit(digits[1], checkpoint_dir=tmp_path, resume=True)
    assert a._training.seed == b._training.seed
    c = tiny(Autoencoder, epochs=1, random_state=None).fit(digits[1])
    assert c._training.seed != a._training.seed  # 1 in 2^32 to fail


def test_history_rows_and_learning_rate_schedules(digits):
    model = tiny(VAE, epochs=3, lr_schedule="exponential", lr_gamma=0.5, learning_rate=0.01,
                 importance_samples=1).fit(digits[0])
    assert [row["epoch"] for row in model.history_] == [1, 2, 3]
    assert [row["step"] for row in model.history_] == [3, 6, 9]
    assert [row["lr"] for row in model.history_] == pytest.approx([0.01, 0.005, 0.0025])
    assert all(set(row) == {"epoch", "step", "loss", "reconstruction", "kl", "lr", "seconds"} for row in model.history_)
    for row in model.history_:
        assert row["loss"] == pytest.approx(row["reconstruction"] + row["kl"], rel=1e-6)
        assert row["seconds"] > 0
    cosine = tiny(GAN, epochs=4, lr_schedule="cosine", learning_rate=0.01).fit(digits[1])
    lrs = [row["lr_generator"] for row in cosine.history_]
    assert lrs[0] == pytest.approx(0.01) and lrs == sorted(lrs, reverse=True)
    assert lrs == [row["lr_discriminator"] for row in cosine.history_]
    assert cosine.history_.column("d_real").shape == (4,)


def test_checkpoints_every_k_epochs_keep_the_newest(tmp_path, digits):
    model = tiny(Autoencoder, epochs=5).fit(digits[1], checkpoint_dir=tmp_path, checkpoint_every=2,
                                             keep_checkpoints=2)
    assert sorted(os.listdir(tmp_path)) == ["latest", "step-000000012", "step-000000015"]
    assert open(tmp_path / "latest").read().strip() == "step-000000015"
    assert Autoencoder.load(tmp_path)._training.step == model._training.step == 15


def test_resume_refuses_other_configs_data_and_runs(tmp_path, digits):
    X = digits[0]
    tiny(VAE, epochs=2, lr_schedule="cosine").fit(X, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="already holds a training run.*resume=True"):
        tiny(VAE, epochs=2, lr_schedule="cosine").fit(X, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match=r"differs from the checkpoint's in importance_samples \(2 here, 5"):
        tiny(VAE, epochs=3, lr_schedule="cosine", importance_samples=2).fit(X, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match="training data differ"):
        tiny(VAE, epochs=2, lr_schedule="cosine").fit(X[::-1], checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match="lr_schedule='cosine' anneals over the 2 epochs"):
        tiny(VAE, epochs=3, lr_schedule="cosine").fit(X, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match="already trained 2 epochs"):
        tiny(VAE, epochs=1, lr_schedule="cosine").fit(X, checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match="holds a VAE checkpoint, not a GAN one"):
        tiny(GAN, epochs=3).fit(X, checkpoint_dir=tmp_path, resume=True)
    same = tiny(VAE, epochs=2, lr_schedule="cosine").fit(X, checkpoint_dir=tmp_path, resume=True)
    assert len(same.history_) == 2  # nothing left to do
    with pytest.raises(ValueError, match="no such checkpoint directory"):
        tiny(VAE).fit(X, checkpoint_dir=tmp_path / "nothing", resume=True)


@pytest.mark.parametrize("cls, kind", [(Autoencoder, "gray"), (SparseAutoencoder, "gray"),
                                       (DenoisingAutoencoder, "gray"), (VAE, "binary"), (GAN, "gray")])
def test_one_step_of_each_phase_lowers_its_loss(digits, cls, kind):
    model = tiny(cls, epochs=1, learning_rate=1e-3)
    X, y = data_for(kind, digits, model)
    model.fit(X, y)
    xb = torch.from_numpy(X[:32].astype(np.float32)).reshape(32, 1, 8, 8)
    for phase in model.phases:
        optimizer = model._training.optimizers[phase]

        def loss():
            noise = Noise(torch.Generator().manual_seed(11), 32, torch.device("cpu"))
            return next(iter(model._loss_terms(model.network_, phase, xb, None, noise).values()))

        before = loss()
        optimizer.zero_grad()
        before.backward()
        optimizer.step()
        with torch.no_grad():
            assert loss().item() < before.item(), phase


@pytest.mark.parametrize("cls, kind", [(Autoencoder, "gray"), (SparseAutoencoder, "gray"),
                                       (DenoisingAutoencoder, "gray"), (VAE, "binary")])
def test_a_few_epochs_lower_the_training_loss(digits, cls, kind):
    model = tiny(cls, epochs=8, learning_rate=1e-2)
    X, _ = data_for(kind, digits, model)
    losses = model.fit(X).history_.column("loss")
    assert losses[-1] < 0.9 * losses[0]
    assert np.all(np.diff(losses[:4]) < 0)


def test_ema_follows_its_formula():
    net = torch.nn.Linear(3, 2)
    ema = EMA(net, decay=0.75)
    start = {k: v.clone() for k, v in ema.shadow.items()}
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(-2.0).add_(1.0)
    ema.update(net)
    for name, p in net.named_parameters():
        assert torch.allclose(ema.shadow[name], 0.75 * start[name] + 0.25 * p)
    assert ema.n_updates == 1
    copy = torch.nn.Linear(3, 2)
    ema.copy_to(copy)
    assert torch.equal(copy.weight, ema.shadow["weight"])


def test_noise_rows_do_not_depend_on_how_the_batch_is_split():
    cpu = torch.device("cpu")
    whole = Noise(torch.Generator().manual_seed(3), 7, cpu).randn(2)
    parts = [Noise(torch.Generator().manual_seed(3), 7, cpu, rank=r, world=2).randn(2) for r in (0, 1)]
    assert torch.equal(parts[0], whole[0::2]) and torch.equal(parts[1], whole[1::2])


def test_progress_bar_when_asked(digits, capsys):
    tiny(Autoencoder, epochs=2).fit(digits[1], progress=True)
    err = capsys.readouterr().err
    assert "Autoencoder epoch 2/2" in err and "reconstruction=" in err
    tiny(Autoencoder, epochs=1).fit(digits[1], progress=False)
    assert capsys.readouterr().err == ""


def test_trainer_arguments_are_checked():
    with pytest.raises(ValueError, match="checkpoint_every must be .*>= 1; got 0"):
        Trainer(checkpoint_every=0)
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        Trainer(resume=True)
    with pytest.raises(TypeError, match="progress must be None, True or False"):
        Trainer(progress="yes")


@pytest.mark.parametrize("X, error, pattern", [
    (np.zeros((4, 63)), ValueError, r"square one-channel images \(D = H\*W with H = W\); got D=63"),
    (np.zeros((4, 8, 8)), ValueError, r"X must have shape \(n, 1, H, W\) or \(n, H\*W\); got .* \(4, 8, 8\)"),
    (np.full((4, 64), 2.0), ValueError, r"values in \[0, 1\]; got values in \[2, 2\]"),
    (np.full((4, 64), np.nan), ValueError, r"finite values"),
    (np.zeros((0, 64)), ValueError, r"at least one image"),
    (np.array([["a"] * 64]), ValueError, r"X must hold numbers in \[0, 1\]; got an array of dtype <U1"),
])
def test_training_data_is_checked(X, error, pattern):
    with pytest.raises(error, match=pattern):
        tiny(Autoencoder, epochs=1).fit(X)


def test_conditional_models_need_valid_labels(digits):
    X, y = digits[0], digits[2]
    with pytest.raises(ValueError, match=r"is conditional: fit needs the labels y"):
        tiny(VAE, n_classes=10).fit(X)
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 3\)"):
        tiny(VAE, n_classes=3).fit(X, y)
    with pytest.raises(ValueError, match=r"y must have shape \(96,\)"):
        tiny(VAE, n_classes=10).fit(X, y[:5])


def test_torch_inputs_are_accepted(digits):
    X = torch.from_numpy(digits[1]).float().reshape(-1, 1, 8, 8)
    a = tiny(Autoencoder, epochs=1).fit(X)
    b = tiny(Autoencoder, epochs=1).fit(digits[1])
    assert np.array_equal(a.encode(X), b.encode(digits[1]))


def test_generator_state_round_trip():
    from mlatlas.generative.training import set_generator_state

    g = torch.Generator().manual_seed(5)
    torch.randn(3, generator=g)
    text = generator_state(g)
    h = torch.Generator()
    set_generator_state(h, text)
    assert torch.equal(torch.randn(4, generator=g), torch.randn(4, generator=h))
    with pytest.raises(ValueError, match="generator state has"):
        set_generator_state(h, "AAAA")


@pytest.mark.parametrize("cls", [GAN, VAE, DenoisingAutoencoder])
def test_an_epoch_callback_sees_every_epoch_and_leaves_training_unchanged(digits, cls):
    from mlatlas.generative.base import SampleSnapshots

    X = digits[1] if cls is not VAE else digits[0]
    seen = []

    def callback(model, epoch):
        seen.append((epoch, len(model.history_)))
        # evaluating in the callback (the moving average's weights, eval mode, own generators)
        if hasattr(model, "sample"):
            model.sample(4, random_state=epoch)
        else:
            model.reconstruct(X[:4])

    watched = tiny(cls, epochs=3).fit(X, callback=callback)
    plain = tiny(cls, epochs=3).fit(X)
    assert seen == [(1, 1), (2, 2), (3, 3)]  # after each epoch, with its history row
    assert_same_run(watched, plain)
    if cls is GAN:
        snapshots = SampleSnapshots([1, 3], n=5, random_state=2)
        trained = tiny(cls, epochs=3).fit(X, callback=snapshots)
        arrays = snapshots.arrays()
        assert arrays["snapshots.epochs"].tolist() == [1, 3]
        # the last snapshot is the trained model's sample from the snapshots' noise
        np.testing.assert_array_equal(arrays["snapshots.images"][1], trained.sample(5, random_state=2))


def test_a_callback_must_be_callable():
    with pytest.raises(TypeError, match="callback must be a function"):
        Trainer(callback=3)
