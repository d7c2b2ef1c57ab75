"""Mixup in the trainer (NB301's α 0.2): the mixed batch, the mixed loss, and a real trial."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from surrogate_nb.exhaustive.datasets import load_setting
from surrogate_nb.exhaustive.trainer import mixed_loss, mixup, train_trial
from surrogate_nb.space import DARTS
from tests.exhaustive.test_darts_build import TINY


def test_mixup_mixes_each_image_with_the_shuffled_batch():
    x = torch.arange(4 * 3, dtype=torch.float32).view(4, 3)
    gen = torch.Generator().manual_seed(0)
    mixed, order, lam = mixup(x, 0.2, gen, np.random.default_rng(5))
    assert lam == pytest.approx(float(np.random.default_rng(5).beta(0.2, 0.2)))
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert torch.allclose(mixed, lam * x + (1 - lam) * x[order])


def test_mixed_loss_weights_the_two_targets():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 0])
    order = torch.tensor([2, 0, 1])
    assert mixed_loss(logits, y, None, 0.3) == F.cross_entropy(logits, y)
    want = 0.3 * F.cross_entropy(logits, y) + 0.7 * F.cross_entropy(logits, y[order])
    assert torch.isclose(mixed_loss(logits, y, order, 0.3), want)


def test_a_trial_with_mixup_trains_and_differs_from_one_without(toy_dir):
    data = load_setting("npz", str(toy_dir))
    arch = DARTS.sample(np.random.default_rng(0))
    plain = train_trial(arch, data, TINY, 777)
    mixed = train_trial(arch, data, dataclasses.replace(TINY, mixup_alpha=0.2), 777)
    again = train_trial(arch, data, dataclasses.replace(TINY, mixup_alpha=0.2), 777)
    assert plain["status"] == mixed["status"] == "ok"
    loss = mixed["curves"]["train_loss"]
    assert np.isfinite(loss).all() and loss != plain["curves"]["train_loss"]
    assert loss == again["curves"]["train_loss"]  # seeded: the same λ and orders
