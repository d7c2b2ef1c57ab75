"""`predict_saved`: a saved model's predictions for given cells (what `snb predict` prints)."""

from __future__ import annotations

import numpy as np
import pytest

from surrogate_nb.errors import InvalidArchError
from surrogate_nb.regressors import (
    LGBRegressor,
    Surrogate,
    SurrogateBenchmark,
    load_models,
    predict_saved,
)
from surrogate_nb.space import NB201


def _fit(shift: float) -> Surrogate:
    s = Surrogate(LGBRegressor(n_estimators=20), calibrate=False, space=NB201)
    return s.fit(np.arange(60), np.linspace(80, 90, 60) + shift, rng=np.random.default_rng(0))


def test_one_surrogate_predicts_in_input_order(tmp_path):
    s = _fit(0.0)
    path = s.save(tmp_path / "m")
    pred = predict_saved(path, ["6", 3, NB201.from_index(6)])
    mean, std = s.predict([6, 3, 6])
    assert [r.index for r in pred.rows] == [6, 3, 6] and not pred.multi
    assert [r.mean for r in pred.rows] == pytest.approx(mean)
    assert [r.std for r in pred.rows] == pytest.approx(std)
    assert pred.rows[0].arch == str(NB201.from_index(6)) and pred.model == "lgb"
    assert s.target_description_ == "" and pred.metric == "target" == pred.what  # nothing named
    assert list(pred.rows[0].to_dict()) == ["arch", "index", "metric", "mean", "std"]


def test_a_multi_schedule_model_answers_every_schedule_or_one(tmp_path):
    models = {("toy", "valid_acc", "200"): _fit(1.0), ("toy", "valid_acc", "12"): _fit(0.0)}
    path = SurrogateBenchmark(models).save(tmp_path / "mm")
    pred = predict_saved(path, [5, 7])
    assert pred.multi and pred.what == "toy/valid_acc" and pred.metric == "valid_acc"
    assert [(r.index, r.hp) for r in pred.rows] == [(5, "12"), (5, "200"), (7, "12"), (7, "200")]
    assert pred.rows[1].mean == pytest.approx(
        float(models["toy", "valid_acc", "200"].predict([5])[0][0])
    )
    assert pred.rows[0].to_dict()["hp"] == "12"
    one = predict_saved(path, [5], hp="200")
    assert [(r.index, r.hp) for r in one.rows] == [(5, "200")]
    assert list(load_models(path, "12")) == [("toy", "valid_acc", "12")]
    with pytest.raises(InvalidArchError, match="no schedule '7'"):
        predict_saved(path, [5], hp="7")
    with pytest.raises(InvalidArchError, match="no cells"):
        predict_saved(path, [])
