"""Surrogate models with uncertainty for cells of any registered space: bagged XGBoost /
LightGBM, deep ensembles, graph networks.

Front door: `Surrogate` (cells in, calibrated (mean, std) out, save/load) and
`SurrogateBenchmark` (the tabular `Benchmark.query` interface answered by surrogates). The
regressors themselves follow `BaseRegressor`; pass an instance (``Surrogate(XGBRegressor())``).
`REGRESSORS` maps the names saved models record to classes (loading, and the CLI's ``--model``).
xgboost, lightgbm and torch are imported only when a model is fitted or loaded.
"""

from surrogate_nb.regressors.base import BaseRegressor
from surrogate_nb.regressors.benchmark import ALL_HPS, SurrogateBenchmark, Target, fit_table_model
from surrogate_nb.regressors.ensemble import DeepEnsembleRegressor
from surrogate_nb.regressors.features import feature_names, feature_sets, featurize
from surrogate_nb.regressors.fitting import (
    Fit,
    SurrogateModel,
    draw_nested,
    draw_split,
    fit_copy,
    fit_from_table,
    fit_on_cells,
)
from surrogate_nb.regressors.graph import GINRegressor
from surrogate_nb.regressors.lgb import LGBRegressor
from surrogate_nb.regressors.prediction import Prediction, Predictions, load_models, predict_saved
from surrogate_nb.regressors.surrogate import REGRESSORS, Surrogate, make_surrogate
from surrogate_nb.regressors.xgb import XGBRegressor

__all__ = [
    "ALL_HPS",
    "REGRESSORS",
    "BaseRegressor",
    "DeepEnsembleRegressor",
    "Fit",
    "GINRegressor",
    "LGBRegressor",
    "Prediction",
    "Predictions",
    "Surrogate",
    "SurrogateBenchmark",
    "SurrogateModel",
    "Target",
    "XGBRegressor",
    "draw_nested",
    "draw_split",
    "feature_names",
    "feature_sets",
    "featurize",
    "fit_copy",
    "fit_from_table",
    "fit_on_cells",
    "fit_table_model",
    "load_models",
    "make_surrogate",
    "predict_saved",
]
