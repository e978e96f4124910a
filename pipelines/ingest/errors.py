"""Errors that stop a delivery: each one's ``str()`` is one line a person can act on."""

from __future__ import annotations


class IngestError(Exception):
    """Base class of the errors that stop loading a delivery (nothing is published)."""


class ExtractError(IngestError):
    """A delivered file that cannot be loaded at all.

    The message is one line naming the file (relative to the delivery folder) and the
    problem, e.g. ``events.csv: missing required column 'action'``.
    """

    def __init__(self, file_name: str, problem: str) -> None:
        self.file_name = file_name
        self.problem = problem
        super().__init__(f"{file_name}: {_one_line(problem)}")


class HashKeyError(IngestError):
    """The secret key for hashing patient ids is missing outside demo mode."""


def _one_line(text: str, limit: int = 300) -> str:
    """Collapse a (library) message to one line of at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
