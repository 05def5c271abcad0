"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it into place.

    On any failure the temporary file is removed and ``path`` is left as it was.
    """
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def resolved(path: Path) -> Path:
    """The absolute, link-free form of a path; a link that loops stays as it is."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symbolic link that points back at itself
        return path.absolute()


def refuse_overwrite(path: Path, force: bool) -> None:
    """OutputExistsError when ``path`` exists and overwriting was not asked for."""
    from .errors import Location, OutputExistsError

    if path.exists() and not force:
        raise OutputExistsError("already exists; use --force to overwrite it", Location(file=path))


def refuse_inputs(targets: Iterable[Path], inputs: set[Path]) -> None:
    """InputError when an output would overwrite one of the run's input files."""
    from .errors import InputError, Location

    for target in targets:
        if resolved(target) in inputs:
            raise InputError(
                "is one of the input files: choose another output name", Location(file=target)
            )


def make_folder(folder: Path) -> Path:
    """Create a folder (and its parents) to write into; InputError says why it can't be."""
    from .errors import InputError, Location

    for parent in [folder, *folder.parents]:
        if parent.exists() and not parent.is_dir():
            raise InputError(
                f"cannot write into {folder}: {parent} is a file, not a folder; "
                "choose another output folder",
                Location(file=parent),
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(
            f"cannot create the folder: {err.strerror}", Location(file=folder)
        ) from None
    return folder


def write_text_atomically(path: Path, text: str, encoding: str = "utf-8") -> Path:
    with atomic_target(path) as tmp:
        tmp.write_text(text, encoding=encoding, newline="")
    return path
