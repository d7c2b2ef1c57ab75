"""Studies run by `snb study ...`; each writes `report.md`, PNG plots and `figures.json` into `out`.

* `train_size_study` — surrogate quality vs number of training cells, per model.
* `noise_study` — NB301's claim: a surrogate fitted on one seed vs that seed's table entry,
  both scored against the other seeds' mean.
* `leave_out_study` — fit without a region (op, edge-op, top-k%, one optimizer's cells), test on it.
* `compare_study` — optimizers on the table vs on the surrogate benchmark.
"""

from surrogate_nb.evaluation.studies.compare import compare_study, surrogate_benchmark_for
from surrogate_nb.evaluation.studies.leave_out import leave_out_study
from surrogate_nb.evaluation.studies.noise import noise_study
from surrogate_nb.evaluation.studies.train_size import train_size_study

#: Study name (as on the command line) -> function.
STUDIES = {
    "train-size": train_size_study,
    "noise": noise_study,
    "leave-out": leave_out_study,
    "compare": compare_study,
}

__all__ = [
    "STUDIES",
    "compare_study",
    "leave_out_study",
    "noise_study",
    "surrogate_benchmark_for",
    "train_size_study",
]
