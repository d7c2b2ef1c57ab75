"""Surrogate models with uncertainty for cells of any registered space: bagged XGBoost /
LightGBM, deep ensembles.

Front door: `Surrogate` (cells in, calibrated (mean, std) out, save/load) and
`SurrogateBenchmark` (the tabular `Benchmark.query` interface answered by surrogates). The
regressors themselves follow `BaseRegressor` and are listed by name in `REGRESSORS`.
xgboost, lightgbm and torch are imported only when a model is fitted or loaded.
"""

from surrogate_nb.regressors.base import BaseRegressor
from surrogate_nb.regressors.benchmark import SurrogateBenchmark
from surrogate_nb.regressors.ensemble import DeepEnsembleRegressor
from surrogate_nb.regressors.features import feature_names, feature_sets, featurize
from surrogate_nb.regressors.lgb import LGBRegressor
from surrogate_nb.regressors.surrogate import Surrogate
from surrogate_nb.regressors.xgb import XGBRegressor

#: Model name -> regressor class (the CLI's `--model` and saved manifests use these names).
REGRESSORS: dict[str, type[BaseRegressor]] = {
    "xgb": XGBRegressor,
    "lgb": LGBRegressor,
    "ensemble": DeepEnsembleRegressor,
}

__all__ = [
    "REGRESSORS",
    "BaseRegressor",
    "DeepEnsembleRegressor",
    "LGBRegressor",
    "Surrogate",
    "SurrogateBenchmark",
    "XGBRegressor",
    "feature_names",
    "feature_sets",
    "featurize",
]
