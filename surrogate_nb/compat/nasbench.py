"""The official NAS-Bench-101 API (``nasbench.api``) over a surrogate-nb table — no TensorFlow.

Port a script by changing one import::

    # from nasbench import api
    from surrogate_nb.compat.nasbench import api
    nasbench = api.NASBench("runs/nb101")        # a table directory, or an official .tfrecord
    spec = api.ModelSpec(matrix=[[0, 1, 1], [0, 0, 1], [0, 0, 0]],
                         ops=["input", "conv3x3-bn-relu", "output"])
    data = nasbench.query(spec)                  # official keys; accuracies are fractions

Same names, arguments, keys and semantics as ``nasbench.api`` (google-research/nasbench):
``ModelSpec`` prunes and validates as the original; ``NASBench.query(spec, epochs=108,
stop_halfway=False)`` samples one of the cell's runs and returns ``module_adjacency``,
``module_operations``, ``trainable_parameters``, ``training_time``, ``train_accuracy``,
``validation_accuracy``, ``test_accuracy`` and increments the budget counters
(``get_budget_counters``, ``reset_budget_counters``, ``training_time_spent``,
``total_epochs_spent``); ``is_valid``, ``hash_iterator``, ``get_metrics_from_hash``,
``get_metrics_from_spec`` and ``OutOfDomainError`` behave as documented there.

Differences that remain:

* ``NASBench(path)`` takes a surrogate-nb table directory; given an official ``.tfrecord`` it
  imports it once into ``<file>.snb-table`` beside it (seconds to minutes) and opens that.
* Runs are drawn with ``random.Random(seed)`` owned by the object, not the global ``random``
  module (same seed, same draws within this package; not the same draws as the original).
* A table imported from a column export (e.g. ../shared/nb101) holds one run per cell at the
  final epoch and validation accuracy only: the other keys are NaN there, ``stop_halfway=True``
  raises ``OutOfDomainError`` naming what is missing, and ``get_metrics_from_hash`` lists the
  one run.
* A valid cell the table does not hold raises ``OutOfDomainError`` ("not in the table"), where
  the original (which holds every cell) cannot fail; pass ``surrogate=`` (a fitted
  `SurrogateBenchmark` of the same space) to answer such cells from the surrogate instead:
  ``validation_accuracy`` is its noisy draw, ``training_time`` its prediction when it models the
  train time, other accuracies NaN, and the returned dict has ``"source": "surrogate"``.
* ``evaluate`` (training from scratch with TensorFlow) is not provided.
* ``OutOfDomainError`` is also a `surrogate_nb.errors.SurrogateNBError`.
"""

from __future__ import annotations

import copy
import math
import random
import types
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.errors import InvalidArchError, SurrogateNBError
from surrogate_nb.space import NB101, nb101_cost
from surrogate_nb.space.nb101 import MAX_EDGES, MAX_VERTICES, OPS, _prune, hash_module
from surrogate_nb.table import Benchmark
from surrogate_nb.table.importers import import_any

INPUT, OUTPUT = "input", "output"
CONV1X1, CONV3X3, MAXPOOL3X3 = "conv1x1-bn-relu", "conv3x3-bn-relu", "maxpool3x3"


class OutOfDomainError(SurrogateNBError, Exception):
    """The requested graph or budget is outside the search domain (as ``nasbench.api``)."""


class ModelSpec:
    """Model specification given an adjacency matrix and labels (``nasbench.api.ModelSpec``).

    Raises:
        ValueError: a matrix that is not square, not upper-triangular, or whose size differs
            from the number of ops (as the original).
    """

    def __init__(self, matrix: Any, ops: list[str], data_format: str = "channels_last") -> None:
        if not isinstance(matrix, np.ndarray):
            matrix = np.array(matrix)
        shape = np.shape(matrix)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError("matrix must be square")
        if shape[0] != len(ops):
            raise ValueError("length of ops must match matrix dimensions")
        if np.tril(matrix).any():
            raise ValueError("matrix must be upper triangular")
        self.original_matrix = copy.deepcopy(matrix)
        self.original_ops = copy.deepcopy(list(ops))
        self.matrix: np.ndarray | None = copy.deepcopy(matrix)
        self.ops: list[str] | None = copy.deepcopy(list(ops))
        self.valid_spec = True
        keep = _prune(np.asarray(matrix, dtype=np.int8) != 0)
        if keep is None:
            self.matrix, self.ops, self.valid_spec = None, None, False
        else:
            self.matrix = self.matrix[np.ix_(keep, keep)]
            self.ops = [o for o, k in zip(self.ops, keep) if k]
        self.data_format = data_format

    def hash_spec(self, canonical_ops: list[str]) -> str:
        """The isomorphism-invariant module hash of the pruned spec."""
        if self.matrix is None or self.ops is None:
            raise OutOfDomainError("invalid spec, provided graph is disconnected.")
        labeling = [-1] + [canonical_ops.index(op) for op in self.ops[1:-1]] + [-2]
        return hash_module(self.matrix.tolist(), labeling)


def _config() -> dict[str, Any]:
    return {
        "module_vertices": MAX_VERTICES,
        "max_edges": MAX_EDGES,
        "available_ops": list(OPS),
        "num_repeats": 3,
        "num_labels": 10,
        "stem_filter_size": 128,
        "num_stacks": 3,
        "num_modules_per_stack": 3,
        "batch_size": 256,
        "train_epochs": 108,
    }


class NASBench:
    """The NB-101 dataset over a surrogate-nb table (see the module docstring for differences).

    Args:
        dataset_file: a table directory (``snb import``), or an official ``.tfrecord``.
        seed: seed of the run sampling (``random.Random(seed)``).
        surrogate: optional `SurrogateBenchmark` answering cells the table lacks.
    """

    def __init__(self, dataset_file: str | Path, seed: int | None = None, *, surrogate=None):
        path = Path(dataset_file)
        if path.is_file() and path.name.endswith(".tfrecord"):
            table_dir = path.with_name(path.name + ".snb-table")
            if not table_dir.is_dir():
                import_any(path, table_dir)
            path = table_dir
        self.table = Benchmark.open(path)
        if self.table.space is not NB101:
            raise OutOfDomainError(
                f"{dataset_file} holds a {self.table.space.name} table, not NB-101"
            )
        if surrogate is not None and surrogate.space is not NB101:
            raise OutOfDomainError("surrogate= must model the NB-101 space")
        self.surrogate = surrogate
        self.config = _config()
        self._random = random.Random(seed)
        self.valid_epochs = {int(h) for h in self.table.hps("cifar10")}
        self.history: dict = {}
        self.training_time_spent = 0.0
        self.total_epochs_spent = 0

    # ---- the official API -----------------------------------------------------------------

    def query(self, model_spec: ModelSpec, epochs: int = 108, stop_halfway: bool = False) -> dict:
        """One of the evaluations of the spec at ``epochs`` (a random run); updates the budget."""
        if epochs not in self.valid_epochs:
            raise OutOfDomainError(f"invalid number of epochs, must be one of {self.valid_epochs}")
        self._check_spec(model_spec)
        index = NB101.index_of_hash(self._hash_spec(model_spec))
        hp = str(epochs)
        runs = self._runs(index, hp)
        if not runs:
            data = self._from_surrogate(index, epochs, stop_halfway, model_spec)
        else:
            point = runs[self._random.randint(0, len(runs) - 1)]
            prefix = "halfway_" if stop_halfway else "final_"
            if stop_halfway and not math.isfinite(
                point.get("halfway_validation_accuracy", math.nan)
            ):
                raise OutOfDomainError(
                    "this table holds no halfway evaluations (a column export has final values "
                    "only); import an official .tfrecord for stop_halfway"
                )
            data = {
                "module_adjacency": model_spec.matrix,
                "module_operations": model_spec.ops,
                "trainable_parameters": self._params(index, hp),
            }
            for key in ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy"):
                data[key] = point[prefix + key]
        self.training_time_spent += (
            data["training_time"] if math.isfinite(data["training_time"]) else 0.0
        )
        self.total_epochs_spent += epochs // 2 if stop_halfway else epochs
        return data

    def is_valid(self, model_spec: ModelSpec) -> bool:
        """True if the spec is inside the space (does not touch the budget counters)."""
        try:
            self._check_spec(model_spec)
        except OutOfDomainError:
            return False
        return True

    def get_budget_counters(self) -> tuple[float, int]:
        return self.training_time_spent, self.total_epochs_spent

    def reset_budget_counters(self) -> None:
        self.training_time_spent = 0.0
        self.total_epochs_spent = 0

    def hash_iterator(self):
        """The module hashes of every cell the table holds."""
        held = np.zeros(int(NB101.size), bool)
        for hp in self.table.hps("cifar10"):
            held |= self.table.present("cifar10", hp).any(axis=1)
        return [NB101.hash_of_index(int(i)) for i in np.flatnonzero(held)]

    def get_metrics_from_hash(self, module_hash: str) -> tuple[dict, dict]:
        """(fixed statistics, {epochs: [one dict per run]}) of a hash; budget not touched."""
        try:
            index = NB101.index_of_hash(module_hash)
        except InvalidArchError as exc:
            raise KeyError(module_hash) from exc
        cell = NB101.from_index(index)
        computed = {}
        for hp in self.table.hps("cifar10"):
            runs = self._runs(index, hp)
            if runs:
                computed[int(hp)] = runs
        if not computed:
            raise KeyError(module_hash)
        fixed = {
            "module_adjacency": np.asarray(cell.matrix, dtype=np.int8),
            "module_operations": list(cell.ops),
            "trainable_parameters": self._params(index, next(iter(self.table.hps("cifar10")))),
        }
        return fixed, computed

    def get_metrics_from_spec(self, model_spec: ModelSpec) -> tuple[dict, dict]:
        self._check_spec(model_spec)
        return self.get_metrics_from_hash(self._hash_spec(model_spec))

    def evaluate(self, model_spec: ModelSpec, model_dir: str) -> dict:  # pragma: no cover
        raise NotImplementedError(
            "evaluate() trains with TensorFlow in the original; build the network with "
            "surrogate_nb.network.build_network and train it with torch instead"
        )

    # ---- internals ----------------------------------------------------------------------------

    def _check_spec(self, model_spec: ModelSpec) -> None:
        if not model_spec.valid_spec or model_spec.matrix is None or model_spec.ops is None:
            raise OutOfDomainError("invalid spec, provided graph is disconnected.")
        num_vertices = len(model_spec.ops)
        num_edges = int(np.sum(model_spec.matrix))
        if num_vertices > self.config["module_vertices"]:
            raise OutOfDomainError(
                f"too many vertices, got {num_vertices} (max vertices = "
                f"{self.config['module_vertices']})"
            )
        if num_edges > self.config["max_edges"]:
            raise OutOfDomainError(
                f"too many edges, got {num_edges} (max edges = {self.config['max_edges']})"
            )
        if model_spec.ops[0] != INPUT:
            raise OutOfDomainError("first operation should be 'input'")
        if model_spec.ops[-1] != OUTPUT:
            raise OutOfDomainError("last operation should be 'output'")
        for op in model_spec.ops[1:-1]:
            if op not in self.config["available_ops"]:
                raise OutOfDomainError(
                    f"unsupported op {op} (available ops = {self.config['available_ops']})"
                )

    def _hash_spec(self, model_spec: ModelSpec) -> str:
        return model_spec.hash_spec(self.config["available_ops"])

    def _runs(self, index: int, hp: str) -> list[dict[str, float]]:
        t = self.table
        if hp not in t.hps("cifar10"):
            return []
        present = t.present("cifar10", hp)[index]
        positions = t.epoch_values("cifar10", hp)
        metrics = set(t.metrics("cifar10", hp))
        runs = []
        for slot, seed in enumerate(t.seeds("cifar10", hp)):
            if not present[slot]:
                continue
            point: dict[str, float] = {}
            for key, metric, scale in (
                ("train_accuracy", "train_acc", 100.0),
                ("validation_accuracy", "valid_acc", 100.0),
                ("test_accuracy", "test_acc", 100.0),
                ("training_time", "training_time", 1.0),
            ):
                curve = (
                    t.array("cifar10", metric, hp)[index, slot] / scale
                    if metric in metrics
                    else np.full(len(positions), np.nan)
                )
                point["final_" + key] = float(curve[-1])
                point["halfway_" + key] = float(curve[0]) if len(positions) > 1 else math.nan
            if "training_time" not in metrics:
                point["final_training_time"] = float(
                    t.query(index, "cifar10", "train_time_s", hp=hp, seed=seed)
                )
            runs.append(point)
        return runs

    def _params(self, index: int, hp: str) -> int:
        p = float(self.table.query(index, "cifar10", "params_m", hp=hp))
        if not math.isfinite(p):
            return nb101_cost.count_params(NB101.from_index(index))
        return round(p * 1e6)

    def _from_surrogate(self, index: int, epochs: int, stop_halfway: bool, spec: ModelSpec) -> dict:
        if self.surrogate is None:
            raise OutOfDomainError(
                f"cell {NB101.hash_of_index(index)} is not in the table at {epochs} epochs; "
                "pass surrogate= (a SurrogateBenchmark) to answer it from a surrogate"
            )
        if stop_halfway:
            raise OutOfDomainError("a surrogate answers final values only (stop_halfway=False)")
        rng = np.random.default_rng(self._random.getrandbits(63))
        hp = str(epochs)
        valid = self.surrogate.query(index, "cifar10", "valid_acc", hp=hp, seed="sample", rng=rng)
        cost = self.surrogate.cost(index, "cifar10", hp)
        return {
            "module_adjacency": spec.matrix,
            "module_operations": spec.ops,
            "trainable_parameters": nb101_cost.count_params(NB101.from_index(index)),
            "training_time": float(cost.get("train_time_s", math.nan)),
            "train_accuracy": math.nan,
            "validation_accuracy": float(valid) / 100.0,
            "test_accuracy": math.nan,
            "source": "surrogate",
        }


#: ``from surrogate_nb.compat.nasbench import api`` then ``api.NASBench``, ``api.ModelSpec``.
api = types.SimpleNamespace(
    NASBench=NASBench,
    ModelSpec=ModelSpec,
    OutOfDomainError=OutOfDomainError,
    INPUT=INPUT,
    OUTPUT=OUTPUT,
    CONV1X1=CONV1X1,
    CONV3X3=CONV3X3,
    MAXPOOL3X3=MAXPOOL3X3,
)
