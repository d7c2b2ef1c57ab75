"""The package's exceptions: one root, each also a matching builtin, all picklable (they cross Ray).

Every error keeps the offending value as an attribute and says, in its message, the rule that was
broken, the value received and, where there is one, the next step.
"""

from __future__ import annotations

from collections.abc import Iterable


class SurrogateNBError(Exception):
    """Root of every error this package raises on purpose."""


class InvalidArchError(SurrogateNBError, ValueError):
    """An architecture string, index or op tuple that is not a cell of the search space.

    Attributes:
        value: what was received.
        token: the offending part of it (an op name, an edge, an index), when one can be named.
    """

    def __init__(self, message: str, value: object = None, token: object = None) -> None:
        super().__init__(message)
        self.value = value
        self.token = token

    def __reduce__(self):  # keep the attributes through pickling (Ray)
        return (type(self), (str(self), self.value, self.token))


class UnknownKeyError(SurrogateNBError, LookupError):
    """A dataset, metric, hp, seed or epoch that the table (or model) does not hold.

    Attributes:
        kind: what was looked up ("dataset", "metric", "hp", "seed", "epoch", ...).
        value: the key received.
        available: what exists instead.
    """

    def __init__(
        self, kind: str, value: object, available: Iterable[object] | str = (), hint: str = ""
    ) -> None:
        self.kind = kind
        self.value = value
        self.available = list(available) if not isinstance(available, str) else [available]
        shown = ", ".join(map(repr, self.available[:20]))
        if len(self.available) > 20:
            shown += f", … ({len(self.available)} in all)"
        message = f"unknown {kind} {value!r}; available: {shown or 'none'}"
        if hint:
            message += f". {hint}"
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:  # LookupError would repr() the message
        return self.args[0]

    def __reduce__(self):
        return (type(self), (self.kind, self.value, self.available, self.hint))


class TableFormatError(SurrogateNBError, ValueError):
    """A table directory that is missing files, fails its checksums, or has a newer schema."""


class UnsafePickleError(SurrogateNBError, ValueError):
    """An official pickle file referenced a type outside the importer's allow-list."""


class DatasetError(SurrogateNBError, ValueError):
    """Dataset files missing or malformed; the message names the path and the expected layout."""


class NotFittedError(SurrogateNBError, ValueError):
    """A surrogate was asked to predict or save before `fit`."""


class ModelFormatError(SurrogateNBError, ValueError):
    """A saved surrogate that is missing, corrupt, or written by an incompatible version."""


class BuildError(SurrogateNBError, RuntimeError):
    """The exhaustive build cannot go on (inconsistent ledger, bad shard, bad cell list)."""


class DataError(SurrogateNBError, ValueError):
    """Training or scoring data of the wrong shape, length or values (NaN targets, too few rows).

    Attributes:
        value: the offending value (a shape, a length, the bad array).
    """

    def __init__(self, message: str, value: object = None) -> None:
        super().__init__(message)
        self.value = value

    def __reduce__(self):
        return (type(self), (str(self), self.value))


class InvalidValueError(SurrogateNBError, ValueError):
    """An argument outside its allowed range or of the wrong kind (the message names the
    argument, the value received and what is allowed)."""


class OutputError(SurrogateNBError, ValueError):
    """An output path that cannot receive the result: it holds another kind of object or
    foreign files, cannot be written, or another process is writing it now."""
