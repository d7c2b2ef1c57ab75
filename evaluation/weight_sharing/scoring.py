"""Scoring a found cell by a benchmark table: look it up, else train it, else predict it.

`TableScorer.score(arch)` returns a `CellScore` whose ``source`` says where the numbers come from:

* ``"table"``: the table already holds the cell (mean over its seeds);
* ``"trained"``: the table lacked it, so it was trained now under the table's own recorded
  protocol (its build ledger's fingerprint: dataset, `TrainConfig`, seeds, engine) by
  `surrogate_nb.exhaustive.run_build`; the trials join the ledger and the table is rewritten, so
  the next lookup finds them (tables written by ``snb build`` only; imported tables have no ledger);
* ``"surrogate"``: the table lacked it and a surrogate fitted on the table's cells predicted it
  (mean ± calibrated std);
* ``"missing"``: the table lacked it and nothing else was asked for.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError
from surrogate_nb.regressors import Surrogate, XGBRegressor, fit_copy
from surrogate_nb.space import NUM_ARCHS, Arch, as_arch
from surrogate_nb.table import Benchmark

#: What to do with a cell the table lacks.
ON_MISSING = ("train", "surrogate", "none")
#: Validation metrics tried in order when none is given (NATS-style, then imported NB201 CSV).
VALID_METRICS = ("x-valid_acc", "valid_acc")


@dataclass(frozen=True)
class CellScore:
    """A cell's accuracy by a table's protocol (percent), and where it came from.

    Attributes:
        arch_index / arch: the cell.
        source: "table", "trained", "surrogate" or "missing" (module docstring).
        dataset / hp: the table setting.
        valid_metric / valid_acc / valid_std: validation accuracy, mean and std over seeds (for
            "surrogate": the calibrated predictive std).
        test_metric / test_acc / test_std: the same for the test metric (NaN when absent).
        n_seeds: seeds behind the means (0 for surrogate / missing).
        train_s: seconds spent training the cell now ("trained" only).
        note: one line of detail (e.g. which surrogate).
    """

    arch_index: int
    arch: str
    source: str
    dataset: str
    hp: str
    valid_metric: str
    valid_acc: float
    valid_std: float
    test_metric: str | None
    test_acc: float
    test_std: float
    n_seeds: int
    train_s: float = 0.0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN stays NaN; reports turn it into null)."""
        return asdict(self)


def ledger_of(table: str | Path) -> Path:
    """Where `snb build` keeps a table's ledger: ``<table>.ledger.sqlite``."""
    return Path(f"{Path(table)}.ledger.sqlite")


class TableScorer:
    """Scores cells against one table setting (dataset, hp).

    Args:
        table: table directory.
        dataset: dataset setting of the table to score on (e.g. "fashion-mnist-valid").
        hp: the table's hp (None when the dataset has one).
        on_missing: "train", "surrogate" or "none" (module docstring).
        valid_metric / test_metric: metric names (default: the first of `VALID_METRICS` the
            table has, and "test_acc" when present).
        device: torch device for training missing cells.
        data_dir: dataset folder for training (default: the path the table's manifest records).
        rng: drives the surrogate fit (required for on_missing="surrogate").
        surrogate: the (unfitted) surrogate to fit on the table's cells for
            ``on_missing="surrogate"`` (default ``Surrogate(XGBRegressor())``).
        data: a prepared setting at the table's fidelity, to skip reloading it when training.

    Raises:
        UnknownKeyError: unknown dataset / hp / metric, or bad `on_missing`.
    """

    def __init__(
        self,
        table: str | Path,
        dataset: str,
        hp: str | None = None,
        *,
        on_missing: str = "train",
        valid_metric: str | None = None,
        test_metric: str | None = None,
        device: str = "cpu",
        data_dir: str | None = None,
        rng: np.random.Generator | None = None,
        surrogate: Surrogate | None = None,
        data: Any = None,
    ) -> None:
        if on_missing not in ON_MISSING:
            raise UnknownKeyError("on-missing action", on_missing, ON_MISSING)
        if on_missing == "surrogate" and rng is None:
            raise SurrogateNBError("on_missing='surrogate' needs rng=np.random.default_rng(seed)")
        self.path = Path(table)
        self.bench = Benchmark.open(self.path)
        if self.bench.space.name != "nb201":  # the supernet is NB201's cell
            raise UnknownKeyError(
                "table space", self.bench.space.name, ["nb201"], "weight sharing searches NB201"
            )
        self.dataset = dataset
        if dataset not in self.bench.datasets():
            raise UnknownKeyError("dataset", dataset, self.bench.datasets())
        hps = self.bench.hps(dataset)
        if hp is None and len(hps) != 1:
            raise UnknownKeyError("hp", hp, hps, f"{dataset!r} has several; pass one")
        self.hp = str(hp if hp is not None else hps[0])
        metrics = self.bench.metrics(dataset, self.hp)
        if valid_metric is None:
            valid_metric = next((m for m in VALID_METRICS if m in metrics), None)
            if valid_metric is None:
                raise UnknownKeyError("validation metric", VALID_METRICS, metrics)
        if valid_metric not in metrics:
            raise UnknownKeyError("metric", valid_metric, metrics)
        if test_metric is None:
            test_metric = "test_acc" if "test_acc" in metrics else None
        elif test_metric not in metrics:
            raise UnknownKeyError("metric", test_metric, metrics)
        self.valid_metric, self.test_metric = valid_metric, test_metric
        self.on_missing, self.device, self.data_dir = on_missing, device, data_dir
        self.rng, self.data = rng, data
        self.surrogate = surrogate if surrogate is not None else Surrogate(XGBRegressor())
        self._surrogates: dict[str, Any] = {}

    # ---- lookups --------------------------------------------------------------------------------

    def _lookup(self, arch: Arch, metric: str | None) -> tuple[float, float, int]:
        if metric is None:
            return math.nan, math.nan, 0
        vals = [
            float(self.bench.query(arch, self.dataset, metric, hp=self.hp, seed=s))
            for s in self.bench.seeds(self.dataset, self.hp)
        ]
        vals = [v for v in vals if math.isfinite(v)]
        if not vals:
            return math.nan, math.nan, 0
        std = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0
        return float(np.mean(vals)), std, len(vals)

    def in_table(self, arch: object) -> bool:
        """Whether the table holds a value of the validation metric for `arch`."""
        return self._lookup(as_arch(arch), self.valid_metric)[2] > 0

    def score_many(self, archs: list[object]) -> list[CellScore]:
        """`score` for several cells; missing ones are trained together (one table rewrite)."""
        cells = [as_arch(a) for a in archs]
        missing = list(dict.fromkeys(a for a in cells if not self.in_table(a)))
        trained: dict[int, float] = {}
        if missing and self.on_missing == "train":
            seconds = self.grow(missing)
            trained = {a.index: seconds / len(missing) for a in missing}
        return [self.score(a, _trained_s=trained.get(a.index)) for a in cells]

    def score(self, arch: object, *, _trained_s: float | None = None) -> CellScore:
        """The cell's validation and test accuracy by this table (see the module docstring)."""
        a = as_arch(arch)
        source, train_s, note = "table", 0.0, ""
        if _trained_s is not None:
            source, train_s, note = "trained", _trained_s, self._protocol_line()
        elif not self.in_table(a):
            if self.on_missing == "train":
                train_s = self.grow([a])
                source, note = "trained", self._protocol_line()
            elif self.on_missing == "surrogate":
                return self._predict(a)
            else:
                source, note = "missing", "not in the table (on_missing='none')"
        v, vs, n = self._lookup(a, self.valid_metric)
        t, ts, _ = self._lookup(a, self.test_metric)
        if source == "trained" and n == 0:
            raise SurrogateNBError(
                f"cell {a.index} was trained but the rewritten table {self.path} has no "
                f"{self.valid_metric!r} for it; see the ledger {ledger_of(self.path)} for errors"
            )
        return CellScore(
            a.index, str(a), source, self.dataset, self.hp, self.valid_metric, v, vs,
            self.test_metric, t, ts, n, train_s, note,
        )  # fmt: skip

    # ---- growing the table ---------------------------------------------------------------------

    def build_plan(self):
        """The `BuildPlan` of the table's own build, from its ledger's fingerprint."""
        from surrogate_nb.exhaustive import BuildPlan, Ledger, TrainConfig

        ledger = ledger_of(self.path)
        if not ledger.is_file():
            raise SurrogateNBError(
                f"table {self.path} has no build ledger {ledger} (imported tables record no "
                "training protocol to train a missing cell under); use on_missing='surrogate' "
                "(--on-missing surrogate) or 'none'"
            )
        with Ledger(ledger) as led:
            fp = led.get_meta("fingerprint")
        if not fp:
            raise SurrogateNBError(f"{ledger} holds no build fingerprint; cannot train under it")
        if fp["dataset"] != self.dataset:
            raise SurrogateNBError(
                f"the ledger {ledger} builds {fp['dataset']!r}, not {self.dataset!r}"
            )
        manifest = self.bench.manifest
        recorded = manifest.get("datasets", {}).get(self.dataset, {}).get("path")
        cells = fp["cells"]
        spec = manifest.get("cells", {}).get("spec")
        if isinstance(spec, str) and spec.strip().lower() == "all" and len(cells) == NUM_ARCHS:
            cells = "all"  # the same list; keeps the manifest's spec short
        return BuildPlan(
            dataset=fp["dataset"],
            out=str(self.path),
            config=TrainConfig(**fp["config"]),
            cells=cells,
            seeds=tuple(fp["seeds"]),
            data_dir=self.data_dir or recorded,
            device=self.device,
            engine=fp["engine"],
            group_cells=fp["group_cells"],
            fuse="yes" if fp["fused"] else "no",
            command=manifest.get("command", ""),
        )

    def _protocol_line(self) -> str:
        fid = self.bench.manifest.get("fidelity", {})
        return (
            f"{self.dataset}, T = {self.hp}, resolution {fid.get('resolution')}, "
            f"train subset {fid.get('train_subset')}, eval subset {fid.get('eval_subset')}, "
            f"seeds {self.bench.seeds(self.dataset, self.hp)}"
        )

    def grow(self, archs: list[Arch]) -> float:
        """Train `archs` under the table's protocol, add them to its ledger and table; seconds."""
        import time

        from surrogate_nb.exhaustive import run_build

        plan = self.build_plan()
        start = time.perf_counter()
        result = run_build(plan, only_cells=archs, write_partial=True, data=self.data)
        if result.table is None:
            raise SurrogateNBError(
                f"training {[a.index for a in archs]} for {self.path} finished no trial; "
                f"errors: {list(result.errors.values())[:1]}"
            )
        self.bench = Benchmark.open(self.path)
        return time.perf_counter() - start

    # ---- surrogate -----------------------------------------------------------------------------

    def _surrogate(self, metric: str):
        if metric not in self._surrogates:
            idx, y = self.bench.to_xy(self.dataset, metric, hp=self.hp)
            if len(idx) < 10:
                raise SurrogateNBError(
                    f"a surrogate needs at least 10 table cells with {metric!r}; {self.path} "
                    f"has {len(idx)}"
                )
            self._surrogates[metric] = fit_copy(self.surrogate, idx, y, rng=self.rng)
        return self._surrogates[metric]

    def _predict(self, a: Arch) -> CellScore:
        out = []
        for metric in (self.valid_metric, self.test_metric):
            if metric is None:
                out.append((math.nan, math.nan))
                continue
            mean, std = self._surrogate(metric).predict(np.asarray([a.index]))
            out.append((float(mean[0]), float(std[0])))
        n = len(self.bench.to_xy(self.dataset, self.valid_metric, hp=self.hp)[0])
        return CellScore(
            a.index, str(a), "surrogate", self.dataset, self.hp, self.valid_metric,
            out[0][0], out[0][1], self.test_metric, out[1][0], out[1][1], 0, 0.0,
            f"predicted by a {self.surrogate.model} surrogate fitted on the table's {n} cells",
        )  # fmt: skip
