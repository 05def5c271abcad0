"""Files: writing them so that a reader never sees half of one, with the permissions
people expect, and turning file names read from inside files into paths that stay in
their folder."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import Location

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


# --- file names read from inside files ------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Names Windows gives to devices, whatever the extension: opening one reads a device.
_DEVICES = re.compile(
    r"^(con|prn|aux|nul|conin\$|conout\$|(com|lpt)[0-9\u00b9\u00b2\u00b3])(\.|$)", re.IGNORECASE
)


def plain_name_problem(name: str) -> str | None:
    """Why ``name`` is not a plain file name, one that can only mean a file directly
    inside a folder on every platform; None when it is one. Looks at the text only."""
    if not name.strip():
        return "it is empty"
    if name.startswith(("\\\\", "//")):
        return "it is a network path"
    if _DRIVE.match(name):
        return "it starts with a drive letter"
    if name.startswith(("/", "\\")):
        return "it is an absolute path"
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        return "it leads up out of the folder ('..')"
    if len(parts) > 1:
        return "it names a folder as well as a file"
    if not name.strip("."):
        return "it names a folder, not a file"
    if ":" in name:
        return "it has a ':', which no file name on Windows can have"
    if _CONTROL.search(name):
        return "it has a control character in it"
    if _DEVICES.match(name):
        return "it is a name Windows keeps for a device"
    return None


def name_refusal(name: str, problem: str) -> str:
    """The words of a refused file name: the name as it was written, and why."""
    shown = _CONTROL.sub("?", name if len(name) <= 80 else name[:79] + "…")
    return f"the file name '{shown}' cannot be used: {problem}"


def name_in_folder(folder: Path, name: str, where: Location, instruction: str) -> Path:
    """The path of the file ``name`` (read from inside a file, at ``where``) in ``folder``.

    ReadError, located at ``where`` and ending with ``instruction``, for a name that is
    not a plain file name (see plain_name_problem) or that is a symbolic link leading out
    of the folder. The file itself is neither opened nor required to exist.
    """
    from .errors import ReadError

    problem = plain_name_problem(name)
    path = folder / name
    if problem is None and path.is_symlink():
        # A link may point to a file beside it, or below it; anything else is refused.
        real, base = resolved(path), resolved(folder)
        if not real.is_relative_to(base) or real == base:
            problem = "it is a link to a file outside the folder"
    if problem is not None:
        raise ReadError(f"{name_refusal(name, problem)}; {instruction}", where)
    return path
