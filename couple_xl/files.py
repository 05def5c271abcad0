"""Writing files so that a reader never sees half of one, with the permissions people
expect."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

# O_EXCL: never open a file, or follow a link, that someone else put under the temporary
# name. O_BINARY matters on Windows only.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _temporary_beside(path: Path) -> Path:
    """A new, empty file beside ``path`` under a random name.

    It is created with mode 0666, which the operating system reduces by the umask, so it
    gets exactly the mode any program's new file would get (0644 under umask 022, 0600
    under 077). This is why it is not made with tempfile.mkstemp, whose files are always
    0600; and it avoids reading the umask, which can only be done by setting it (for a
    moment, for every thread of the process).
    """
    for _ in range(100):
        tmp = path.with_name(f".tmp-{secrets.token_hex(8)}{path.suffix}")
        try:
            fd = os.open(tmp, _CREATE, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"cannot find a free temporary name beside {path}")


def _keep_mode(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the permissions of the file it is about to replace, as editors do."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:  # nothing to replace (or nothing readable): the new file's mode stays
        return
    os.chmod(tmp, mode)


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it into place.

    A new file gets the mode the umask gives new files; a replaced file keeps the mode
    it had. On any failure the temporary file is removed and ``path`` is left as it was.
    """
    tmp = _temporary_beside(path)
    try:
        yield tmp
        _keep_mode(tmp, path)
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


def copy_atomically(source: Path, path: Path) -> Path:
    """Copy a file's bytes to ``path`` as every other output is written (atomically, with
    the umask's mode rather than the source's)."""
    with atomic_target(path) as tmp:
        shutil.copyfile(source, tmp)
    return path
