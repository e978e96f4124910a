"""Find the extract files of one delivery folder and checksum them.

A file belongs to extract kind K when its name, or the name of its parent folder
inside the delivery, starts with K (``events.csv``, ``events_2026-03-02.csv.gz``,
``events/part-0001.parquet``). Only ``.csv``, ``.csv.gz`` and ``.parquet`` files count;
everything else is listed as ignored (and logged by the loader).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from schemas.contract import KINDS, kind_of_name

SUFFIXES = (".csv", ".csv.gz", ".parquet")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DeliveryFile:
    """One extract file of a delivery.

    ``name`` is the POSIX path relative to the delivery folder; it is what the
    quarantine, the manifest and error messages call the file.
    """

    path: Path
    name: str
    kind: str

    @property
    def is_parquet(self) -> bool:
        return self.name.lower().endswith(".parquet")


def kind_of_file(rel: Path) -> str | None:
    """The extract kind of a file given by its path relative to the delivery folder.

    >>> kind_of_file(Path("events/part-0001.parquet"))
    'events'
    >>> kind_of_file(Path("notes.txt")) is None
    True
    """
    if not rel.name.lower().endswith(SUFFIXES):
        return None
    kind = kind_of_name(rel.name)
    if kind is None and len(rel.parts) > 1:
        kind = kind_of_name(rel.parent.name)
    return kind


def discover(folder: Path) -> tuple[list[DeliveryFile], list[str]]:
    """Return the delivery's extract files in load order, and the ignored file names.

    Load order is the order of :data:`schemas.contract.KINDS` (the roster first), then the
    relative path. Hidden files and folders (starting with '.') are skipped silently.
    """
    files: list[DeliveryFile] = []
    ignored: list[str] = []
    # Broken links are listed too: reading them stops the delivery with a clear error.
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or _broken_link(p)):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        kind = kind_of_file(rel)
        if kind is None:
            ignored.append(rel.as_posix())
        else:
            files.append(DeliveryFile(path=path, name=rel.as_posix(), kind=kind))
    order = list(KINDS)
    files.sort(key=lambda f: (order.index(f.kind), f.name))
    return files, ignored


def _broken_link(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
