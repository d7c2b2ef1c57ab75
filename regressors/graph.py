"""`GINRegressor`: an ensemble of small graph isomorphism networks over the ``graph`` feature set.

Cells are DAGs; a graph network reads them as such instead of as hand-made summaries. Each member
embeds every node's kind, runs `layers` rounds of message passing along the edges in both
directions (a GIN-style MLP over [node, sum of predecessors, sum of successors], residual, layer
norm), and regresses the target from the output node's embedding, the mean node embedding and the
cell statistics the feature set appends. The members are trained at once (weights stacked along a
member dimension, one batched matmul per layer), each from its own initialisation and minibatch
order (optionally its own bootstrap sample); the prediction is the members' mean and their
spread (the uncertainty `Surrogate` calibrates).

The input is the space's ``graph`` feature set (`surrogate_nb.space.graph`), whose header carries
the layout, so the model works on any space that offers it (NB201, NB-101).

Measured (`benchmarks/surrogate_quality_nb101.py`, 108-epoch validation accuracy, 4,000 held-out
published NB-101 cells): see the module docstring of that script; at 424 training cells this
model is the one that reaches the issue's τ target where bagged LightGBM does not.

Saved as ``torch.save`` of a flat dict of tensors (``gin.pt``), loaded with ``weights_only=True``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import ModelFormatError
from surrogate_nb.regressors.base import BaseRegressor, bootstrap_members, seed_from
from surrogate_nb.space.graph import GraphLayout, split_graph_features
from surrogate_nb.table.importers._safe_pickle import refusal_reason

_STATE_FILE = "gin.pt"
_PREDICT_CHUNK = 4096


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run with `n` torch threads, restoring the previous count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _init_params(
    layout: GraphLayout, n_extra: int, hidden: int, layers: int, members: int
) -> dict[str, Any]:
    """Stacked weights of all members (leading dim = member), PyTorch's Linear initialisation."""
    import torch

    def linear(name: str, n_in: int, n_out: int) -> None:
        bound = 1.0 / n_in**0.5
        p[f"{name}.w"] = torch.empty(members, n_in, n_out).uniform_(-bound, bound)
        p[f"{name}.b"] = torch.empty(members, n_out).uniform_(-bound, bound)

    p: dict[str, Any] = {}
    linear("embed", layout.kinds, hidden)
    for i in range(layers):
        linear(f"mix{i}.0", 3 * hidden, hidden)
        linear(f"mix{i}.1", hidden, hidden)
        p[f"norm{i}.g"] = torch.ones(members, hidden)
        p[f"norm{i}.b"] = torch.zeros(members, hidden)
    linear("head.0", 2 * hidden + n_extra, hidden)
    linear("head.1", hidden, 1)
    return p


def _forward(p: dict[str, Any], layers: int, output_kind: int, adj, kinds, extra):
    """Outputs (members, n) for inputs with a leading member dim: adj (M, n, N, N),
    kinds (M, n, N, K), extra (M, n, E)."""
    import torch
    import torch.nn.functional as F

    def lin(name: str, x):  # x (M, ..., n_in) -> (M, ..., n_out)
        w, b = p[f"{name}.w"], p[f"{name}.b"]
        flat = torch.baddbmm(b[:, None, :], x.reshape(x.shape[0], -1, x.shape[-1]), w)
        return flat.reshape(*x.shape[:-1], w.shape[2])

    present = kinds.sum(-1, keepdim=True)  # 1 for a node, 0 for padding
    h = lin("embed", kinds) * present
    for i in range(layers):
        incoming = adj.transpose(-1, -2) @ h  # sum over predecessors
        outgoing = adj @ h  # sum over successors
        u = lin(f"mix{i}.1", F.relu(lin(f"mix{i}.0", torch.cat([h, incoming, outgoing], -1))))
        g, b = p[f"norm{i}.g"][:, None, None, :], p[f"norm{i}.b"][:, None, None, :]
        h = (F.layer_norm(h + u, h.shape[-1:]) * g + b) * present
    out = (h * kinds[..., output_kind : output_kind + 1]).sum(-2)
    pooled = h.sum(-2) / present.sum(-2).clamp(min=1.0)
    z = torch.cat([out, pooled, extra], -1)
    return lin("head.1", F.relu(lin("head.0", z))).squeeze(-1)


class GINRegressor(BaseRegressor):
    """Ensemble of graph isomorphism networks (fit on the ``graph`` feature set).

    Args:
        n_members: ensemble size (>= 5).
        hidden: width of node embeddings and MLPs.
        layers: message-passing rounds (NB-101's longest path has 6 edges; 3 rounds plus the
            read-out of the output node and the mean node cover it in practice).
        steps: optimizer steps per member (fixed, so the cost does not grow with the data).
        batch_size: cells per minibatch and member.
        lr: AdamW learning rate (cosine-annealed to 0).
        weight_decay: AdamW weight decay.
        bootstrap: train each member on a bootstrap sample; off by default: the members differ
            by initialisation and minibatch order (a deep ensemble), and on a few hundred cells
            a bootstrap's 63 % of the rows costs more accuracy than it adds spread.
        n_jobs: torch threads during fit and predict (restored afterwards); 1 by default, like
            the tree models: these small matrices gain little from more, and on a busy machine
            extra threads make every step wait for the slowest.
        random_state: int or numpy Generator; the same value gives the same model.
    """

    name = "gin"
    default_features = "graph"
    calibration_folds = 2

    def __init__(
        self,
        n_members: int = 5,
        hidden: int = 64,
        layers: int = 3,
        steps: int = 2500,
        batch_size: int = 64,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        bootstrap: bool = False,
        n_jobs: int = 1,
        random_state: int | np.random.Generator | None = 0,
    ) -> None:
        self.n_members = n_members
        self.hidden = hidden
        self.layers = layers
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.bootstrap = bootstrap
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ---- tensors ------------------------------------------------------------------------------

    def _inputs(self, X: np.ndarray):
        import torch

        layout, adj, kinds, extra = split_graph_features(X)
        if hasattr(self, "layout_") and layout != self.layout_:
            raise ModelFormatError(
                f"graph layout {layout} differs from the fitted {self.layout_} (another space?)"
            )
        extra = (extra - self.x_mean_) / self.x_std_ if hasattr(self, "x_mean_") else extra
        as_t = torch.from_numpy
        return layout, as_t(adj.copy()), as_t(kinds.copy()), as_t(np.float32(extra))

    def _members_forward(self, params, adj, kinds, extra):
        return _forward(params, int(self.layers), self.layout_.output_kind, adj, kinds, extra)

    # ---- contract -----------------------------------------------------------------------------

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        with _torch_threads(int(self.n_jobs)):
            self._train(X, y)

    def _train(self, X: np.ndarray, y: np.ndarray) -> None:
        import torch

        layout, _, _, extra = split_graph_features(X)
        self.layout_ = layout
        mean, std = extra.mean(0), extra.std(0)
        self.x_mean_ = mean.astype(np.float32)
        self.x_std_ = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() + 1e-9)
        _, adj, kinds, extra_t = self._inputs(X)
        yt = torch.from_numpy(((y - self.y_mean_) / self.y_std_).astype(np.float32))
        seed = seed_from(self.random_state)
        members = bootstrap_members(len(y), int(self.n_members), seed)
        every = np.arange(len(y))
        rows = torch.from_numpy(np.stack([r if self.bootstrap else every for _, r in members]))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            m, n = rows.shape
            params = _init_params(layout, extra_t.shape[1], int(self.hidden), int(self.layers), m)
            for v in params.values():
                v.requires_grad_(True)
            opt = torch.optim.AdamW(params.values(), lr=self.lr, weight_decay=self.weight_decay)
            steps = int(self.steps)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
            bs = min(int(self.batch_size), n)
            for _ in range(steps):
                pick = torch.gather(rows, 1, torch.randint(0, n, (m, bs)))  # (M, bs)
                out = self._members_forward(params, adj[pick], kinds[pick], extra_t[pick])
                loss = ((out - yt[pick]) ** 2).mean(1).sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        self.params_ = {k: v.detach() for k, v in params.items()}

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with _torch_threads(int(self.n_jobs)):
            return self._predict_all(X)

    def _predict_all(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        _, adj, kinds, extra = self._inputs(X)
        outs = []
        with torch.no_grad():
            for lo in range(0, len(adj), _PREDICT_CHUNK):
                sl = slice(lo, lo + _PREDICT_CHUNK)
                m = int(self.n_members)
                a, k, e = (t[sl].expand(m, *t[sl].shape) for t in (adj, kinds, extra))
                outs.append(self._members_forward(self.params_, a, k, e))
        preds = torch.cat(outs, 1).double().numpy() * self.y_std_ + self.y_mean_
        return preds.mean(0), preds.std(0, ddof=1) if len(preds) > 1 else np.zeros(len(X))

    def _save(self, directory: Path) -> list[str]:
        import torch

        state: dict[str, Any] = {f"param.{k}": v.clone() for k, v in self.params_.items()}
        lay = self.layout_
        state["layout"] = torch.tensor([lay.nodes, lay.kinds, lay.output_kind])
        state["x_mean"] = torch.from_numpy(self.x_mean_)
        state["x_std"] = torch.from_numpy(self.x_std_)
        state["y_norm"] = torch.tensor([self.y_mean_, self.y_std_], dtype=torch.float64)
        torch.save(state, directory / _STATE_FILE)
        return [_STATE_FILE]

    def _load(self, directory: Path) -> None:
        import torch

        try:
            state = torch.load(directory / _STATE_FILE, weights_only=True, map_location="cpu")
            self.layout_ = GraphLayout(*(int(v) for v in state["layout"]))
            self.x_mean_ = state["x_mean"].numpy()
            self.x_std_ = state["x_std"].numpy()
            self.y_mean_, self.y_std_ = (float(v) for v in state["y_norm"])
            self.params_ = {k[6:]: v for k, v in state.items() if k.startswith("param.")}
        except Exception as exc:
            raise ModelFormatError(
                f"cannot read {directory / _STATE_FILE}: {refusal_reason(exc)}"
            ) from exc

    @staticmethod
    def search_space(trial: Any) -> dict[str, Any]:
        return {
            "hidden": trial.suggest_categorical("hidden", [32, 64, 128]),
            "layers": trial.suggest_int("layers", 2, 4),
            "steps": trial.suggest_int("steps", 1000, 5000, log=True),
            "lr": trial.suggest_float("lr", 5e-4, 5e-3, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        }
