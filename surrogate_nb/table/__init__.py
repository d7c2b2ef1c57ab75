"""Tabular benchmarks: the on-disk format, the query API and importers.

* `write_table` writes a table directory (Parquet per (dataset, hp) + ``manifest.json``) atomically.
* `Benchmark.open(path)` opens one for fast queries; `read_manifest` reads and checks its manifest.
* `BenchmarkLike` is the protocol optimizers and studies take (`Benchmark` and
  `SurrogateBenchmark` implement it); `TrialRecord` and `Costs` type the records and costs.
* `surrogate_nb.table.importers` converts published files (wide CSV/Parquet, NB201 ``.pth``,
  NATS-Bench ``tss``) into tables.
"""

from surrogate_nb.table._benchmark import Benchmark
from surrogate_nb.table._format import COST_COLUMNS, SCHEMA_VERSION, read_manifest, write_table
from surrogate_nb.table._types import BenchmarkLike, Costs, TrialRecord

__all__ = [
    "COST_COLUMNS",
    "SCHEMA_VERSION",
    "Benchmark",
    "BenchmarkLike",
    "Costs",
    "TrialRecord",
    "read_manifest",
    "write_table",
]
