"""Sampling-based methods: RSPS (random search with parameter sharing) and ENAS.

* RSPS (Li & Talwalkar 2019): every weight step trains a uniformly random path, drawn anew for each
  cell (a node never gets only `none` inputs, as in NB201's ``forward_urs``); no architecture is
  learned; at the end 100 uniformly random cells are scored on validation batches.
* ENAS (Pham et al. 2018): an LSTM controller (2 layers, 32 units, logits 2.5 * tanh(l / 5)) samples
  the cell of every weight step; after each epoch it is trained by REINFORCE on validation batches
  (reward = top-1 + 1e-4 * entropy, baseline decay 0.99, 20 samples per update, gradient norm
  clipped at 5; NB201: 50 updates per epoch, Adam lr 1e-3, eps 1e-3, no weight decay); at the end
  100 controller samples are scored.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from surrogate_nb.evaluation.weight_sharing.loop import (
    Forward,
    SearchData,
    SearchMethod,
    all_op_ids,
)
from surrogate_nb.space import EDGES, NUM_ARCHS, NUM_EDGES, NUM_OPS, Arch
from surrogate_nb.supernet import NONE_OP


class RSPS(SearchMethod):
    """Random search with parameter sharing."""

    name: ClassVar[str] = "rsps"

    def _cell(self, gen: torch.Generator) -> tuple[int, ...]:
        ops = [0] * NUM_EDGES
        for target in (1, 2, 3):
            edges = [e for e, (_, dst) in enumerate(EDGES) if dst == target]
            while True:
                draw = torch.randint(0, NUM_OPS, (len(edges),), generator=gen).tolist()
                if any(o != NONE_OP for o in draw):
                    break
            for e, o in zip(edges, draw):
                ops[e] = int(o)
        return tuple(ops)

    def weight_forward(self, gen: torch.Generator) -> Forward:
        return {"arch": [self._cell(gen) for _ in range(self.net.num_search_cells)]}

    def candidates(self, n: int, gen: torch.Generator) -> list[Arch]:
        ops = all_op_ids()
        pick = torch.randperm(NUM_ARCHS, generator=gen)[:n].tolist()
        return [Arch(tuple(int(o) for o in ops[k])) for k in pick]


class Controller(nn.Module):
    """ENAS's LSTM policy over the six edges' ops."""

    def __init__(self, size: int = 32, layers: int = 2, tanh_c: float = 2.5, temp: float = 5.0):
        super().__init__()
        self.tanh_c, self.temp = tanh_c, temp
        self.input_vars = nn.Parameter(torch.empty(1, 1, size))
        self.lstm = nn.LSTM(input_size=size, hidden_size=size, num_layers=layers)
        self.embed = nn.Embedding(NUM_OPS, size)
        self.pred = nn.Linear(size, NUM_OPS)
        for p in (
            self.input_vars,
            self.lstm.weight_hh_l0,
            self.lstm.weight_ih_l0,
            self.embed.weight,
            self.pred.weight,
        ):
            nn.init.uniform_(p, -0.1, 0.1)

    def forward(
        self, gen: torch.Generator | None, greedy: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, Arch, np.ndarray]:
        """(sum log-prob, sum entropy, cell, (6, 5) op probabilities along the path)."""
        inputs, state = self.input_vars, None
        logps, ents, ops, probs = [], [], [], []
        for _ in range(NUM_EDGES):
            out, state = self.lstm(inputs, state)
            logits = self.tanh_c * torch.tanh(self.pred(out).view(-1) / self.temp)
            p = F.softmax(logits, dim=-1)
            if greedy:
                op = int(p.argmax())
            else:
                op = int(torch.multinomial(p.detach().cpu(), 1, generator=gen))
            logp = F.log_softmax(logits, dim=-1)
            logps.append(logp[op])
            ents.append(-(p * logp).sum())
            ops.append(op)
            probs.append(p.detach().cpu().numpy())
            inputs = self.embed(torch.tensor([[op]], device=logits.device))
        return torch.stack(logps).sum(), torch.stack(ents).sum(), Arch(tuple(ops)), np.stack(probs)


class ENAS(SearchMethod):
    """ENAS: controller-sampled paths, REINFORCE on validation accuracy."""

    name: ClassVar[str] = "enas"
    arch_defaults: ClassVar[dict] = {
        "lr": 1e-3,
        "betas": (0.5, 0.999),
        "weight_decay": 0.0,
        "eps": 1e-3,
    }
    entropy_weight: ClassVar[float] = 1e-4
    baseline_decay: ClassVar[float] = 0.99
    grad_clip: ClassVar[float] = 5.0

    def setup(self, net, config, gen):
        super().setup(net, config, gen)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=gen)))
            self.controller = Controller().to(next(net.parameters()).device)
        self.a_opt = self.arch_optimizer(list(self.controller.parameters()))
        self.baseline: float | None = None

    def weight_forward(self, gen: torch.Generator) -> Forward:
        with torch.no_grad():
            self.controller.eval()
            _, _, cell, _ = self.controller(gen)
        return {"arch": cell}

    def end_epoch(self, data: SearchData, gen: torch.Generator) -> dict[str, float]:
        # NB201's train_controller: the baseline moves one EMA step from the previous epoch's
        # value towards each reward (it is not chained within the epoch); the epoch's mean
        # baseline becomes the next epoch's. In the first epoch the baseline is the accuracy.
        c = self.config
        net, ctl = self.net, self.controller
        device = next(net.parameters()).device
        net.eval()
        ctl.train()
        self.a_opt.zero_grad(set_to_none=True)
        batches = data.valid_batches(c.eval_batch_size, gen)
        prev = self.baseline
        rewards, baselines = [], []
        for step in range(c.controller_steps * c.controller_aggregate):
            x, y = next(batches)
            logp, ent, cell, _ = ctl(gen)
            with torch.no_grad():
                acc = float((net(x.to(device), arch=cell).argmax(1) == y.to(device)).float().mean())
            reward = acc + self.entropy_weight * float(ent.detach())
            base = acc if prev is None else prev - (1 - self.baseline_decay) * (prev - reward)
            loss = -logp * (reward - base) / c.controller_aggregate
            loss.backward()
            rewards.append(reward)
            baselines.append(base)
            if (step + 1) % c.controller_aggregate == 0:
                nn.utils.clip_grad_norm_(ctl.parameters(), self.grad_clip)
                self.a_opt.step()
                self.a_opt.zero_grad(set_to_none=True)
        self.baseline = float(np.mean(baselines))
        net.train()
        return {"reward": float(np.mean(rewards)), "baseline": self.baseline}

    def op_probs(self) -> np.ndarray:
        with torch.no_grad():
            self.controller.eval()
            return self.controller(None, greedy=True)[3]

    def derived(self) -> Arch:
        with torch.no_grad():
            self.controller.eval()
            return self.controller(None, greedy=True)[2]

    def candidates(self, n: int, gen: torch.Generator) -> list[Arch]:
        with torch.no_grad():
            self.controller.eval()
            return [self.controller(gen)[2] for _ in range(n)]
