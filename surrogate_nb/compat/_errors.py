"""Errors of the compat facades: `SurrogateNBError` subclasses that are also the builtin the
official API raises in the same place, so ``except ValueError`` / ``except KeyError`` in a ported
script keeps working."""

from __future__ import annotations

from surrogate_nb.errors import SurrogateNBError, UnknownKeyError


class CompatValueError(SurrogateNBError, ValueError, AssertionError):
    """Where ``nats_bench`` raises ``ValueError`` (and ``nas_201_api`` ``ValueError`` or
    ``AssertionError``): a bad index, iepoch, seed, dataset or search-space name."""


class CompatKeyError(UnknownKeyError, KeyError):
    """Where the official API fails with ``KeyError``: a dataset or hp the records do not hold."""


class MissingDataError(SurrogateNBError, KeyError, ValueError):
    """The table does not record what was asked (e.g. a wide CSV has no losses or curves).

    The message is one line naming what the table lacks and what it holds instead. It is both a
    ``KeyError`` and a ``ValueError``: the official record classes fail with either when a value
    is not recorded (a missing epoch key, a missing eval set).
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""
