"""The documented error types. The CLI turns each into one clear line and an exit code."""

from __future__ import annotations


class ImrkbError(Exception):
    """Base class for every error imrkb reports to a person."""

    exit_code = 2


class LetterError(ImrkbError):
    """A letter could not be read or parsed: names the file and what is wrong."""

    def __init__(self, path: str, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {problem}")


class CatalogError(ImrkbError):
    """The guideline catalog in ``guidelines/`` is malformed."""


class UsageError(ImrkbError):
    """Bad arguments or a bad query."""
