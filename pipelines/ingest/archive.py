"""Archive delivered files read-only, content-addressed by their SHA-256.

``archive_dir/<sha256[:2]>/<sha256>/<file name>``: folders 0700, files 0400. A file that
is already archived (same checksum) is not copied again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o400


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


def archive_file(source: Path, sha256: str, archive_dir: Path) -> Path:
    """Copy ``source`` into the archive (owner read-only) and return the archived path."""
    _private_dir(archive_dir)
    folder = archive_dir / sha256[:2]
    _private_dir(folder)
    folder = folder / sha256
    _private_dir(folder)
    target = folder / source.name
    if not target.exists():
        partial = folder / f".{source.name}.partial"
        partial.unlink(missing_ok=True)
        shutil.copyfile(source, partial)
        os.chmod(partial, FILE_MODE)
        os.replace(partial, target)
    return target
