import itertools
import math

import pytest

from surrogate_nb.exhaustive import SEEDS, TrainConfig


def test_defaults_are_the_protocol():
    c = TrainConfig()
    assert (c.lr, c.momentum, c.nesterov, c.weight_decay, c.batch_size) == (
        0.1,
        0.9,
        True,
        5e-4,
        256,
    )
    assert SEEDS == (777, 888, 999)
    assert c.hp == "200" and TrainConfig(epochs=12).hp == "12"


def test_schedule_is_cosine_constant_within_epoch():
    c = TrainConfig(epochs=12)
    lrs = [c.lr_at(e) for e in range(12)]
    assert lrs[0] == pytest.approx(0.1)
    for e, lr in enumerate(lrs):
        assert lr == pytest.approx(0.05 * (1 + math.cos(math.pi * e / 12)))
    assert all(a > b for a, b in itertools.pairwise(lrs))
    assert lrs[-1] > 0
    with pytest.raises(ValueError, match="epoch"):
        c.lr_at(12)


def test_crop_padding_and_validation():
    c = TrainConfig()
    assert c.pad_for(32) == 4 and c.pad_for(16) == 2 and c.pad_for(8) == 1
    assert TrainConfig(crop_pad=3).pad_for(32) == 3
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="train_subset"):
        TrainConfig(train_subset=-5)
