"""Study `nb301`: NAS-Bench-301's evaluation protocol on a table of a sampled space (DARTS).

NB301 claims a surrogate fitted on a few thousand trained cells can stand in for a benchmark over
~10^18 cells. On our own table this study measures, for each surrogate model:

* **random split** (NB301's 0.8 / 0.1 / 0.1 train / valid / test, the validation part unused here):
  R², Kendall τ, NB301's sparse Kendall τ (values rounded to 0.1), coverage of the 90 % interval;
* **training-set size**: held-out τ against the number of training cells (same test cells);
* **leave-one-optimizer-out**: for each optimizer recorded in the table's manifest (``sources``:
  random sampling, REA, ...; an optimizer's true runs of `nb301-true`, ``<name>-true``, count as
  that optimizer), train on every cell the optimizer did not propose and test on the cells it
  proposed;
* **noise** (NB301's headline claim), on the cells trained with several seeds: the surrogate,
  fitted without those cells, predicts their seed mean; compared with one seed's value against
  the mean of the other seeds (what a tabular entry of one run gives). The claim holds when the
  surrogate's error is smaller;
* **runtime**: a surrogate of the training time (NB301 ships one), held-out τ and R².

Labels are per-cell means over the seeds the table holds for the cell. The table's own
seed-to-seed τ (`surrogate_nb.ranking`, over cells with several seeds) is the reference: NB301's
goal for the best model is a held-out τ within 0.1 of it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb import ranking
from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.evaluation.report import PALETTE, Report
from surrogate_nb.evaluation.studies._common import (
    TRUE_SUFFIX,
    StudyResult,
    fit_predict,
    metric_unit,
    recorded_sources,
    score,
    seed_matrix,
    table_facts,
    usable_sizes,
)
from surrogate_nb.regressors import LGBRegressor, Surrogate, SurrogateModel
from surrogate_nb.regressors.fitting import draw_nested, for_space
from surrogate_nb.table import BenchmarkLike

#: Headline metrics of each part, with their labels.
SHOWN = {
    "kendall_tau": "Kendall τ",
    "sparse_kendall_tau": "sparse Kendall τ",
    "r2": "R²",
    "coverage_90": "90 % coverage",
}
#: A source needs this many cells to be left out on its own.
MIN_SOURCE_CELLS = 10
#: The study's parts, in the order they run (`nb301_study(parts=...)` picks some).
PARTS = ("split", "sizes", "sources", "noise", "runtime")


@dataclass
class NB301Result(StudyResult):
    """What `nb301_study` found (each list: one row per model, or per model and source/size).

    Attributes:
        cells: cells with a value; split: (train, test) sizes of the random split.
        seed_tau: the table's seed-to-seed Kendall τ (NaN without cells of several seeds).
        split_rows: random-split metrics per model.
        size_rows: held-out τ per (model, training size).
        source_rows: leave-one-optimizer-out metrics per (model, source).
        noise: the noise comparison (rows per model and the tabular reference) and its verdict.
        runtime: the runtime surrogate's held-out metrics.
        parts: the parts that ran (`PARTS`).
    """

    cells: int
    split: tuple[int, int]
    seed_tau: float
    split_rows: list[dict[str, Any]]
    size_rows: list[dict[str, Any]]
    source_rows: list[dict[str, Any]]
    noise: dict[str, Any]
    runtime: dict[str, Any]
    parts: tuple[str, ...] = PARTS

    headline = "nb301_split_tau"


def cell_labels(
    benchmark: BenchmarkLike, dataset: str, metric: str, hp: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cells, per-cell seed mean, per-cell seed values (n, S) with NaN holes) of a table."""
    idx, Y, _ = seed_matrix(benchmark, dataset, metric, hp)
    return idx, np.nanmean(Y, axis=1), Y


def noise_comparison(
    prototype: SurrogateModel,
    idx: np.ndarray,
    y: np.ndarray,
    Y: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """NB301's noise claim on the cells with >= 3 seeds (the noise subset).

    The surrogate is fitted on every other cell (mean labels) and predicts the noise cells' seed
    mean; the tabular reference is each seed's value against the mean of the other seeds.

    Returns:
        {"cells", "surrogate": {mae, kendall_tau}, "one_seed": {mae, kendall_tau}, "holds"}
        (surrogate MAE below one seed's); None values without enough noise cells.
    """
    n_seeds = np.isfinite(Y).sum(axis=1)
    noisy = n_seeds >= 3
    if noisy.sum() < 5 or (~noisy).sum() < 10:
        return {"cells": int(noisy.sum()), "holds": None}
    mean, _ = fit_predict(prototype, idx[~noisy], y[~noisy], idx[noisy], rng)
    target = y[noisy]
    Yn = Y[noisy]
    one_mae, one_tau = [], []
    for s in range(Y.shape[1]):
        have = np.isfinite(Yn[:, s]) & (np.isfinite(np.delete(Yn, s, axis=1)).sum(axis=1) >= 2)
        if have.sum() < 5:
            continue
        others = np.nanmean(np.delete(Yn[have], s, axis=1), axis=1)
        one_mae.append(float(np.mean(np.abs(Yn[have, s] - others))))
        one_tau.append(ranking.kendall_tau(Yn[have, s], others))
    surrogate = {
        "mae": float(np.mean(np.abs(mean - target))),
        "kendall_tau": ranking.kendall_tau(mean, target),
    }
    one = {"mae": float(np.mean(one_mae)), "kendall_tau": float(np.mean(one_tau))}
    return {
        "cells": int(noisy.sum()),
        "surrogate": surrogate,
        "one_seed": one,
        "holds": bool(surrogate["mae"] < one["mae"]),
    }


def stream(base: int, *keys: str | int) -> np.random.Generator:
    """The random stream of one fit, named by `keys` (part, model, size or source): a model's
    numbers do not depend on which other models and parts ran, or in which order."""
    return np.random.default_rng([base, *(zlib.crc32(str(k).encode()) for k in keys)])


def by_optimizer(sources: Mapping[str, Any]) -> dict[str, list[int]]:
    """The manifest's cell lists per source, grouped by optimizer: ``<name>-true`` (cells of
    `nb301-true`'s real-training runs) joins ``<name>``; counts (an enumerable space) are
    dropped."""
    out: dict[str, set[int]] = {}
    for name, cells in recorded_sources(sources).items():
        out.setdefault(name.removesuffix(TRUE_SUFFIX), set()).update(cells)
    return {name: sorted(cells) for name, cells in out.items()}


def source_regions(sources: Mapping[str, Sequence[int]], idx: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean masks over `idx` of the cells each source proposed (sources with enough cells)."""
    out = {}
    for name, cells in sources.items():
        mask = np.isin(idx, np.asarray(list(cells), dtype=np.int64))
        if mask.sum() >= MIN_SOURCE_CELLS and (~mask).sum() >= MIN_SOURCE_CELLS:
            out[name] = mask
    return out


def nb301_study(
    benchmark: BenchmarkLike,
    dataset: str,
    metric: str,
    out: str | Path,
    *,
    hp: str | None = None,
    surrogates: Mapping[str, SurrogateModel],
    sizes: Sequence[int] = (30, 100, 300, 1000, 3000),
    rng: np.random.Generator,
    parts: Collection[str] = PARTS,
    on_step: Callable[[str], None] | None = None,
) -> NB301Result:
    """Run NB301's evaluation protocol on `benchmark` (see the module docstring).

    Args:
        benchmark: a table (any space; DARTS is the point) with a ``sources`` manifest entry for
            the leave-one-optimizer-out part (skipped without one).
        dataset, metric, hp: the target (e.g. fashion-mnist-valid, x-valid_acc).
        out: report folder (report.md, PNGs, figures.json, summary.json).
        surrogates: {label: prototype}; the first is also the noise part's model.
        sizes: training sizes of the size curve (those the split allows).
        rng: every split and fit draws from it.
        parts: which of `PARTS` to run (e.g. only ``split`` for a model whose fits take
            minutes); the random split is drawn either way, so its test cells are the same.
        on_step: called with a short description before each fit (progress).

    Raises:
        SurrogateNBError: fewer than 20 cells with a value, or no surrogate.
    """
    if not surrogates:
        raise SurrogateNBError("the nb301 study needs at least one surrogate")
    for part in parts:
        if part not in PARTS:
            raise UnknownKeyError("nb301 study part", part, list(PARTS))
    run = tuple(p for p in PARTS if p in parts)
    surrogates = {k: for_space(v, benchmark.space) for k, v in surrogates.items()}
    step = on_step or (lambda _: None)
    idx, y, Y = cell_labels(benchmark, dataset, metric, hp)
    if len(idx) < 20:
        raise SurrogateNBError(
            f"the nb301 study needs >= 20 cells with {metric!r}; the table has {len(idx)}"
        )
    seed_tau = ranking.seed_agreement(Y, benchmark.seeds(dataset, hp)).seed_to_seed_kendall_tau
    test, rest = draw_nested(len(idx), max(5, len(idx) // 10), rng)
    train = rest[: len(rest) - len(rest) // 9]  # 0.8 / 0.1 (valid, unused) / 0.1
    base = int(rng.integers(2**62))  # every fit draws from its own stream of this

    split_rows, size_rows, source_rows = [], [], []
    for label, proto in surrogates.items():
        if "split" in run:
            step(f"{label}: random split ({len(train)} training cells)")
            mean, std = fit_predict(
                proto, idx[train], y[train], idx[test], stream(base, "split", label)
            )
            split_rows.append({"model": label, **score(y[test], mean, std)})
        for n in usable_sizes(sizes, len(train)) if "sizes" in run else []:
            step(f"{label}: {n} training cells")
            m, s = fit_predict(
                proto, idx[train[:n]], y[train[:n]], idx[test], stream(base, "sizes", label, n)
            )
            size_rows.append({"model": label, "n_train": n, **score(y[test], m, s)})

    sources = by_optimizer(benchmark.manifest.get("sources") or {}) if "sources" in run else {}
    regions = source_regions(sources, idx)
    for name, mask in regions.items():
        for label, proto in surrogates.items():
            step(f"{label}: leave out {name} ({int(mask.sum())} cells)")
            m, s = fit_predict(
                proto, idx[~mask], y[~mask], idx[mask], stream(base, "sources", label, name)
            )
            source_rows.append(
                {"model": label, "left out": name, "cells": int(mask.sum()), **score(y[mask], m, s)}
            )

    noise: dict[str, Any] = {}
    if "noise" in run:
        step("noise: surrogate vs one seed on the noise subset")
        noise = noise_comparison(next(iter(surrogates.values())), idx, y, Y, stream(base, "noise"))

    runtime: dict[str, Any] = {}
    t_idx, t = benchmark.to_xy(dataset, "train_time_s", hp=hp)
    held_out = np.isin(t_idx, idx[test])  # the random split's test cells
    if "runtime" in run and held_out.sum() >= 5 and (~held_out).sum() >= 10:
        step("runtime surrogate")
        m, s = fit_predict(
            Surrogate(LGBRegressor(), space=benchmark.space),
            t_idx[~held_out],
            t[~held_out],
            t_idx[held_out],
            stream(base, "runtime"),
        )
        runtime = {"cells": int(held_out.sum()), **score(t[held_out], m, s)}

    result = NB301Result(
        out=Path(out),
        facts=table_facts(benchmark, dataset, metric, hp),
        cells=len(idx),
        split=(len(train), len(test)),
        seed_tau=float(seed_tau),
        split_rows=split_rows,
        size_rows=size_rows,
        source_rows=source_rows,
        noise=noise,
        runtime=runtime,
        parts=run,
    )
    _report(result, benchmark, dataset, metric, out)
    return result


def _report(
    r: NB301Result, benchmark: BenchmarkLike, dataset: str, metric: str, out: str | Path
) -> None:
    report = Report(Path(out), f"NB301's evaluation protocol on {dataset} · {metric}")
    report.text(
        f"{r.cells} cells with a value (per-cell mean over their seeds); random split "
        f"{r.split[0]} training / {r.split[1]} test cells. The table's seed-to-seed Kendall τ "
        f"is {r.seed_tau:.3f}: NB301's goal is the best model's held-out τ within 0.1 of it. "
        f"Space: {benchmark.space.name}; unit: {metric_unit(metric)}."
    )
    if r.parts != PARTS:
        report.text(f"Parts run: {', '.join(r.parts)} (of {', '.join(PARTS)}).")
    if "split" in r.parts:
        report.heading("Random split")
        report.table(
            [
                {"model": row["model"], **{v: row[k] for k, v in SHOWN.items()}}
                for row in r.split_rows
            ]
        )
    if r.size_rows:
        data = {
            m: [(row["n_train"], row["kendall_tau"]) for row in r.size_rows if row["model"] == m]
            for m in dict.fromkeys(row["model"] for row in r.size_rows)
        }

        def draw(fig, data=data):
            ax = fig.add_subplot(1, 1, 1)
            for k, (m, pts) in enumerate(data.items()):
                xs, ys = zip(*pts)
                ax.plot(xs, ys, "o-", color=PALETTE[k % len(PALETTE)], label=m)
            if np.isfinite(r.seed_tau):
                ax.axhline(r.seed_tau, color="grey", ls="--", label="seed-to-seed τ")
            ax.set_xscale("log")
            ax.set_xlabel("training cells")
            ax.set_ylabel("held-out Kendall τ")
            ax.legend()

        report.figure(
            "nb301_train_size",
            draw,
            data,
            f"Held-out Kendall τ on the same {r.split[1]} test cells against the number of "
            "training cells; dashed: the table's seed-to-seed τ.",
            headline=True,
        )
    if "sources" in r.parts:
        _sources_section(report, r)
    if "noise" in r.parts:
        _noise_section(report, r.noise)
    if r.runtime:
        report.heading("Runtime surrogate")
        report.table([{"cells": r.runtime["cells"], **{v: r.runtime[k] for k, v in SHOWN.items()}}])
    report.summary = r.to_dict()
    report.write()


def _sources_section(report: Report, r: NB301Result) -> None:
    report.heading("Leave one optimizer out")
    if r.source_rows:
        report.table(
            [
                {
                    "model": row["model"],
                    "left out": row["left out"],
                    "cells": row["cells"],
                    **{v: row[k] for k, v in SHOWN.items()},
                }
                for row in r.source_rows
            ]
        )
    else:
        report.text(f"No source with at least {MIN_SOURCE_CELLS} cells besides the others.")


def _noise_section(report: Report, n: dict[str, Any]) -> None:
    report.heading("Noise: surrogate vs one seed")
    if n.get("holds") is None:
        report.text(f"Not enough cells with >= 3 seeds ({n.get('cells', 0)}).")
    else:
        report.text(
            f"On {n['cells']} cells with >= 3 seeds: the surrogate (fitted without them) is "
            f"{n['surrogate']['mae']:.3f} from their seed mean "
            f"(τ {n['surrogate']['kendall_tau']:.3f}); one seed is {n['one_seed']['mae']:.3f} "
            "from the other seeds' mean (τ "
            f"{n['one_seed']['kendall_tau']:.3f}). NB301's claim "
            + ("**holds** here." if n["holds"] else "**does not hold** here.")
        )
