"""Gradient-based methods: DARTS first order (V1) and second order (V2), GDAS, SETN.

All four keep architecture logits alpha, shape (6 edges, 5 ops), initialised as 1e-3 * N(0, 1)
and shared by every cell, trained by Adam on validation batches (NB201's settings, see
`loop.SearchConfig`). They differ in how the supernet uses them:

* DARTS-V1: every edge is the softmax(alpha)-weighted sum of its ops, for both steps.
* DARTS-V2: as V1, but the architecture gradient is taken through one virtual SGD step of the
  weights, w' = w - lr (momentum buffer * momentum + grad + wd * w), with the second-order term
  approximated by finite differences, epsilon = 0.01 / ||grad_w' L_val|| (DARTS, Liu et al. 2019).
* GDAS: a Gumbel-max sample per edge with temperature tau (10 -> 0.1 linearly over epochs); only
  the sampled op runs, its straight-through one-hot weight carries the gradient (Dong & Yang 2019).
* SETN: weights are trained on uniformly sampled single cells; alpha is trained like DARTS-V1;
  at the end the 100 most likely cells under alpha are scored on validation batches (Dong & Yang
  2019, one-shot with a template network).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from surrogate_nb.errors import SurrogateNBError
from surrogate_nb.evaluation.weight_sharing.loop import (
    Forward,
    SearchConfig,
    SearchMethod,
    all_op_ids,
    uniform_cell,
)
from surrogate_nb.space import NUM_EDGES, NUM_OPS, Arch
from surrogate_nb.supernet import SuperNetwork


class _AlphaMethod(SearchMethod):
    """Shared state: the logits alpha (6, 5) and their Adam optimizer."""

    def setup(self, net: SuperNetwork, config: SearchConfig, gen: torch.Generator) -> None:
        super().setup(net, config, gen)
        device = next(net.parameters()).device
        init = 1e-3 * torch.randn(NUM_EDGES, NUM_OPS, generator=gen)
        self.alpha = init.to(device).requires_grad_()
        self.a_opt = self.arch_optimizer([self.alpha])

    def op_probs(self) -> np.ndarray:
        return F.softmax(self.alpha.detach(), dim=-1).cpu().numpy()

    def _mixture_step(self, valid: tuple[torch.Tensor, torch.Tensor]) -> tuple[float, float]:
        xv, yv = valid
        self.a_opt.zero_grad(set_to_none=True)
        logits = self.net(xv, weights=F.softmax(self.alpha, dim=-1))
        loss = F.cross_entropy(logits, yv)
        loss.backward(inputs=[self.alpha])
        self.a_opt.step()
        return float(loss.detach()), _acc(logits, yv)

    def candidates(self, n: int, gen: torch.Generator) -> list[Arch]:
        return [self.derived()]


def _acc(logits: torch.Tensor, y: torch.Tensor) -> float:
    return 100.0 * float((logits.detach().argmax(1) == y).float().mean())


class DartsV1(_AlphaMethod):
    """DARTS, first-order approximation."""

    name: ClassVar[str] = "darts-v1"

    def weight_forward(self, gen: torch.Generator) -> Forward:
        return {"weights": F.softmax(self.alpha.detach(), dim=-1)}

    def arch_step(self, base, valid, w_optimizer, gen):
        return self._mixture_step(valid)


class DartsV2(DartsV1):
    """DARTS, second-order (unrolled) architecture gradient."""

    name: ClassVar[str] = "darts-v2"
    #: Finite-difference scale of the Hessian-vector product (DARTS: 0.01).
    fd_scale: ClassVar[float] = 1e-2

    def arch_step(self, base, valid, w_optimizer, gen):
        from torch.func import functional_call

        (xb, yb), (xv, yv) = base, valid
        net = self.net
        names = [n for n, _ in net.named_parameters()]
        params = [p for _, p in net.named_parameters()]
        group = w_optimizer.param_groups[0]
        lr, wd, mom = group["lr"], group["weight_decay"], group["momentum"]
        # w' = w - lr * (momentum * buffer + dL_train/dw + wd * w)
        loss = F.cross_entropy(net(xb, weights=F.softmax(self.alpha.detach(), dim=-1)), yb)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            unrolled = []
            for p, g in zip(params, grads):
                buf = w_optimizer.state.get(p, {}).get("momentum_buffer")
                moment = buf * mom if buf is not None else torch.zeros_like(p)
                unrolled.append((p - lr * (moment + g + wd * p)).requires_grad_())
        weights = F.softmax(self.alpha, dim=-1)
        logits = functional_call(net, dict(zip(names, unrolled)), (xv,), {"weights": weights})
        val_loss = F.cross_entropy(logits, yv)
        d_alpha, *d_w = torch.autograd.grad(val_loss, [self.alpha, *unrolled])
        # Hessian-vector product d2L_train/(dalpha dw) . d_w by central differences
        norm = torch.cat([v.reshape(-1) for v in d_w]).norm()
        r = self.fd_scale / float(norm) if float(norm) > 0 else 0.0
        hv = []
        for sign in (1.0, -2.0):
            with torch.no_grad():
                for p, v in zip(params, d_w):
                    p.add_(v, alpha=sign * r)
            out = net(xb, weights=F.softmax(self.alpha, dim=-1))
            hv.append(torch.autograd.grad(F.cross_entropy(out, yb), self.alpha)[0])
        with torch.no_grad():
            for p, v in zip(params, d_w):
                p.add_(v, alpha=r)
        implicit = (hv[0] - hv[1]) / (2 * r) if r > 0 else torch.zeros_like(d_alpha)
        self.a_opt.zero_grad(set_to_none=True)
        self.alpha.grad = (d_alpha - lr * implicit).detach()
        self.a_opt.step()
        return float(val_loss.detach()), _acc(logits, yv)


class GDAS(_AlphaMethod):
    """GDAS: Gumbel-max sampled single path per edge, straight-through gradient."""

    name: ClassVar[str] = "gdas"

    def setup(self, net, config, gen):
        super().setup(net, config, gen)
        self.tau = config.tau_max

    def start_epoch(self, epoch: int, epochs: int) -> dict[str, float]:
        c = self.config
        frac = epoch / (epochs - 1) if epochs > 1 else 0.0
        self.tau = c.tau_max - (c.tau_max - c.tau_min) * frac
        return {"tau": self.tau}

    def _hard(self, gen: torch.Generator, alpha: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        for _ in range(100):  # redraw the (rare) infinite Gumbel noise, as NB201 does
            u = torch.empty(alpha.shape).exponential_(generator=gen).to(alpha.device)
            gumbels = -u.log()
            probs = F.softmax((alpha.log_softmax(dim=1) + gumbels) / self.tau, dim=1)
            if torch.isfinite(gumbels).all() and torch.isfinite(probs).all():
                break
        else:  # pragma: no cover - needs 100 infinite draws in a row
            raise SurrogateNBError("GDAS: Gumbel noise kept overflowing; check the alphas")
        index = probs.argmax(dim=1)
        one_hot = torch.zeros_like(probs).scatter_(1, index[:, None], 1.0)
        return one_hot - probs.detach() + probs, index.tolist()

    def weight_forward(self, gen: torch.Generator) -> Forward:
        hard, index = self._hard(gen, self.alpha.detach())
        return {"weights": hard.detach(), "index": index}

    def arch_step(self, base, valid, w_optimizer, gen):
        xv, yv = valid
        self.a_opt.zero_grad(set_to_none=True)
        hard, index = self._hard(gen, self.alpha)
        logits = self.net(xv, weights=hard, index=index)
        loss = F.cross_entropy(logits, yv)
        loss.backward(inputs=[self.alpha])
        self.a_opt.step()
        return float(loss.detach()), _acc(logits, yv)


class SETN(_AlphaMethod):
    """SETN: uniform single-path weight training, DARTS-style alpha, top-K candidates."""

    name: ClassVar[str] = "setn"

    def weight_forward(self, gen: torch.Generator) -> Forward:
        return {"arch": uniform_cell(gen)}

    def arch_step(self, base, valid, w_optimizer, gen):
        return self._mixture_step(valid)

    def candidates(self, n: int, gen: torch.Generator) -> list[Arch]:
        logp = F.log_softmax(self.alpha.detach(), dim=-1).cpu().numpy()
        ops = all_op_ids()
        scores = logp[np.arange(NUM_EDGES), ops].sum(axis=1)
        top = np.argsort(-scores, kind="stable")[:n]
        return [Arch(tuple(int(o) for o in ops[k])) for k in top]
