"""Benchmark cases for the MLP: one training epoch of the same network, mlatlas against PyTorch on the CPU.

The network is Linear(d, 256) - ReLU - Linear(256, 128) - ReLU - Linear(128, 10) with
softmax cross-entropy, trained by Adam (lr 1e-3) in float32 on mini-batches of 128
reshuffled every epoch.  The timed step is one full epoch:

* ours: ``MLPClassifier.partial_fit(X, y)`` on an already initialised model (input
  validation, the shuffle, forward, hand-written backward, Adam);
* PyTorch: ``randperm`` + for every batch ``zero_grad``, forward, ``cross_entropy``,
  ``backward``, ``Adam.step`` on an ``nn.Sequential`` with the same layer sizes.

Both sides run on one thread (NumPy's BLAS through threadpoolctl, PyTorch through
``torch.set_num_threads(1)``): the matrices of an MLP this size are too small for
threads to pay off, and on a shared machine extra BLAS threads only spin.  The quality
is the mean training loss of the timed epoch (both keep training across repeats, so it
falls from repeat to repeat; the two should be of the same size).

Data: the 1797 8x8 digits (64 standardised features, 10 classes) and a synthetic
50 000 x 100 problem (Gaussian features, 10 classes from a random linear map of the
first ten features).
"""

from __future__ import annotations

import numpy as np

from .harness import case

HIDDEN = (256, 128)
BATCH = 128


def _setup(kind: str):
    def setup(quick: bool):
        import torch
        from threadpoolctl import ThreadpoolController

        from mlatlas.nn import MLPClassifier

        rng = np.random.default_rng(0)
        if kind == "digits":
            from sklearn.datasets import load_digits

            X, y = load_digits(return_X_y=True)
            X = ((X - X.mean(axis=0)) / (X.std(axis=0) + 1e-12)).astype(np.float32)
        else:
            n = 10_000 if quick else 50_000
            X = rng.standard_normal((n, 100)).astype(np.float32)
            y = np.argmax(X[:, :10] @ rng.standard_normal((10, 10)), axis=1)
        y = y.astype(np.int64)
        n_classes = 10
        controller = ThreadpoolController()
        ours = MLPClassifier(HIDDEN, batch_size=BATCH, learning_rate=1e-3, weight_decay=0.0, dtype="float32",
                             random_state=0)
        with controller.limit(limits=1, user_api="blas"):
            ours.partial_fit(X[:BATCH], y[:BATCH], classes=np.arange(n_classes))  # initialise
        torch.manual_seed(0)
        sizes = [X.shape[1], *HIDDEN]
        layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
        net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], n_classes))
        # the same starting weights on both sides
        with torch.no_grad():
            for linear, W, b in zip([m for m in net if isinstance(m, torch.nn.Linear)], ours.coefs_,
                                    ours.intercepts_):
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                linear.bias.copy_(torch.from_numpy(b))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        return dict(X=X, y=y, ours=ours, controller=controller, net=net, opt=opt, torch=torch,
                    Xt=torch.from_numpy(X), yt=torch.from_numpy(y))
    return setup


def _ours(data):
    with data["controller"].limit(limits=1, user_api="blas"):
        model = data["ours"].partial_fit(data["X"], data["y"])
    return model.loss_curve_[-1]


def _reference(data):
    torch = data["torch"]
    torch.set_num_threads(1)
    net, opt, X, y = data["net"], data["opt"], data["Xt"], data["yt"]
    n = X.shape[0]
    order = torch.randperm(n)
    total = 0.0
    for start in range(0, n, BATCH):
        index = order[start:start + BATCH]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(X[index]), y[index])
        loss.backward()
        opt.step()
        total += float(loss.detach()) * len(index)
    return total / n


case(name="MLP 64-256-128-10 one epoch, digits (1797), batch 128, Adam, f32, 1 thread", group="nn-mlp",
     setup=_setup("digits"), ours=_ours, reference=_reference, reference_name="torch.nn + torch.optim.Adam (CPU)",
     quality_name="epoch loss", target=1.5, repeats=7, quality_higher_is_better=False)
case(name="MLP 100-256-128-10 one epoch, 50k x 100 synthetic, batch 128, Adam, f32, 1 thread", group="nn-mlp",
     setup=_setup("synthetic"), ours=_ours, reference=_reference,
     reference_name="torch.nn + torch.optim.Adam (CPU)", quality_name="epoch loss", target=1.5, repeats=5,
     quality_higher_is_better=False)
