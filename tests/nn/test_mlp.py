"""MLPClassifier / MLPRegressor: parity with scikit-learn, gradients against PyTorch, the contract."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from mlatlas import load_model, save_model
from mlatlas.base import ConvergenceWarning, History
from mlatlas.nn import MLPClassifier, MLPRegressor
from mlatlas.nn.mlp import SCHEDULES, NonFiniteLossError


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Small matrix products: one BLAS thread is fastest and keeps timings sane on a busy machine."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# the estimator contract
# ---------------------------------------------------------------------------------------
@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ---------------------------------------------------------------------------------------
# parity with scikit-learn
# ---------------------------------------------------------------------------------------
def test_digits_accuracy_at_least_sklearns():
    """Same architecture (100 ReLU units), Adam lr 1e-3, batch 200, L2 1e-4, exactly 60 epochs each.

    Rule: over 10 paired runs (seed s: its own stratified 75/25 split, and random_state=s
    for both models), our mean test accuracy >= scikit-learn's mean - 0.5 point.  The
    standard error of the paired mean difference is about 0.2 point, so the margin is
    about 2.5 standard errors: it catches a real deficit, not seed noise.
    """
    from sklearn.neural_network import MLPClassifier as Reference

    X, y = load_digits(return_X_y=True)
    epochs = 60
    ours, theirs = [], []
    for seed in range(10):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
        mine = quiet(MLPClassifier((100,), max_epochs=epochs, n_iter_no_change=epochs, batch_size=200,
                                   random_state=seed).fit, X_tr, y_tr)
        ref = quiet(Reference(hidden_layer_sizes=(100,), max_iter=epochs, n_iter_no_change=epochs,
                              batch_size=200, random_state=seed).fit, X_tr, y_tr)
        assert mine.n_iter_ == ref.n_iter_ == epochs
        ours.append(mine.score(X_te, y_te))
        theirs.append(ref.score(X_te, y_te))
    assert np.mean(ours) >= np.mean(theirs) - 0.005, (np.mean(ours), np.mean(theirs))
    assert np.mean(ours) > 0.96


@pytest.mark.parametrize("dataset", ["diabetes", "linear"])
def test_regressor_r2_close_to_sklearns(dataset):
    """Same settings on both sides, 3 seeds: mean test R^2 within 0.05 (diabetes) / 0.02 (linear)."""
    from sklearn.neural_network import MLPRegressor as Reference

    if dataset == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        tol = 0.05
    else:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(300, 3))
        y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.3 * rng.normal(size=300)
        tol = 0.02
    settings = dict(hidden_layer_sizes=(16,), batch_size=32, max_epochs=150, learning_rate=1e-2, weight_decay=1.0)
    ours, theirs = [], []
    for seed in range(3):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed)
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
        mine = quiet(MLPRegressor(random_state=seed, **settings).fit, X_tr, y_tr)
        ref = quiet(Reference(hidden_layer_sizes=(16,), batch_size=32, max_iter=150, learning_rate_init=1e-2,
                              alpha=1.0, random_state=seed).fit, X_tr, y_tr)
        ours.append(mine.score(X_te, y_te))
        theirs.append(ref.score(X_te, y_te))
    assert abs(np.mean(ours) - np.mean(theirs)) <= tol, (ours, theirs)
    assert np.mean(ours) > (0.25 if dataset == "diabetes" else 0.95)


# ---------------------------------------------------------------------------------------
# gradients against PyTorch
# ---------------------------------------------------------------------------------------
def _torch_loss_and_grads(model, X, y, classifier):
    torch = pytest.importorskip("torch")
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda t: t}
    Ws = [torch.tensor(W, requires_grad=True) for W in model.coefs_]
    bs = [torch.tensor(b, requires_grad=True) for b in model.intercepts_]
    h = torch.tensor(X)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W + b
        if i < len(Ws) - 1:
            h = acts[model.activation](h)
    if classifier:
        target = torch.tensor(np.searchsorted(model.classes_, y))
        loss = torch.nn.functional.cross_entropy(h, target)
    else:
        target = torch.tensor(np.asarray(y, dtype=np.float64).reshape(h.shape))
        loss = 0.5 * torch.mean((h - target) ** 2)
    if model.optimizer != "adamw":
        # scikit-learn's L2 term alpha / (2 n) sum ||W||^2
        loss = loss + model.weight_decay / (2 * X.shape[0]) * sum((W * W).sum() for W in Ws)
    loss.backward()
    return float(loss.detach()), [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_classifier_gradient_equals_torch(activation, optimizer, rng):
    X = rng.normal(size=(40, 5))
    y = rng.choice(np.array(["a", "b", "c"]), size=40)
    model = quiet(MLPClassifier((7, 4), activation=activation, optimizer=optimizer, weight_decay=0.3,
                                max_epochs=3, random_state=0).fit, X, y)
    loss, dW, db = model.loss_gradient(X, y)
    ref_loss, ref_dW, ref_db = _torch_loss_and_grads(model, X, y, classifier=True)
    assert abs(loss - ref_loss) <= 1e-12 * abs(ref_loss)
    for ours, ref in zip(dW + db, ref_dW + ref_db):
        assert ours.shape == ref.shape
        assert np.max(np.abs(ours - ref)) <= 1e-10 * np.max(np.abs(ref))


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_gradient_equals_torch(n_outputs, rng):
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=(30, n_outputs)) if n_outputs > 1 else rng.normal(size=30)
    model = quiet(MLPRegressor((6,), activation="tanh", weight_decay=0.1, max_epochs=2, random_state=1).fit, X, y)
    loss, dW, db = model.loss_gradient(X, y)
    ref_loss, ref_dW, ref_db = _torch_loss_and_grads(model, X, y, classifier=False)
    assert abs(loss - ref_loss) <= 1e-12 * abs(ref_loss)
    for ours, ref in zip(dW + db, ref_dW + ref_db):
        assert np.max(np.abs(ours - ref)) <= 1e-10 * np.max(np.abs(ref))


def test_adam_steps_equal_torch(rng):
    """Full-batch epochs without shuffling are plain Adam steps: the weights equal torch.optim.Adam's."""
    torch = pytest.importorskip("torch")
    X, y = rng.normal(size=(25, 3)), rng.integers(0, 3, size=25)
    kwargs = dict(hidden_layer_sizes=(5,), batch_size="full", learning_rate=0.01, weight_decay=0.0,
                  shuffle=False, random_state=0)
    model = quiet(MLPClassifier(max_epochs=3, n_iter_no_change=3, **kwargs).fit, X, y)
    W1, W2, b1, b2 = params = [torch.tensor(a, requires_grad=True)
                               for a in _initial_weights(MLPClassifier(**kwargs), X, y)]
    opt = torch.optim.Adam(params, lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        logits = torch.relu(torch.tensor(X) @ W1 + b1) @ W2 + b2
        torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
        opt.step()
    for ours, ref in zip(model.coefs_ + model.intercepts_, params):
        assert np.max(np.abs(ours - ref.detach().numpy())) <= 1e-12


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "adamw"])
def test_regressor_training_with_weight_decay_equals_torch(optimizer, rng):
    """Shuffled mini-batch training with the L2 term (or AdamW's decoupled decay), step for step.

    The same initial weights and the same batches (the model's generator draws the
    initial weights, then one permutation per epoch) on both sides; the loss of each
    batch is 1/2 mean (h - y)^2 + alpha / (2 B) sum_l ||W_l||^2 (no L2 term for AdamW,
    whose decay torch.optim.AdamW applies itself).
    """
    torch = pytest.importorskip("torch")
    from mlatlas.base import check_random_state

    X = rng.normal(size=(30, 4))
    y = X @ np.array([1.0, -0.5, 2.0, 0.0]) + 0.1 * rng.normal(size=30)
    alpha, lr, batch, epochs = 3.0, 0.05, 8, 4
    kwargs = dict(hidden_layer_sizes=(6,), activation="tanh", optimizer=optimizer, batch_size=batch,
                  learning_rate=lr, weight_decay=alpha, random_state=3)
    model = quiet(MLPRegressor(max_epochs=epochs, n_iter_no_change=epochs, **kwargs).fit, X, y)

    model_rng = check_random_state(3)
    fresh = MLPRegressor(**kwargs)
    fresh._check_params()
    fresh._initialize(X.shape[1], 1, model_rng)
    W1, W2, b1, b2 = params = [torch.tensor(a.copy(), requires_grad=True)
                               for a in fresh.coefs_ + fresh.intercepts_]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9)
    else:
        opt = torch.optim.AdamW([{"params": [W1, W2], "weight_decay": alpha},
                                 {"params": [b1, b2], "weight_decay": 0.0}], lr=lr)
    Xt, yt = torch.tensor(X), torch.tensor(y).reshape(-1, 1)
    curve = []
    for _ in range(epochs):
        order = torch.from_numpy(model_rng.permutation(X.shape[0]))
        total = 0.0
        for start in range(0, X.shape[0], batch):
            index = order[start:start + batch]
            opt.zero_grad()
            h = torch.tanh(Xt[index] @ W1 + b1) @ W2 + b2
            loss = 0.5 * torch.mean((h - yt[index]) ** 2)
            if optimizer != "adamw":
                loss = loss + alpha / (2 * len(index)) * ((W1 * W1).sum() + (W2 * W2).sum())
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(index)
        curve.append(total / X.shape[0])
    for ours, ref in zip(model.coefs_ + model.intercepts_, params):
        np.testing.assert_allclose(ours, ref.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.loss_curve_, curve, rtol=1e-12)
    # the decay matters here: without it the weights end far from these
    plain = quiet(MLPRegressor(max_epochs=epochs, n_iter_no_change=epochs, **{**kwargs, "weight_decay": 0.0}).fit,
                  X, y)
    assert np.max(np.abs(plain.coefs_[0] - model.coefs_[0])) > 1e-3


def _initial_weights(model, X, y):
    """The Glorot initial weights of ``model`` (same random_state, zero epochs run)."""
    from mlatlas.base import check_random_state

    fresh = clone(model)
    fresh._check_params()
    fresh.classes_ = np.unique(y)
    fresh._initialize(X.shape[1], len(fresh.classes_), check_random_state(model.random_state))
    return [a.copy() for a in fresh.coefs_ + fresh.intercepts_]


# ---------------------------------------------------------------------------------------
# training behaviour
# ---------------------------------------------------------------------------------------
def test_full_batch_gradient_descent_decreases_the_loss_every_epoch(iris):
    X, y = iris
    model = quiet(MLPClassifier((10,), optimizer="sgd", momentum=0.0, learning_rate=0.05, batch_size="full",
                                max_epochs=80, n_iter_no_change=80, random_state=0).fit, X, y)
    loss = np.asarray(model.loss_curve_)
    assert np.all(np.diff(loss) < 0)
    assert loss[-1] < 0.5 * loss[0]
    assert model.t_ == 80 * X.shape[0]


@pytest.mark.parametrize("batch_size", ["full", 16, 1])
def test_batch_size_sets_the_number_of_steps(iris, batch_size):
    X, y = iris
    model = quiet(MLPClassifier((8,), batch_size=batch_size, max_epochs=3, n_iter_no_change=3, random_state=0).fit,
                  X, y)
    steps_per_epoch = {"full": 1, 16: -(-150 // 16), 1: 150}[batch_size]
    state = next(iter(model._optimizer.state.values()))
    assert state["step"] == 3 * steps_per_epoch
    assert len(model.history_) == model.n_iter_ == 3
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_reproducible_under_random_state(iris):
    X, y = iris
    a = quiet(MLPClassifier((8,), max_epochs=20, random_state=3).fit, X, y)
    b = quiet(MLPClassifier((8,), max_epochs=20, random_state=3).fit, X, y)
    c = quiet(MLPClassifier((8,), max_epochs=20, random_state=4).fit, X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(wa, wb)
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_history_records_each_epoch(iris):
    X, y = iris
    model = quiet(MLPClassifier((8,), max_epochs=7, n_iter_no_change=7, random_state=0).fit, X, y)
    assert isinstance(model.history_, History) and len(model.history_) == 7
    np.testing.assert_array_equal(model.history_.column("loss"), model.loss_curve_)
    np.testing.assert_array_equal(model.history_.column("epoch"), np.arange(1, 8))
    assert np.all(np.isnan(model.history_.column("validation_score")))
    assert np.all(model.history_.column("learning_rate") == 1e-3)


def test_convergence_warning_only_when_max_epochs_is_hit(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="max_epochs=5"):
        MLPClassifier((8,), max_epochs=5, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = MLPClassifier((8,), max_epochs=200, tol=10.0, n_iter_no_change=2, random_state=0).fit(X, y)
    # epoch 1 improves on +inf; epochs 2, 3, 4 do not improve by > tol: 3 > n_iter_no_change -> stop
    assert model.n_iter_ == 4
    from sklearn.neural_network import MLPClassifier as Reference

    reference = Reference(hidden_layer_sizes=(8,), tol=10.0, n_iter_no_change=2, random_state=0).fit(X, y)
    assert reference.n_iter_ == model.n_iter_


def test_non_finite_loss_stops_with_a_clear_error():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50) * 1e3
    model = MLPRegressor((8,), optimizer="sgd", learning_rate=1e6, max_epochs=50, random_state=0)
    with pytest.raises(NonFiniteLossError, match="learning_rate") as info, np.errstate(over="ignore", invalid="ignore"):
        model.fit(X, y)
    assert isinstance(info.value, ValueError)
    assert all(np.all(np.isfinite(W)) for W in model.coefs_)  # the bad step was not applied


def test_early_stopping_restores_the_best_weights(iris):
    X, y = iris
    kwargs = dict(hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
                  tol=0.0, learning_rate=0.05, max_epochs=100, random_state=0)
    model = quiet(MLPClassifier(**kwargs).fit, X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ < 100
    assert model.best_validation_score_ == max(scores)
    np.testing.assert_array_equal(model.history_.column("validation_score"), scores)
    # a run stopped at the best epoch ends on the same weights (same seed: same split, same batches)
    best_epoch = int(np.argmax(scores)) + 1
    short = quiet(MLPClassifier(**{**kwargs, "max_epochs": best_epoch}).fit, X, y)
    for a, b in zip(model.coefs_ + model.intercepts_, short.coefs_ + short.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_schedules_drive_the_learning_rate(iris):
    X, y = iris
    E = 12
    lrs = {}
    for name in SCHEDULES:
        model = quiet(MLPClassifier((8,), schedule=name, learning_rate=0.01, max_epochs=E, n_iter_no_change=E,
                                    random_state=0).fit, X, y)
        lrs[name] = model.history_.column("learning_rate")
        assert len(lrs[name]) == E and np.all(lrs[name] > 0), name
    assert np.all(lrs["constant"] == 0.01)
    np.testing.assert_allclose(lrs["step"], 0.01 * 0.1 ** (np.arange(E) // 4))
    # cosine: lr_t = lr_0 (1 + cos(pi t / E)) / 2 at the start of epoch t + 1
    np.testing.assert_allclose(lrs["cosine"], 0.01 * (1 + np.cos(np.pi * np.arange(E) / E)) / 2, rtol=1e-12)
    np.testing.assert_allclose(lrs["exponential"], 0.01 * 0.01 ** (np.arange(E) / E), rtol=1e-12)
    assert lrs["onecycle"][0] == pytest.approx(0.01 / 25) and lrs["onecycle"].max() <= 0.01
    assert lrs["warmup_cosine"][0] == pytest.approx(0.001) and lrs["warmup_cosine"][1] == pytest.approx(0.01)
    custom = quiet(MLPClassifier((8,), schedule="step", schedule_options={"step_size": 2, "gamma": 0.5},
                                 learning_rate=0.01, max_epochs=6, n_iter_no_change=6, random_state=0).fit, X, y)
    np.testing.assert_allclose(custom.history_.column("learning_rate"), 0.01 * 0.5 ** (np.arange(6) // 2))


def test_optimizers_and_activations_all_learn(iris):
    X, y = iris
    for optimizer, activation in [("sgd", "relu"), ("adam", "tanh"), ("adamw", "sigmoid")]:
        model = quiet(MLPClassifier((16,), optimizer=optimizer, activation=activation, learning_rate=0.05,
                                    max_epochs=60, random_state=0).fit, X, y)
        assert model.score(X, y) > 0.9, (optimizer, activation)


def test_nesterov_sgd_learns(iris):
    X, y = iris
    model = quiet(MLPClassifier((16,), optimizer="sgd", nesterov=True, learning_rate=0.05, max_epochs=60,
                                random_state=0).fit, X, y)
    assert model.score(X, y) > 0.9


def test_float32_training(iris):
    X, y = iris
    model = quiet(MLPClassifier((16,), dtype="float32", max_epochs=60, learning_rate=0.01, random_state=0).fit,
                  X, y)
    assert all(W.dtype == np.float32 for W in model.coefs_ + model.intercepts_)
    assert model.predict_proba(X).dtype == np.float32
    assert model.score(X, y) > 0.9


def test_predict_proba_is_softmax_of_the_network(iris):
    X, y = iris
    model = quiet(MLPClassifier((8,), max_epochs=20, random_state=0).fit, X, y)
    # by hand: z = relu(X W1 + b1) W2 + b2, p = softmax(z)
    z = np.maximum(X @ model.coefs_[0] + model.intercepts_[0], 0) @ model.coefs_[1] + model.intercepts_[1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), p, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(p, axis=1)])


def test_partial_fit_continues_training(iris):
    X, y = iris
    model = MLPClassifier((8,), learning_rate=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y)
    model.partial_fit(X, y, classes=[0, 1, 2])
    for _ in range(19):
        model.partial_fit(X, y)
    assert model.n_iter_ == 20 and len(model.loss_curve_) == 20
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]
    with pytest.raises(ValueError, match="not in classes_"):
        model.partial_fit(X, np.where(y == 2, 7, y))


def test_verbose_shows_a_progress_bar(iris, capsys):
    X, y = iris
    quiet(MLPClassifier((4,), max_epochs=3, verbose=True, random_state=0).fit, X, y)
    assert "MLPClassifier" in capsys.readouterr().err


@pytest.mark.parametrize("params,match", [
    ({"activation": "softplus"}, "activation"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": "half"}, "batch_size"),
    ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes"),
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"dtype": "int32"}, "dtype"),
    ({"schedule": "triangle"}, "schedule"),
    ({"nesterov": True, "optimizer": "adam"}, "nesterov"),
    ({"validation_fraction": 1.0}, "validation_fraction"),
    ({"max_epochs": 0}, "max_epochs"),
])
def test_bad_parameters_are_named(iris, params, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**params).fit(X, y)


# ---------------------------------------------------------------------------------------
# persistence and copies
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_save_load_round_trip(cls, iris, tmp_path):
    X, y = iris
    target = y if cls is MLPClassifier else X[:, 0] * 2.0 - y
    model = quiet(cls((6, 5), activation="tanh", max_epochs=15, random_state=0).fit, X, target)
    path = tmp_path / "mlp.npz"
    save_model(model, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if cls is MLPClassifier:
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert isinstance(loaded.history_, History) and len(loaded.history_) == len(model.history_)
    for key in ("loss", "validation_score", "learning_rate"):
        np.testing.assert_array_equal(loaded.history_.column(key), model.history_.column(key))
    assert loaded.get_params() == model.get_params()
    # the loaded model keeps training (its network is rebuilt on the loaded arrays)
    loaded.partial_fit(X, target)
    assert loaded.n_iter_ == model.n_iter_ + 1
    assert not np.array_equal(loaded.coefs_[0], model.coefs_[0])


def test_copies_are_independent(iris):
    X, y = iris
    model = quiet(MLPClassifier((6,), max_epochs=10, random_state=0).fit, X, y)
    before = model.predict_proba(X)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(clone.predict_proba(X), before)
        clone.partial_fit(X, y)
        assert not np.array_equal(clone.predict_proba(X), before)
        np.testing.assert_array_equal(model.predict_proba(X), before)


def test_coefs_are_the_network_weights(iris):
    """Editing coefs_ in place changes the predictions: they are the network's parameters, not a copy."""
    X, y = iris
    model = quiet(MLPClassifier((6,), max_epochs=5, random_state=0).fit, X, y)
    model.coefs_[-1][...] = 0.0
    model.intercepts_[-1][...] = [0.0, 5.0, 0.0]
    assert np.all(model.predict(X) == 1)


# ---------------------------------------------------------------------------------------
# the registry entries
# ---------------------------------------------------------------------------------------
def test_nn_concepts_ops_match_torch():
    pytest.importorskip("torch")
    from mlatlas.atlas import get, run_entry

    result = run_entry(get("nn-concepts"), seed=0)
    metrics = result.rows[0].metrics
    assert result.comparison["torch_available"]
    assert len(metrics) >= 20
    assert metrics["max_abs_difference"] <= 1e-12, metrics


def test_mlp_entry_reports_both_models():
    from mlatlas.atlas import get, run_entry

    entry = get("mlp")
    result = run_entry(entry, dataset="iris", params={"max_epochs": 100, "learning_rate": 0.01}, seed=0)
    assert [row.model for row in result.rows] == ["mlatlas", entry.reference_name]
    assert result.rows[0].metrics["accuracy"] > 0.85
    assert result.comparison["prediction_agreement"] > 0.85


def test_blas_thread_limit_is_only_during_training(iris):
    """Small steps train on one BLAS thread; the caller's setting is back afterwards."""
    from threadpoolctl import threadpool_info

    from mlatlas.nn import mlp

    X, y = iris
    seen = []
    original = mlp._BaseMLP._run_epoch

    def spy(self, *args, **kwargs):
        seen.append([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"])
        return original(self, *args, **kwargs)

    with threadpool_limits(2, user_api="blas"):
        mlp._BaseMLP._run_epoch = spy
        try:
            quiet(MLPClassifier((8,), max_epochs=2, random_state=0).fit, X, y)
        finally:
            mlp._BaseMLP._run_epoch = original
        after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert seen and all(threads == [1] * len(threads) for threads in seen)
    assert after and all(n == 2 for n in after)


def test_wrong_schedule_options_are_named(iris):
    X, y = iris
    with pytest.raises(TypeError, match="schedule_options"):
        MLPClassifier(schedule="cosine", schedule_options={"T_maximum": 3}, max_epochs=2).fit(X, y)


def test_changing_the_activation_after_fit_rebuilds_the_network(iris):
    X, y = iris
    model = quiet(MLPClassifier((6,), max_epochs=5, random_state=0).fit, X, y)
    relu = model.predict_proba(X)
    model.set_params(activation="identity")
    linear = model.predict_proba(X)
    W1, b1, W2, b2 = model.coefs_[0], model.intercepts_[0], model.coefs_[1], model.intercepts_[1]
    z = (X @ W1 + b1) @ W2 + b2
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(linear, expected / expected.sum(axis=1, keepdims=True), rtol=1e-12)
    assert not np.allclose(relu, linear)
