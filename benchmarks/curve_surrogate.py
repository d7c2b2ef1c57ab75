"""Learning-curve surrogates on held-out cells: the SVD-coefficient design vs budget-as-a-feature.

Claims measured, per recorded epoch / budget, on cells never seen in training:

* RMSE and Kendall τ of the predicted seed-mean value against the table's seed mean;
* coverage of the central 90 % interval (model std) of the seed mean, and of the interval with
  the noise model's variance added (``include_noise``) of every single seed's value;
* the noise model's single-run spread: the sd over 200 sampled curves per held-out cell vs the
  table's seed-to-seed sd (over the 3 seeds), each as the root of the mean variance over held-out
  cells (unbiased; a mean of 3-seed sds would be biased low), and their per-cell Spearman
  correlation.

Data: the committed Fashion-MNIST table (425 cells × 3 seeds × 12 epochs, ``x-valid_acc``,
`CurveSurrogate` on NB201 ``full`` features; ``--splits`` random 80/20 partitions of the cells,
seeds 0..splits-1, figures are means over splits) and, when ../shared/nb101/data-20k.json
exists, NB-101: the 20,001 published cells imported into a temporary table (one run per cell
and budget, validation accuracy in %), curves across the four budgets 4/12/36/108
(`budget_curves_from_table`), features from the space itself (`SearchSpace.featurize`, NB-101
``full``: 461 columns). NB-101 split as `benchmarks/surrogate_quality_nb101.py`: a fixed
held-out set of 4,000 cells, ``--nb101-train`` (default 4,236) training cells drawn from the
others, ``--nb101-draws`` draws; held-out targets are single runs (no seeds there, so no noise
model). Then the memo: the default design fitted on the training cells predicts all 423,624
cells of the space (time, peak RSS, memo bytes), and single-cell queries through
`SurrogateBenchmark` are timed (a cell not yet predicted, then a memoised one). LightGBM bagged
members with the curve model's defaults, 2-core CPU.

Run: ``.venv/bin/python benchmarks/curve_surrogate.py [--splits 5] [--no-fm] [--no-nb101]
[--plot docs/curve_surrogate.png]``.
Prints a table per dataset and design, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "surrogate_nb/data/tables/fashion-mnist-lowfi"
NB101 = ROOT.parent / "shared/nb101/data-20k.json"
N_TEST = 4000
DESIGNS = ("svd", "epoch")
_Z90 = 1.6448536269514722


def nb101_data(path: Path, tmp: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list, object]:
    """(cells, space features, curves (n, 1, 4) in %, budgets, table) of data-20k.json."""
    from surrogate_nb.regressors.curve import budget_curves_from_table
    from surrogate_nb.regressors.features import featurize
    from surrogate_nb.table import Benchmark
    from surrogate_nb.table.importers import import_any

    table = Benchmark.open(import_any(path, tmp / "nb101"))
    idx, Y, _, budgets = budget_curves_from_table(table, "cifar10", "valid_acc")
    return idx, featurize(idx, "full", table.space), Y, budgets, table


def nb101_splits(n: int, n_train: int, draws: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions: the 4,000 test cells of surrogate_quality_nb101.py, and
    `n_train` training cells drawn from the rest with seeds 0..draws-1."""
    from surrogate_nb.regressors import draw_nested

    test, pool = draw_nested(n, N_TEST, np.random.default_rng(12345))
    return [
        (np.random.default_rng(d).choice(pool, min(n_train, len(pool)), replace=False), test)
        for d in range(draws)
    ]


def memo_cost(table, train_cells: np.ndarray) -> dict[str, float]:
    """Fit the default curve benchmark on `train_cells`; time predicting the whole space and
    single queries."""
    import resource

    from surrogate_nb.regressors import SurrogateBenchmark

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    sb = SurrogateBenchmark.from_curves(
        table, "cifar10", "valid_acc", rng=np.random.default_rng(0), cells=train_cells
    )
    fit_s = time.perf_counter() - t0
    s = sb.surrogates[("cifar10", "valid_acc", None)]
    size = int(sb.space.size)
    t0 = time.perf_counter()
    cold = [sb.query(int(i), "cifar10", "valid_acc", hp="108") for i in range(size - 50, size)]
    one_cold = (time.perf_counter() - t0) / len(cold)
    t0 = time.perf_counter()
    allv = sb.query(np.arange(size), "cifar10", "valid_acc", hp="108")
    all_s = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rng = np.random.default_rng(1)
    cells = rng.integers(0, size, 2000)
    t0 = time.perf_counter()
    for i in cells:
        sb.query(int(i), "cifar10", "valid_acc", hp="36")
    one_warm = (time.perf_counter() - t0) / len(cells)
    memo_mb = sum(a.nbytes for a in s._memo.values()) / 2**20
    return {
        "cells": size,
        "fit_s": round(fit_s, 1),
        "all_cells_s": round(all_s, 1),
        "query_new_cell_ms": round(1e3 * one_cold, 2),
        "query_memoised_us": round(1e6 * one_warm, 1),
        "memo_mb": round(memo_mb, 1),
        "peak_rss_mb": round(rss1, 0),
        "peak_rss_before_fit_mb": round(rss0, 0),
        "finite": int(np.isfinite(allv).sum()),
    }


def fm_data(table_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """(cells, features, curves (n, 3, 12), epochs) from the committed table."""
    from surrogate_nb.regressors.curve import curves_from_table
    from surrogate_nb.regressors.features import featurize
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table_path)
    idx, Y = curves_from_table(b, "fashion-mnist-valid", "x-valid_acc")
    return idx, featurize(idx, "full"), Y, list(range(1, Y.shape[2] + 1))


def evaluate(X, Y, budgets, design, splits, rng_seed=0):
    """Per-split, per-epoch metrics of one design; returns a dict of (splits, T) arrays.

    `splits`: a count of random 80/20 splits, or a list of (train, test) position arrays.
    """
    from scipy.stats import kendalltau, spearmanr

    from surrogate_nb.regressors import draw_nested
    from surrogate_nb.regressors.curve import CurveModel

    n, _, T = Y.shape
    out: dict[str, list] = {
        k: []
        for k in (
            "rmse",
            "tau",
            "cov90",
            "cov90_seed",
            "sample_sd",
            "seed_sd",
            "noise_rho",
            "fit_s",
        )
    }
    if isinstance(splits, int):
        parts = []
        for split in range(splits):
            test, train = draw_nested(n, n // 5, np.random.default_rng(rng_seed + split))
            parts.append((train, test))
    else:
        parts = splits
    for split, (tr, te) in enumerate(parts):
        rng = np.random.default_rng(rng_seed + split)
        if isinstance(splits, int):
            rng.permutation(n)  # the draw above: keeps the fits' streams as before
        t0 = time.perf_counter()
        m = CurveModel(design, fidelities=budgets).fit(X[tr], Y[tr], rng=rng)
        out["fit_s"].append(time.perf_counter() - t0)
        truth = np.nanmean(Y[te], axis=1)
        mean, std = m.predict(X[te])
        out["rmse"].append(np.sqrt(np.mean((mean - truth) ** 2, axis=0)))
        out["tau"].append([kendalltau(truth[:, e], mean[:, e]).statistic for e in range(T)])
        out["cov90"].append(np.mean(np.abs(truth - mean) <= _Z90 * std, axis=0))
        if m.noise_ is not None:
            mean_n, std_n = m.predict(X[te], include_noise=True)
            hit = np.abs(Y[te] - mean_n[:, None]) <= _Z90 * std_n[:, None]
            out["cov90_seed"].append(np.nanmean(np.where(np.isfinite(Y[te]), hit, np.nan), (0, 1)))
            draws = np.stack([m.sample(X[te], rng) for _ in range(200)])  # (200, n_te, T)
            sd_sample = draws.std(axis=0, ddof=1)
            sd_seed = np.nanstd(Y[te], axis=1, ddof=1)
            # root of the mean (unbiased) variance over cells: a 3-seed sd is biased low (its
            # mean is 0.886 sigma), its variance is not
            out["sample_sd"].append(np.sqrt(np.mean(sd_sample**2, 0)))
            out["seed_sd"].append(np.sqrt(np.nanmean(sd_seed**2, 0)))
            out["noise_rho"].append(
                [spearmanr(sd_sample[:, e], sd_seed[:, e]).statistic for e in range(T)]
            )
    return {k: np.asarray(v, float) for k, v in out.items() if len(v)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--nb101", type=Path, default=NB101)
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--nb101-train", type=int, default=4236)
    parser.add_argument("--nb101-draws", type=int, default=1)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--no-nb101", action="store_true", help="Fashion-MNIST only.")
    parser.add_argument("--no-fm", action="store_true", help="NB-101 only.")
    parser.add_argument("--no-memo", action="store_true", help="Skip the NB-101 memo timing.")
    args = parser.parse_args()

    sets, splits = {}, {}
    if not args.no_fm:
        _, X, Y, ep = fm_data(args.table)
        sets["fashion-mnist x-valid_acc"] = (X, Y, ep)
        splits["fashion-mnist x-valid_acc"] = args.splits
    table101 = None
    if args.nb101.is_file() and not args.no_nb101:
        tmp = Path(tempfile.mkdtemp())
        _, X1, Y1, b1, table101 = nb101_data(args.nb101, tmp)
        name = "nb101 cifar10 valid_acc"
        sets[name] = (X1, Y1, b1)
        splits[name] = nb101_splits(len(X1), args.nb101_train, args.nb101_draws)
    results: dict = {}
    for name, (X, Y, budgets) in sets.items():
        for design in DESIGNS:
            r = evaluate(X, Y, budgets, design, splits[name])
            results.setdefault(name, {})[design] = r
            what = (
                f"{args.splits} splits (80/20)"
                if isinstance(splits[name], int)
                else f"{len(splits[name][0][0])} training / {len(splits[name][0][1])} held-out "
                f"cells, {len(splits[name])} draw(s)"
            )
            print(
                f"\n{name}, design {design!r}: {len(X)} cells, {what}, "
                f"fit {r['fit_s'].mean():.1f} s"
            )
            cols = ["budget", "rmse", "tau", "cov90"]
            if "sample_sd" in r:
                cols += ["cov90_seed", "sample_sd", "seed_sd", "noise_rho"]
            print(" ".join(f"{c:>10s}" for c in cols))
            for e, b in enumerate(budgets):
                vals = [float(b)] + [float(r[c].mean(0)[e]) for c in cols[1:]]
                print(" ".join(f"{v:10.3f}" for v in vals))
    memo = None
    if table101 is not None and not args.no_memo:
        idx101 = table101.to_xy("cifar10", "valid_acc", hp="108")[0]
        memo = memo_cost(table101, idx101[splits["nb101 cifar10 valid_acc"][0][0]])
        print("\nNB-101 memo (default design, whole space):", memo)
    if args.plot:
        plot(results, sets, args.plot)
    summary = {
        "bench": "curve_surrogate",
        "machine": f"{platform.processor() or platform.machine()} CPU, 2 cores",
        "splits": args.splits,
        "nb101_train": args.nb101_train,
        "nb101_draws": args.nb101_draws,
        "results": {
            name: {
                design: {
                    k: [round(float(x), 4) for x in v.mean(0)] for k, v in r.items() if k != "fit_s"
                }
                | {"fit_s": round(float(r["fit_s"].mean()), 2)}
                for design, r in d.items()
            }
            for name, d in results.items()
        },
        "nb101_memo": memo,
    }
    print(json.dumps(summary))


def plot(results: dict, sets: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, axes = plt.subplots(len(names), 3, figsize=(13, 3.6 * len(names)), squeeze=False)
    for row, name in zip(axes, names):
        budgets = sets[name][2]
        for design, style in zip(DESIGNS, ("-o", "--s")):
            r = results[name][design]
            row[0].plot(budgets, r["rmse"].mean(0), style, label=design)
            row[1].plot(budgets, r["tau"].mean(0), style, label=design)
            row[2].plot(budgets, r["cov90"].mean(0), style, label=f"{design}: seed mean")
            if "sample_sd" in r:
                row[2].plot(
                    budgets,
                    r["cov90_seed"].mean(0),
                    style,
                    alpha=0.5,
                    label=f"{design}: single seed (+noise)",
                )
        r = results[name][DESIGNS[0]]
        if "sample_sd" in r:
            ax = row[0].twinx()
            ax.plot(budgets, r["seed_sd"].mean(0), ":k", label="table seed sd")
            ax.plot(budgets, r["sample_sd"].mean(0), ":", color="tab:red", label="sampled sd")
            ax.set_ylabel("single-run sd (acc. points)")
            ax.legend(loc="upper center", fontsize=7)
        row[0].set_ylabel("RMSE (acc. points)")
        row[1].set_ylabel("Kendall τ")
        row[2].set_ylabel("coverage of 90% interval")
        row[2].axhline(0.9, color="grey", lw=0.8)
        for ax in row:
            ax.set_xlabel("epoch / budget")
            ax.set_title(name, fontsize=9)
            if len(budgets) <= 4:
                ax.set_xscale("log")
            ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
