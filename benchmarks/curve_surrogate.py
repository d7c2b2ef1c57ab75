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
`CurveSurrogate` on NB201 ``full`` features) and, when ../shared/nb101/data-1k.json exists, NB101
(1,000 cells, one run each, budgets 4/12/36/108, validation accuracy in %; generic features built
here from each cell's 7×7 adjacency and op list: upper-triangle edges, op one-hots, log params; no
seeds there, so no noise model). Splits: ``--splits`` random 80/20 partitions of the cells (seeds
0..splits-1); figures are means over splits. LightGBM bagged members (the curve model's default),
2-core CPU.

Run: ``.venv/bin/python benchmarks/curve_surrogate.py [--splits 5]
[--plot docs/curve_surrogate.png]``.
Prints a table per dataset and design, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "surrogate_nb/data/tables/fashion-mnist-lowfi"
NB101 = ROOT.parent / "shared/nb101/data-1k.json"
DESIGNS = ("svd", "epoch")
_Z90 = 1.6448536269514722


def nb101_data(path: Path) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Generic features X (1000, d) and curves Y (1000, 1, 4) (percent) from data-1k.json."""
    d = json.loads(path.read_text())
    budgets = [4, 12, 36, 108]
    Y = np.stack([np.asarray(d[f"{b}_final_validation_accuracy"], float) for b in budgets], 1)
    iu = np.triu_indices(7, 1)
    rows = []
    for adj, ops, params in zip(d["adjacency"], d["operations"], d["trainable_parameters"]):
        a = np.asarray(adj, float)
        o = np.asarray(ops)
        onehot = np.stack([o == k for k in (0, 1, 2)], 1).astype(float).reshape(-1)  # 7 x 3
        counts = [float((o == k).sum()) for k in (0, 1, 2)]
        rows.append(np.concatenate([a[iu], onehot, counts, [a.sum(), np.log(params)]]))
    return np.asarray(rows, np.float32), 100.0 * Y[:, None, :], budgets


def fm_data(table_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """(cells, features, curves (n, 3, 12), epochs) from the committed table."""
    from surrogate_nb.regressors.curve import curves_from_table
    from surrogate_nb.regressors.features import featurize
    from surrogate_nb.table import Benchmark

    b = Benchmark.open(table_path)
    idx, Y = curves_from_table(b, "fashion-mnist-valid", "x-valid_acc")
    return idx, featurize(idx, "full"), Y, list(range(1, Y.shape[2] + 1))


def evaluate(X, Y, budgets, design, splits, rng_seed=0):
    """Per-split, per-epoch metrics of one design; returns a dict of (splits, T) arrays."""
    from scipy.stats import kendalltau, spearmanr

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
    for split in range(splits):
        rng = np.random.default_rng(rng_seed + split)
        perm = rng.permutation(n)
        te, tr = perm[: n // 5], perm[n // 5 :]
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
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--no-nb101", action="store_true", help="Fashion-MNIST only.")
    args = parser.parse_args()

    sets = {}
    _, X, Y, ep = fm_data(args.table)
    sets["fashion-mnist x-valid_acc"] = (X, Y, ep)
    if args.nb101.is_file() and not args.no_nb101:
        X1, Y1, b1 = nb101_data(args.nb101)
        sets["nb101 cifar10 valid_acc"] = (X1, Y1, b1)
    results: dict = {}
    for name, (X, Y, budgets) in sets.items():
        for design in DESIGNS:
            r = evaluate(X, Y, budgets, design, args.splits)
            results.setdefault(name, {})[design] = r
            print(
                f"\n{name}, design {design!r}: {len(X)} cells, {args.splits} splits (80/20), "
                f"fit {r['fit_s'].mean():.1f} s"
            )
            cols = ["budget", "rmse", "tau", "cov90"]
            if "sample_sd" in r:
                cols += ["cov90_seed", "sample_sd", "seed_sd", "noise_rho"]
            print(" ".join(f"{c:>10s}" for c in cols))
            for e, b in enumerate(budgets):
                vals = [float(b)] + [float(r[c].mean(0)[e]) for c in cols[1:]]
                print(" ".join(f"{v:10.3f}" for v in vals))
    if args.plot:
        plot(results, sets, args.plot)
    summary = {
        "bench": "curve_surrogate",
        "machine": f"{platform.processor() or platform.machine()} CPU, 2 cores",
        "splits": args.splits,
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
