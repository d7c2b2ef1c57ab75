"""What every search space offers the layers above it (tables, builders, regressors, optimizers).

NB201 and NB101 implement it; DARTS or another space is added by writing modules that subclass
`SearchSpace` and registering the instance in `surrogate_nb.space.SPACES`. Nothing above has to
change as long as it talks to the space through this interface: index <-> cell, parsing, surrogate
features, sampling and mutation, and the network (`network`, `costs`; `surrogate_nb.network`
dispatches to them). Tables and models record the space's `name`.

A space's modules read bottom-up, each importing only the ones before it at the top of the file:

1. ``<space>_cell.py``: the cell value (a frozen dataclass), its parsing and its index;
2. what is computed from a cell: encodings / features, closed-form costs, the torch network
   (``<space>_network.py``; imports torch at the top, so the space imports it inside `network`);
3. ``<space>.py``: the `SearchSpace` subclass gathering them, and its instance.

The network hook, for a new space: implement

* ``network(arch, num_classes, *, C=None, N=None, in_channels=3, **options) -> torch.nn.Module``:
  the network of one cell, and
* ``costs(arch, num_classes, *, resolution=32, in_channels=3, C=None, N=None)
  -> (params_m, flops_m)``: its parameters and multiply-adds (Conv/Linear, bias included) for one
  ``resolution``² image, both in millions.

``C`` (width) and ``N`` (depth) are every space's keywords, None meaning the space's default (a
space with a fixed layout, NB-101, ignores them); further ``options`` are the space's own, and one
the space does not take raises `TypeError`. Import torch inside `network` (or from a
``<space>_network`` module imported there) so that loading the space stays light.

What a space tells people about itself (`snb arch`, `snb space`, and the same calls in Python):
``describe(arch) -> Facts`` (one cell: its forms, structure and costs) and ``summary() -> Facts``
(the whole space), each a JSON-ready dict plus the tables it is shown as; ``counters(arch,
dataset)`` gives the closed-form ``params_m`` / ``flops_m`` of a cell's network for a dataset
setting (``{}`` where the space defines no network for it), without torch.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import numpy as np

from surrogate_nb.errors import BuildError, UnknownKeyError

if TYPE_CHECKING:
    from torch import nn

A = TypeVar("A")


@dataclass(frozen=True)
class FactTable:
    """One table of `Facts` as people read it: rows of text cells; with `columns` a table with
    that header, without a two-column field / value list."""

    title: str
    rows: tuple[tuple[str, ...], ...]
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What a space says about a cell (`SearchSpace.describe`) or itself (`SearchSpace.summary`):
    `data` is JSON-ready (``snb ... --json`` prints it), `tables` show it to people."""

    data: dict[str, Any]
    tables: tuple[FactTable, ...]


class SearchSpace(abc.ABC, Generic[A]):
    """A finite (or indexable) space of cells.

    Attributes:
        name: short identifier stored in table manifests ("nb201").
        size: number of cells, or None for spaces too large to enumerate (tables of such a
            space hold rows for the cells they have; whole-space operations refuse it; `len`
            raises).
        cell_type: the class of the space's cell values (`surrogate_nb.space.space_of` finds a
            cell's space by it).
    """

    name: ClassVar[str]
    size: ClassVar[int | None]
    cell_type: ClassVar[type]
    #: Feature encodings by name: each maps a sequence of archs to a float32 (n, d) matrix.
    encodings: ClassVar[Mapping[str, Callable[[Sequence[Any]], np.ndarray]]]

    def __len__(self) -> int:
        """The number of cells of a finite space; `TypeError` for a space without a size."""
        if self.size is None:
            raise TypeError(f"search space {self.name!r} has no finite size")
        return self.size

    @abc.abstractmethod
    def from_index(self, index: int) -> A: ...

    @abc.abstractmethod
    def from_str(self, text: str) -> A: ...

    @abc.abstractmethod
    def as_arch(self, value: object) -> A:
        """Accept any single arch form (object, index, string, op tuple) and return the arch."""

    @abc.abstractmethod
    def as_indices(self, values: object) -> np.ndarray:
        """Vectorised: one arch or a sequence/array of them -> int64 array of indices."""

    @abc.abstractmethod
    def all_archs(self) -> Iterator[A]: ...

    @abc.abstractmethod
    def sample(self, rng: np.random.Generator) -> A:
        """A uniformly random cell."""

    @abc.abstractmethod
    def neighbours(self, arch: A) -> list[A]:
        """Cells one mutation away (used by local search and evolution)."""

    def mutate(self, arch: A, rng: np.random.Generator) -> A:
        """One uniformly chosen neighbour (the space's mutation for evolution)."""
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))]

    @property
    def cardinality(self) -> int:
        """Exact number of cells (indices are 0..cardinality-1), also for a space whose `size`
        is None because it cannot be enumerated."""
        return int(self.size)  # type: ignore[arg-type]

    @property
    def enumerable(self) -> bool:
        """Whether every cell can be listed (dense per-cell arrays, whole-space memos,
        `all_archs`); False for spaces like DARTS that are indexable only."""
        return self.size is not None

    def index_of(self, arch: object) -> int:
        """Index of one cell in any form `as_arch` accepts."""
        return int(self.as_indices(self.as_arch(arch)))

    def label(self, arch: object) -> str:
        """The text form users type and read back (NB201 string, NB-101 hash)."""
        return str(self.as_arch(arch))

    # ---- the space as categorical parameters (REINFORCE, TPE) ---------------------------------

    @abc.abstractmethod
    def choices(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The space as categorical parameters ``[(name, options), ...]``; a cell is one option
        index per parameter (some combinations may be invalid, see `from_choices`)."""

    @abc.abstractmethod
    def from_choices(self, values: Sequence[int]) -> A:
        """The cell of one option index per parameter; `InvalidArchError` if it is no cell."""

    @abc.abstractmethod
    def to_choices(self, arch: A) -> list[int]:
        """The option indices of a cell (inverse of `from_choices` up to isomorphism)."""

    # ---- surrogate features -------------------------------------------------------------------

    #: Feature sets offered to surrogates; the first is the default.
    feature_sets: ClassVar[tuple[str, ...]]

    @abc.abstractmethod
    def featurize(self, indices: np.ndarray, features: str) -> np.ndarray:
        """(n, d) float32 features of the cells with these indices (one row per index)."""

    @abc.abstractmethod
    def feature_names(self, features: str) -> list[str]:
        """Column names of `featurize(..., features)`."""

    def encode(self, archs: Sequence[Any], encoding: str) -> np.ndarray:
        """Feature matrix of `archs` under a named encoding (see `encodings`)."""
        try:
            fn = self.encodings[encoding]
        except KeyError:
            raise UnknownKeyError("encoding", encoding, sorted(self.encodings)) from None
        return fn([self.as_arch(a) for a in archs])

    # ---- the network of a cell ----------------------------------------------------------------

    def network(
        self,
        arch: object,
        num_classes: int,
        *,
        C: int | None = None,
        N: int | None = None,
        in_channels: int = 3,
        **options: Any,
    ) -> nn.Module:
        """The torch network of one cell (any form `as_arch` accepts); see the module docstring.
        A space without one raises `BuildError`."""
        raise BuildError(f"search space {self.name!r} defines no network")

    def costs(
        self,
        arch: object,
        num_classes: int,
        *,
        resolution: int = 32,
        in_channels: int = 3,
        C: int | None = None,
        N: int | None = None,
    ) -> tuple[float, float]:
        """(params M, FLOPs M) of `network(arch, num_classes, C=C, N=N, ...)` for one
        ``resolution``² image."""
        raise BuildError(f"search space {self.name!r} defines no parameter or FLOP counts")

    def counters(self, arch: object, dataset: str) -> dict[str, float]:
        """``params_m`` / ``flops_m`` of the network of `arch` for `dataset` in closed form (no
        torch), or ``{}`` for a dataset whose network the space does not define."""
        return {}

    # ---- what the space tells people ----------------------------------------------------------

    def describe(self, arch: object) -> Facts:
        """Facts about one cell (any form `as_arch` accepts); a space overrides it with its
        forms, structure and costs."""
        index, label = self.index_of(arch), self.label(arch)
        return Facts(
            {"index": index, "label": label},
            (FactTable(f"{self.name} cell {index}", (("label", label),)),),
        )

    def summary(self) -> Facts:
        """Facts about the whole space; a space overrides it with its own counts."""
        data = {"space": self.name, "num_cells": self.cardinality}
        return Facts(
            data, (FactTable(f"{self.name} search space", (("cells", f"{self.cardinality:,}"),)),)
        )
