"""Studies run by `snb study ...`; each writes `report.md`, PNG plots and `figures.json` into `out`.

* `train_size_study` — surrogate quality vs number of training cells, per model.
* `noise_study` — NB301's claim: a surrogate fitted on one seed vs that seed's table entry,
  both scored against the other seeds' mean.
* `leave_out_study` — fit without a region (op, edge-op, top-k%, one optimizer's cells), test on it.
* `compare_study` — optimizers on the table vs on the surrogate benchmark.

Each takes a `surrogate_nb.table.BenchmarkLike`, surrogate and optimizer instances, and returns a
`StudyResult` dataclass (``to_dict()`` is its ``summary.json``; ``markdown(link)`` a section for
another report, as the demo's).
"""

from surrogate_nb.evaluation.studies._common import StudyResult, TableFacts, seed_matrix
from surrogate_nb.evaluation.studies.compare import CompareResult, compare_study
from surrogate_nb.evaluation.studies.leave_out import REGION_KINDS, LeaveOutResult, leave_out_study
from surrogate_nb.evaluation.studies.noise import NoiseResult, noise_study
from surrogate_nb.evaluation.studies.train_size import TrainSizeResult, train_size_study

__all__ = [
    "REGION_KINDS",
    "CompareResult",
    "LeaveOutResult",
    "NoiseResult",
    "StudyResult",
    "TableFacts",
    "TrainSizeResult",
    "compare_study",
    "leave_out_study",
    "noise_study",
    "seed_matrix",
    "train_size_study",
]
