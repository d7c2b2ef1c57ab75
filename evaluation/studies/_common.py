"""Pieces the studies share: making surrogates, scoring them, describing the data used."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError

#: A factory for a fresh, unfitted surrogate by model name. The object must have
#: ``fit(archs, y, *, rng)`` and ``predict(archs) -> (mean, std)``.
SurrogateFactory = Callable[[str], Any]

#: Models the studies fit unless told otherwise.
DEFAULT_MODELS: tuple[str, ...] = ("xgb", "lgb")


def default_factory(model: str) -> Any:
    """`surrogate_nb.regressors.Surrogate(model=model)`."""
    from surrogate_nb.regressors import Surrogate

    return Surrogate(model=model)


def score(y_true: np.ndarray, mean: np.ndarray, std: np.ndarray) -> dict[str, float]:
    """`surrogate_nb.evaluation.metrics.all_metrics` (Kendall tau, R², RMSE, NLL, coverage ...)."""
    from surrogate_nb.evaluation.metrics import all_metrics

    return {k: float(v) for k, v in all_metrics(y_true, mean, std).items()}


def fit_predict(
    factory: SurrogateFactory,
    model: str,
    train_idx: np.ndarray,
    y_train: np.ndarray,
    test_idx: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a fresh `model` on (train cells, labels) and predict the test cells: (mean, std)."""
    if len(train_idx) < 2:
        raise SurrogateNBError(
            f"cannot fit a {model!r} surrogate on {len(train_idx)} cell(s); need at least 2"
        )
    surrogate = factory(model)
    surrogate.fit(np.asarray(train_idx, np.int64), np.asarray(y_train, np.float64), rng=rng)
    mean, std = surrogate.predict(np.asarray(test_idx, np.int64))
    return np.asarray(mean, np.float64), np.asarray(std, np.float64)


def metric_unit(metric: str) -> str:
    """Axis-label unit of a table metric."""
    if metric.endswith(("_acc", "_acc5")):
        return "accuracy points, %"
    if metric.endswith("_time") or metric.endswith("_s"):
        return "seconds"
    if metric.endswith("_loss"):
        return "cross-entropy"
    return f"{metric} units"


def usable_sizes(sizes: Sequence[int], available: int) -> list[int]:
    """The requested training sizes that fit in `available` cells (else all `available`)."""
    out = sorted({int(n) for n in sizes if 2 <= int(n) <= available})
    if not out and available >= 2:
        out = [available]
    return out


def table_facts(benchmark: Any, dataset: str, metric: str, hp: str | None) -> dict[str, Any]:
    """What the data is: cells, seeds, epochs, fidelity notes from the manifest (when present)."""
    facts: dict[str, Any] = {"dataset": dataset, "metric": metric, "hp": hp}
    try:
        idx, _ = benchmark.to_xy(dataset, metric, hp=hp)
        facts["cells"] = len(idx)
    except Exception:
        facts["cells"] = None
    for name in ("seeds", "epochs"):
        fn = getattr(benchmark, name, None)
        if fn is not None:
            try:
                facts[name] = fn(dataset, hp=hp)
            except Exception:
                facts[name] = None
    manifest = getattr(benchmark, "manifest", None)
    if isinstance(manifest, dict):
        ds = manifest.get("datasets", {}).get(dataset, {})
        facts["manifest_dataset"] = ds
        facts["command"] = manifest.get("command")
        facts["path"] = str(getattr(benchmark, "path", ""))
    return facts


def facts_markdown(facts: dict[str, Any]) -> str:
    """One paragraph stating which data a report used."""
    seeds = facts.get("seeds")
    parts = [
        f"**Data:** table `{facts.get('path') or '(in memory)'}`, dataset `{facts['dataset']}`, "
        f"metric `{facts['metric']}`, hp `{facts['hp']}`",
        f"{facts['cells']} cells with a value" if facts.get("cells") is not None else None,
        f"seeds {list(seeds)}" if seeds else None,
        f"T = {facts['epochs']} epochs" if facts.get("epochs") else None,
    ]
    text = "; ".join(p for p in parts if p) + "."
    fid = (facts.get("manifest_dataset") or {}).get("fidelity")
    if fid:
        text += f" Fidelity (from the table manifest): `{fid}`."
    return text


def seed_matrix(
    benchmark: Any, dataset: str, metric: str, hp: str | None
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Per-seed labels: (indices (n,), Y (n, n_seeds) with NaN where missing, seeds).

    Rows are the cells with a value for at least one seed.
    """
    seeds = list(benchmark.seeds(dataset, hp=hp))
    cols = {}
    for s in seeds:
        idx, y = benchmark.to_xy(dataset, metric, hp=hp, seed=s)
        cols[s] = dict(zip(idx.tolist(), y.tolist()))
    cells = np.asarray(sorted(set().union(*[set(c) for c in cols.values()])), np.int64)
    Y = np.full((len(cells), len(seeds)), np.nan)
    for j, s in enumerate(seeds):
        for i, c in enumerate(cells.tolist()):
            v = cols[s].get(c)
            if v is not None:
                Y[i, j] = v
    return cells, Y, seeds
