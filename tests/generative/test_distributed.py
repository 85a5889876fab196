"""The trainer under torchrun: 2 CPU processes (gloo) reach the weights of one process, same global batch."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def test_two_gloo_processes_equal_one_process(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    sys.path.insert(0, HERE)
    try:
        from ddp_worker import tiny_data, tiny_models
    finally:
        sys.path.remove(HERE)

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    # --standalone: a rendezvous on localhost at a free port
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               os.path.join(HERE, "ddp_worker.py"), str(tmp_path)]
    # a session of its own, so that a hang can be ended with every worker it started
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        pytest.fail(f"torchrun did not finish in 240 s:\n{stderr[-4000:]}")
    assert process.returncode == 0, stderr[-4000:]

    X, y = tiny_data()
    for name, (model, labelled) in tiny_models().items():
        model.fit(X, y if labelled else None)  # one process, the same global batches
        saved = load_file(tmp_path / name / "model.safetensors")
        mine = {f"network.{k}": v for k, v in model.network_.state_dict().items()}
        if model.ema_ is not None:
            mine.update({f"ema.{k}": v for k, v in model.ema_.shadow.items()})
        assert sorted(saved) == sorted(mine)
        for key, value in mine.items():
            torch.testing.assert_close(saved[key], value, rtol=1e-5, atol=1e-6, msg=f"{name}: {key}")
        # the comparison can fail: one process on each rank's share (batches of 16) ends elsewhere
        per_rank = type(model)(**{**model.get_config(), "batch_size": 16}).fit(X, y if labelled else None)
        gap = max((per_rank.network_.state_dict()[k] - v).abs().max().item()
                  for k, v in model.network_.state_dict().items())
        assert gap > 1e-3, name
        header = json.loads((tmp_path / name / "config.json").read_text())
        ours = [{k: v for k, v in row.items() if k != "seconds"} for row in model.history_]
        theirs = [{k: v for k, v in row.items() if k != "seconds"} for row in header["history"]]
        assert [sorted(r) for r in ours] == [sorted(r) for r in theirs]
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(a)], rtol=1e-5)
