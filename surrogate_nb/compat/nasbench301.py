"""The calls NAS-Bench-301 scripts make (``nasbench301``), answered by surrogate-nb's surrogates.

Port a script by changing one import::

    # import nasbench301 as nb
    from surrogate_nb.compat import nasbench301 as nb
    performance_model = nb.load_ensemble("runs/nb301-xgb")      # `snb fit ... -o runs/nb301-xgb`
    runtime_model = nb.load_ensemble("runs/nb301-runtime")      # `snb fit --metric train_time_s`
    genotype = nb.Genotype(normal=[("sep_conv_3x3", 0), ...], normal_concat=[2, 3, 4, 5],
                           reduce=[...], reduce_concat=[2, 3, 4, 5])
    acc = performance_model.predict(config=genotype, representation="genotype", with_noise=True)
    accs = performance_model.predict(config=[g1, g2, g3], representation="genotype")   # a batch

A saved model comes from NB301's own data, offline: ``snb import nb301_results.zip -o runs/nb301``
(`surrogate_nb.table.importers.nb301`), then ``snb fit runs/nb301 -d cifar10 -m valid_acc --hp
100 -o runs/nb301-xgb`` (and ``-m train_time_s`` for the runtime model).

Same names and arguments as ``nasbench301`` (``api.py``, ``representations.py``):
``load_ensemble(path)``; ``SurrogateAPI.predict(config, representation, with_noise=True)`` with
``representation`` one of ``"genotype"`` (a ``Genotype`` or anything with ``normal`` /
``reduce``; also its printed string), ``"configspace"`` (the ConfigSpace dict, or a
``Configuration``, anything with ``get_dictionary()``) and ``"BANANAS"`` (``[[(input, op_index) ×
8], [...]]``, normal then reduction); ``convert_representation``; ``fixed_hyperparameters``;
``convert_genotype_to_config``; ``OPS``; ``Genotype``; ``representations`` (the module's names).

Differences from the official API:

* ``load_ensemble(path)`` reads a model folder of ours (`Surrogate.save`, ``snb fit -o``: one
  surrogate of the DARTS space), not NB301's downloaded ensembles (a folder of
  ``surrogate_model.model`` files is refused with a line saying how to fit ours);
  ``download_models`` raises. Any of our regressors answers (``xgb``, ``lgb``, ``ensemble``,
  ``gin``); the runtime model is simply one fitted on ``train_time_s``.
* ``with_noise=True`` draws from the surrogate's calibrated predictive distribution (in its fitted
  target space, so an accuracy draw stays below 100); the official API adds N(0, σ²), σ the spread
  of its ensemble members, to their mean. Draws come from a ``numpy.random.Generator`` owned by
  the object (``load_ensemble(path, seed=...)``), not the global ``np.random``.
* ``predict`` also takes a list of configs (one representation) and answers them in one batch
  (featurised and predicted `BATCH` at a time), returning a float64 array; one config gives a
  ``float``. The object keeps the predictions of the last `MEMO_CELLS` cells it was asked
  (the surrogate is deterministic): a config asked again, alone or in a batch, is a lookup, with
  or without noise (a noisy answer draws afresh around the kept mean and spread). Nothing is
  refitted per call; the official API runs its ensemble on every call.
* A ``configspace`` dict is read without ConfigSpace (no version pin); every cell key is checked
  (missing, inactive but set, unknown op: `surrogate_nb.space.darts_forms.from_config`). Its
  training settings must be NB301's protocol (`fixed_hyperparameters`): our surrogate models the
  cells of one training schedule (a table hp), so a config that sets another learning rate,
  channel count, ... is refused where the official ensemble would extrapolate.
* ``"BANANAS"`` works (the official converter reads an undefined name); ``"naslib"`` is accepted
  as a synonym (same ``(input, op_index)`` pairs) and ``"any"`` takes every form
  `DARTS.as_arch` takes (a `Genome`, an index, the compact string).
* Bad input raises `CompatValueError` (a ``ValueError``) naming the value; an unknown
  representation raises ``NotImplementedError`` as the official API does.
"""

from __future__ import annotations

import os
import types
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from surrogate_nb.compat._errors import CompatValueError
from surrogate_nb.errors import InvalidArchError, ModelFormatError
from surrogate_nb.regressors import Surrogate
from surrogate_nb.regressors.surrogate import _inverse
from surrogate_nb.space import DARTS
from surrogate_nb.space.darts import OPS as _OPS
from surrogate_nb.space.darts import Genome
from surrogate_nb.space.darts_forms import (
    Genotype,
    from_config,
    from_genotype,
    from_naslib,
    parse,
    to_config,
)
from surrogate_nb.table.importers.nb301 import PROTOCOL, setting_differences

#: NB301's training settings (``nasbench301.api.fixed_hyperparameters``).
fixed_hyperparameters: dict[str, Any] = dict(PROTOCOL)
OPS: list[str] = list(_OPS)
#: Configs featurised and predicted at once by a batch `SurrogateAPI.predict`.
BATCH = 8192
#: Cells whose prediction a `SurrogateAPI` keeps (least recently asked dropped first).
MEMO_CELLS = 100_000
REPRESENTATIONS = ("configspace", "genotype", "BANANAS", "naslib", "any")


def convert_genotype_to_config(arch: object) -> dict[str, str]:
    """A DARTS genotype → the NB301 ConfigSpace dict of its cells (as ``representations.py``)."""
    return to_config(_genome(arch, "genotype"))


def _genome(config: object, representation: str) -> Genome:
    """One config in a representation → its canonical `Genome` (`CompatValueError` if bad)."""
    try:
        if representation == "configspace":
            if not isinstance(config, Mapping) and hasattr(config, "get_dictionary"):
                config = config.get_dictionary()
            if not isinstance(config, Mapping):
                raise CompatValueError(
                    f"a 'configspace' config is a dict (or a ConfigSpace Configuration), got "
                    f"{type(config).__name__}"
                )
            diffs = setting_differences(config)
            if diffs:
                key, value = next(iter(diffs.items()))
                raise CompatValueError(
                    f"config sets {key} = {value!r}, but NB301's protocol has "
                    f"{fixed_hyperparameters.get(key, '(no such setting)')!r}; the surrogate "
                    "models cells under NB301's fixed training settings (fixed_hyperparameters)"
                )
            return from_config(config)
        if representation == "genotype":
            return parse(config) if isinstance(config, str) else from_genotype(config)
        if representation in ("BANANAS", "naslib"):
            return from_naslib(config)
        if representation == "any":
            return DARTS.as_arch(config)
    except InvalidArchError as exc:
        raise CompatValueError(f"{representation} config: {exc}") from None
    raise NotImplementedError(
        f"{representation} representation is not supported, please choose from "
        f"{list(REPRESENTATIONS)}"
    )


def _is_batch(config: object, representation: str) -> bool:
    """A list of configs rather than one config of `representation`."""
    if isinstance(config, (str, Mapping, Genome)) or not isinstance(config, (list, tuple)):
        return False
    if hasattr(config, "normal") and hasattr(config, "reduce"):
        return False  # a Genotype namedtuple
    if representation in ("BANANAS", "naslib", "any"):
        # one config: [normal, reduce], each 8 (input, op) pairs; a batch nests one level more
        try:
            return isinstance(config[0][0][0], (list, tuple))
        except (IndexError, TypeError, KeyError):
            return representation == "any"
    return True


class SurrogateAPI:
    """One of our surrogates behind NB301's ``SurrogateAPI`` (`load_ensemble` makes one).

    Args:
        surrogate: a fitted `Surrogate` of the DARTS space.
        seed: seed of the draws of ``with_noise=True``.
    """

    def __init__(self, surrogate: Surrogate, *, seed: int | None = None) -> None:
        space = getattr(surrogate, "space", None)
        if space is not DARTS:
            raise CompatValueError(
                f"the surrogate models space {getattr(space, 'name', space)!r}; NB301's API "
                "answers DARTS cells (fit one on a table of space 'darts')"
            )
        self.model = surrogate
        self.rng = np.random.default_rng(seed)
        self.representations_converters = {r: r for r in REPRESENTATIONS}
        # cell index -> (mean, calibrated std) in the surrogate's fitted target space
        self._memo: OrderedDict[int, tuple[float, float]] = OrderedDict()

    @property
    def metric(self) -> str | None:
        """What the surrogate predicts (``valid_acc``, ``train_time_s``, ...), when recorded."""
        key = getattr(self.model, "key_", None)
        return key.get("metric") if isinstance(key, dict) else None

    def __repr__(self) -> str:
        return f"SurrogateAPI({self.model.model} surrogate of {self.metric or 'a metric'})"

    def _predict_t(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, calibrated std) in the surrogate's target space per cell: kept cells looked
        up, the others predicted `BATCH` at a time and kept."""
        memo = self._memo
        new = list(dict.fromkeys(int(i) for i in idx if int(i) not in memo))
        for lo in range(0, len(new), BATCH):
            part = np.asarray(new[lo : lo + BATCH], np.int64)
            mt, st = self.model._predict_t(part)
            memo.update(zip(part.tolist(), zip(mt.tolist(), st.tolist())))
        pairs = []
        for i in idx.tolist():
            memo.move_to_end(i)
            pairs.append(memo[i])
        while len(memo) > MEMO_CELLS:
            memo.popitem(last=False)
        mt, st = np.array(pairs, np.float64).reshape(-1, 2).T
        return mt, st

    def convert_representation(self, config: object, representation: str) -> dict[str, str]:
        """The NB301 ConfigSpace dict (cell keys) of one config."""
        return to_config(_genome(config, representation))

    def predict(
        self, config: object, representation: str, with_noise: bool = True
    ) -> float | np.ndarray:
        """The surrogate's prediction for one config (a float) or a list of them (an array).

        Args:
            config: a config in `representation`, or a list of them.
            representation: ``"genotype"``, ``"configspace"``, ``"BANANAS"`` (module docstring).
            with_noise: a draw from the predictive distribution; False gives its mean.

        Raises:
            CompatValueError: a config that is not a DARTS cell, or other training settings.
            NotImplementedError: an unknown representation.
        """
        if representation not in REPRESENTATIONS:
            _genome(None, representation)  # raises NotImplementedError naming the choices
        batch = _is_batch(config, representation)
        configs: Sequence[object] = config if batch else [config]  # type: ignore[assignment]
        idx = np.fromiter(
            (_genome(c, representation).index for c in configs), np.int64, len(configs)
        )
        mt, st = self._predict_t(idx)
        out = mt + st * self.rng.standard_normal(len(idx)) if with_noise else mt
        out = np.asarray(_inverse(out, self.model.transform_), np.float64)
        return out if batch else float(out[0])


def load_ensemble(
    ensemble_parent_directory: str | os.PathLike, *, seed: int | None = None
) -> SurrogateAPI:
    """Load one of our saved surrogates of the DARTS space (``snb fit -o``) as NB301's API.

    Raises:
        ModelFormatError: not a saved surrogate (NB301's own model folders included), a damaged
            one, or one holding several surrogates.
        CompatValueError: a surrogate of another space.
    """
    path = Path(ensemble_parent_directory)
    if (
        path.is_dir()
        and not (path / "manifest.json").exists()
        and any(path.rglob("*surrogate_model.model"))
    ):
        raise ModelFormatError(
            f"{path} is an NB301 model folder (surrogate_model.model files), which this API does "
            "not read; import NB301's results (`snb import DATA -o TABLE`) and fit a surrogate "
            "(`snb fit TABLE -d cifar10 -m valid_acc --hp 100 -o MODEL`), then load MODEL"
        )
    return SurrogateAPI(Surrogate.load(path), seed=seed)


def download_models(*args: object, **kwargs: object) -> None:
    """Not provided: NB301's model files are not used (fit ours from its data instead)."""
    raise CompatValueError(
        "download_models is not provided: this API answers with surrogate-nb's own models; "
        "import NB301's results with `snb import` and fit one with `snb fit`"
    )


#: ``nasbench301.representations``' names.
representations = types.SimpleNamespace(
    OPS=OPS,
    Genotype=Genotype,
    convert_genotype_to_config=convert_genotype_to_config,
    CONVERTER_DICT={r: r for r in REPRESENTATIONS},
)

__all__ = [
    "BATCH",
    "MEMO_CELLS",
    "OPS",
    "REPRESENTATIONS",
    "Genotype",
    "SurrogateAPI",
    "convert_genotype_to_config",
    "download_models",
    "fixed_hyperparameters",
    "load_ensemble",
    "representations",
]
