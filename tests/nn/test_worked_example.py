"""The notes' two-layer network (notes 02, section 1.1, with the errata): every value, by hand and by torch."""

import numpy as np
import pytest

from mlatlas.nn.worked_example import QUANTITIES, scalar_rows, torch_worked_example, worked_example

# Worked by hand from x = (1, 2), W1 = [[0.5, -0.5], [0.3, 0.8]], b1 = (0.1, -0.2), W2 = (0.2, -0.4),
# b2 = 0.5, y = 1; ReLU hidden layer, linear output, L = 1/2 (y_hat - y)^2, eta = 0.1.
HAND = {
    # forward
    "z1": [0.5 * 1 - 0.5 * 2 + 0.1, 0.3 * 1 + 0.8 * 2 - 0.2],       # (-0.4, 1.7): the errata's correction
    "a1": [0.0, 1.7],
    "z2": -0.18,                                                     # 0.2*0 - 0.4*1.7 + 0.5
    "y_hat": -0.18,
    "L": 0.6962,                                                     # 1/2 * 1.18^2
    # backward
    "dL/dy_hat": -1.18,
    "dL/dz2": -1.18,
    "dL/dW2": [0.0, -2.006],                                         # -1.18 * (0, 1.7)
    "dL/db2": -1.18,
    "dL/da1": [-0.236, 0.472],                                       # (0.2, -0.4) * -1.18
    "dL/dz1": [0.0, 0.472],                                          # ReLU blocks the first unit
    "dL/dW1": [[0.0, 0.0], [0.472, 0.944]],                          # (0, 0.472)^T (1, 2)
    "dL/db1": [0.0, 0.472],
    # one step theta <- theta - 0.1 dL/dtheta
    "W1_new": [[0.5, -0.5], [0.2528, 0.7056]],
    "b1_new": [0.1, -0.2472],
    "W2_new": [0.2, -0.1994],
    "b2_new": 0.618,
    "z1_new": [-0.4, 1.4168],                                        # 0.2528 + 1.4112 - 0.2472
    "a1_new": [0.0, 1.4168],
    "y_hat_new": 0.33549008,                                         # -0.1994 * 1.4168 + 0.618
    "L_new": 0.2207867168892032,                                     # 1/2 * 0.66450992^2
}


def test_hand_values_cover_every_quantity():
    assert set(HAND) == set(QUANTITIES)


@pytest.mark.parametrize("name", QUANTITIES)
def test_each_value_equals_the_hand_computation(name):
    values = worked_example(learning_rate=0.1)
    expected = np.asarray(HAND[name], dtype=np.float64)
    assert values[name].shape == expected.shape
    np.testing.assert_allclose(values[name], expected, rtol=0, atol=1e-12)


def test_the_notes_typo_is_corrected():
    z1 = worked_example()["z1"]
    assert z1[0] == pytest.approx(-0.4, abs=1e-15)    # the notes print -0.9
    assert worked_example()["a1"][0] == 0.0           # ... which the ReLU zeroes either way


def test_the_step_lowers_the_loss():
    v = worked_example(learning_rate=0.1)
    assert v["L_new"] < v["L"]


def test_matches_torch_autograd():
    pytest.importorskip("torch")
    ours, ref = worked_example(), torch_worked_example()
    for name in QUANTITIES:
        np.testing.assert_allclose(ours[name], ref[name], rtol=0, atol=1e-12, err_msg=name)


def test_matches_torch_on_other_numbers(rng):
    """Any inputs, including both hidden units active and the other learning rate."""
    pytest.importorskip("torch")
    for _ in range(5):
        kwargs = dict(x=rng.normal(size=2), W1=rng.normal(size=(2, 2)), b1=rng.normal(size=2),
                      W2=rng.normal(size=2), b2=float(rng.normal()), y=float(rng.normal()), learning_rate=0.05)
        ours, ref = worked_example(**kwargs), torch_worked_example(**kwargs)
        for name in QUANTITIES:
            np.testing.assert_allclose(ours[name], ref[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match="W1 must have shape"):
        worked_example(W1=np.ones(2))


def test_scalar_rows_name_every_element():
    rows = scalar_rows(worked_example())
    assert rows["dL/dW1[1,1]"] == pytest.approx(0.944, abs=1e-12)
    assert rows["L"] == pytest.approx(0.6962, abs=1e-12)
    assert len(rows) == sum(np.asarray(v).size for v in HAND.values())


def test_registry_entry_prints_every_value(tmp_path):
    from mlatlas.atlas import get, run_entry

    result = run_entry(get("worked-example"), out_dir=str(tmp_path))
    table = result.table()
    for name in ("z1[0]", "a1[1]", "y_hat", "L", "dL/dW2[1]", "dL/db2", "dL/da1[0]", "dL/dz1[1]",
                 "dL/dW1[1,1]", "dL/db1[1]", "W1_new[1,0]", "L_new"):
        assert name in table
    ours, hand = result.rows[0].metrics, result.rows[-1].metrics
    assert result.rows[0].model == "mlatlas.nn" and result.rows[-1].model.startswith("by hand")
    assert max(abs(ours[k] - hand[k]) for k in hand) <= 1e-12
    assert result.comparison["max_abs_difference_vs_hand"] <= 1e-12
    if "max_abs_difference_vs_torch" in result.comparison:
        assert result.rows[1].model == "torch autograd"
        assert result.comparison["max_abs_difference_vs_torch"] <= 1e-12
    assert len(result.figures) == 1 and (tmp_path / "worked-example.png").stat().st_size > 1000
