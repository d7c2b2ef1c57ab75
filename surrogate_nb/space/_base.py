"""What every search space offers the layers above it (tables, builders, regressors, optimizers).

NB201 is the only space today. NB101 or DARTS are added by writing one module that subclasses
`SearchSpace` and registering it in `surrogate_nb.space.SPACES`; nothing above has to change as long
as it talks to the space through this interface (index <-> arch, encodings, sampling, mutation).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from surrogate_nb.errors import UnknownKeyError

A = TypeVar("A")


class SearchSpace(abc.ABC, Generic[A]):
    """A finite (or indexable) space of cells.

    Attributes:
        name: short identifier stored in table manifests ("nb201").
        size: number of cells, or None for spaces too large to enumerate.
    """

    name: ClassVar[str]
    size: ClassVar[int | None]
    #: Feature encodings by name: each maps a sequence of archs to a float32 (n, d) matrix.
    encodings: ClassVar[dict[str, Callable[[Sequence[Any]], np.ndarray]]]

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

    def encode(self, archs: Sequence[Any], encoding: str) -> np.ndarray:
        """Feature matrix of `archs` under a named encoding (see `encodings`)."""
        try:
            fn = self.encodings[encoding]
        except KeyError:
            raise UnknownKeyError("encoding", encoding, sorted(self.encodings)) from None
        return fn([self.as_arch(a) for a in archs])
