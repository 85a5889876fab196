"""Benchmark cases for the diffusion model (DDPM) on the 8x8 digits.

Data: the standard split of the gray digits (:func:`mlatlas.metrics.digits_split`,
``binary=False``): the model trains on the 898 training digits, as plain
``mlatlas train ddpm`` does; ``digits_fid`` compares samples with all 1797 digits
(the 899 held-out test digits score 0.042: the real-vs-real floor).

Two ways to run it:

* ``python -m benchmarks.run`` picks up the cases below: the model is trained once
  with its defaults (the first case's setup; ``--quick``: 20 epochs) and the cases time
  sampling against the reference.
  - **Sample quality.** 1000 samples of the default sampler (DDIM, 50 steps), the
    labels 0..9 in turn at the default guidance, against 1000 samples of
    scikit-learn's ``GaussianMixture(10)`` fitted on the same digits (clipped to
    [0, 1]); quality: ``digits_fid``.
  - **DDIM 50 steps against ancestral 1000.** 250 unconditional samples each (the
    ancestral chain is 20 times longer); quality: ``digits_fid`` of the 250.
* ``python -m benchmarks.cases_diffusion [--json FILE] [--threads N] [--ancestral N]``: the
  full measurement of the issue's targets: the plain ``mlatlas train ddpm`` command in a
  subprocess (wall-clock and CPU seconds), then ``digits_fid`` of 1000 samples without
  labels, with the labels in turn (guidance 0 and the default) and the classifier's
  agreement with the asked label, the time to sample 1000 images, DDIM at 50 steps
  against ancestral sampling at 1000 steps, and the references (GaussianMixture(10),
  the real test digits).
* ``python -m benchmarks.cases_diffusion --reference-python ENV/bin/python``: side by side
  with denoising-diffusion-pytorch (PyPI) installed in a benchmark-only environment
  (``pip install --isolated torch==2.13.0 torchvision==0.28.0 denoising-diffusion-pytorch``):
  the same training digits and the same training wall-clock budget, unconditional, both
  sampled with DDIM at 50 steps; ``digits_fid`` and training / sampling images per second
  (:func:`compare_with_reference_library`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from .harness import case

N_SAMPLES = 1000
_CACHE: dict = {}


def _split():
    from mlatlas.metrics import digits_split

    X_train, X_test, y_train, y_test = digits_split(binary=False)
    return X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8), y_train, y_test


def _gmm_samples(X_train: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    import warnings

    from sklearn.mixture import GaussianMixture

    gmm = GaussianMixture(10, random_state=seed).fit(X_train.reshape(len(X_train), -1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        samples, _ = gmm.sample(n)
    return np.clip(samples, 0.0, 1.0)


# --------------------------------------------------------------------------- harness cases
def _setup(quick: bool):
    """The default DDPM trained once on the training digits (kept for every case of this process)."""
    key = "quick" if quick else "full"
    if key not in _CACHE:
        import torch

        from mlatlas.generative.diffusion import DDPM

        torch.set_num_threads(1)
        X_train, X_test, y_train, _ = _split()
        model = DDPM(random_state=0, **({"epochs": 20} if quick else {})).fit(X_train, y_train, progress=False)
        _CACHE[key] = {"model": model, "X_train": X_train, "X_test": X_test}
    return _CACHE[key]


def _default_sampler(data):
    from mlatlas.metrics import digits_fid

    asked = np.arange(N_SAMPLES) % 10
    return digits_fid(data["model"].sample(N_SAMPLES, labels=asked, random_state=1), labels=asked).fid


def _gmm(data):
    from mlatlas.metrics import digits_fid

    return digits_fid(_gmm_samples(data["X_train"], N_SAMPLES)).fid


def _sampler(method: str, steps: int, n: int = 250):
    def run(data):
        from mlatlas.metrics import digits_fid

        return digits_fid(data["model"].sample(n, method=method, steps=steps, random_state=1)).fid
    return run


case(name="DDPM default (DDIM 50, labels 0..9, default guidance): 1000 samples, 1 thread", group="diffusion",
     setup=_setup, ours=_default_sampler, reference=_gmm, reference_name="sklearn GaussianMixture(10) samples",
     quality_name="digits_fid", target=None, repeats=1, quality_higher_is_better=False)
case(name="DDPM default: DDIM 50 steps against ancestral 1000 steps, 250 unconditional samples, 1 thread",
     group="diffusion", setup=_setup, ours=_sampler("ddim", 50), reference=_sampler("ancestral", 1000),
     reference_name="the same model, ancestral sampling (1000 steps)", quality_name="digits_fid (250 samples)",
     target=None, repeats=1, quality_higher_is_better=False)


# --------------------------------------------------------------------------- the full measurement
def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def _timed_cpu(fn, *args, **kwargs):
    """``fn``'s result, wall-clock seconds and this process's CPU seconds (all threads)."""
    cpu = time.process_time()
    out, seconds = _timed(fn, *args, **kwargs)
    return out, seconds, time.process_time() - cpu


def measure(threads: int = 2, ancestral: int = 250, out_dir: str | None = None, train_args: tuple = ()) -> dict:
    """The issue's targets for the default DDPM: training time, FID, label accuracy, sampling time.

    ``mlatlas train ddpm`` runs as a subprocess with ``threads`` PyTorch threads; its wall
    clock and its CPU seconds (user + system, so a figure that a shared machine's load
    does not inflate) are reported.  ``ancestral``: samples drawn with the 1000-step
    ancestral chain (the DDIM figure beside it uses as many).
    """
    import torch

    from mlatlas.generative.diffusion import DDPM
    from mlatlas.metrics import digits_fid

    torch.set_num_threads(threads)
    out_dir = out_dir or tempfile.mkdtemp(prefix="mlatlas-ddpm-bench-")
    run_dir = os.path.join(out_dir, "run")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # the plain command, as a user runs it (the console script's entry point)
    command = [sys.executable, "-c", "import sys; from mlatlas.cli import main; sys.exit(main())"]
    subprocess.run([*command, "train", "ddpm", "--out", run_dir, *train_args], check=True, env=env)
    train_wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    train_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    model = DDPM.load(os.path.join(run_dir, "model"))
    X_train, X_test, _, _ = _split()
    asked = np.arange(N_SAMPLES) % 10
    result: dict = {"threads": threads, "train_wall_seconds": train_wall, "train_cpu_seconds": train_cpu,
                    "epochs": model.config.epochs, "config": model.get_config()}
    samples, seconds, cpu = _timed_cpu(model.sample, N_SAMPLES, random_state=1)
    result["unconditional"] = {"fid": digits_fid(samples).fid, "seconds": seconds, "cpu_seconds": cpu}
    for name, guidance in (("labels_guidance_0", 0.0), ("labels_default_guidance", None)):
        samples, seconds, cpu = _timed_cpu(model.sample, N_SAMPLES, labels=asked, guidance=guidance, random_state=1)
        fid = digits_fid(samples, labels=asked)
        result[name] = {"fid": fid.fid, "accuracy": fid.accuracy, "seconds": seconds, "cpu_seconds": cpu}
    if ancestral:
        for method, steps in (("ddim", 50), ("ancestral", 1000)):
            samples, seconds, cpu = _timed_cpu(model.sample, ancestral, method=method, steps=steps, random_state=2)
            result[f"{method}_{steps}"] = {"n": ancestral, "fid": digits_fid(samples).fid, "seconds": seconds,
                                           "cpu_seconds": cpu, "images_per_second": ancestral / seconds}
    result["gmm_fid"] = digits_fid(_gmm_samples(X_train, N_SAMPLES)).fid
    result["real_test_fid"] = digits_fid(X_test).fid
    result["real_test_fid_250"] = digits_fid(X_test[:250]).fid
    result["run_dir"] = run_dir
    return result


# --------------------------------------------------------------------------- denoising-diffusion-pytorch
#: Runs in the benchmark-only environment that has denoising-diffusion-pytorch (never in CI):
#: trains its Unet + GaussianDiffusion on the same images for a wall-clock budget, then samples.
_REFERENCE_PROGRAM = r"""
import json, sys, time
import numpy as np, torch
from denoising_diffusion_pytorch import GaussianDiffusion, Unet
data, budget, n, threads, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
torch.set_num_threads(threads)
torch.manual_seed(0)
X = torch.from_numpy(np.load(data)["X"]).float()
net = Unet(dim=32, dim_mults=(1, 2), channels=1, flash_attn=False)
diffusion = GaussianDiffusion(net, image_size=8, timesteps=1000, sampling_timesteps=50, objective="pred_noise",
                              beta_schedule="linear")
optimizer = torch.optim.Adam(diffusion.parameters(), lr=1e-3)
seen, start = 0, time.perf_counter()
while time.perf_counter() - start < budget:
    order = torch.randperm(X.shape[0])
    for i in range(0, X.shape[0], 64):
        loss = diffusion(X[order[i:i + 64]])
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        seen += min(64, X.shape[0] - i)
        if time.perf_counter() - start >= budget:
            break
train_seconds = time.perf_counter() - start
diffusion.eval()
start = time.perf_counter()
with torch.no_grad():
    samples = diffusion.sample(batch_size=n)
sample_seconds = time.perf_counter() - start
np.savez(out, x=samples.clamp(0, 1).numpy())
print(json.dumps({"train_seconds": train_seconds, "train_images": seen, "sample_seconds": sample_seconds,
                  "parameters": sum(p.numel() for p in net.parameters())}))
"""


def compare_with_reference_library(python: str, epochs: int = 60, n: int = 500, threads: int = 1) -> dict:
    """Ours (unconditional, ``epochs`` epochs) and denoising-diffusion-pytorch, the same data and wall-clock budget.

    ``python``: the interpreter of the environment holding denoising-diffusion-pytorch.
    Both train on the 898 training digits (8x8, scaled to [0, 1]), ours first: its
    training time is the reference's budget.  Both then draw ``n`` samples with DDIM
    at 50 steps (eta = 0), scored by ``digits_fid``.  Their FID code is not used (it
    downloads weights).
    """
    import torch

    from mlatlas.generative.diffusion import DDPM
    from mlatlas.metrics import digits_fid

    torch.set_num_threads(threads)
    X_train = _split()[0]
    model = DDPM(n_classes=None, epochs=epochs, random_state=0)
    _, train_seconds = _timed(model.fit, X_train, progress=False)
    samples, sample_seconds = _timed(model.sample, n, method="ddim", steps=50, random_state=1)
    parameters = sum(p.numel() for p in model.network_.parameters())
    ours = {"train_seconds": train_seconds, "train_images_per_second": epochs * len(X_train) / train_seconds,
            "sample_images_per_second": n / sample_seconds, "fid": digits_fid(samples).fid,
            "parameters": parameters}
    with tempfile.TemporaryDirectory() as folder:
        data, out = os.path.join(folder, "digits.npz"), os.path.join(folder, "samples.npz")
        np.savez(data, X=X_train)
        done = subprocess.run([python, "-c", _REFERENCE_PROGRAM, data, str(train_seconds), str(n), str(threads), out],
                              check=True, capture_output=True, text=True)
        info = json.loads(done.stdout.strip().splitlines()[-1])
        with np.load(out) as arrays:
            theirs_fid = digits_fid(arrays["x"].reshape(-1, 1, 8, 8)).fid
    theirs = {"train_seconds": info["train_seconds"],
              "train_images_per_second": info["train_images"] / info["train_seconds"],
              "sample_images_per_second": n / info["sample_seconds"], "fid": theirs_fid,
              "parameters": info["parameters"]}
    return {"ours": ours, "denoising_diffusion_pytorch": theirs, "n": n, "epochs": epochs, "threads": threads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the default DDPM against the issue's targets.")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ancestral", type=int, default=250, help="samples for DDIM 50 vs ancestral 1000 (0: skip)")
    parser.add_argument("--out", help="folder for the training run (default: a new temporary one)")
    parser.add_argument("--reference-python", help="compare with denoising-diffusion-pytorch installed for this "
                        "interpreter instead (see compare_with_reference_library)")
    parser.add_argument("train_args", nargs="*", help="extra arguments of mlatlas train (after --)")
    args = parser.parse_args(argv)
    if args.reference_python:
        result = compare_with_reference_library(args.reference_python, threads=args.threads)
    else:
        result = measure(args.threads, args.ancestral, args.out, tuple(args.train_args))
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
