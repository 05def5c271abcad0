"""Files: atomic writes that leave no half-written or temporary file and give the
permissions people expect, and file names read from inside files kept in their folder."""

from __future__ import annotations

import os
import stat

import pytest

from couple_xl.errors import Location, ReadError
from couple_xl.files import atomic_target, name_in_folder, write_text_atomically


def test_success_replaces_the_target(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_text_atomically(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"the old summary")

    def write_half() -> None:
        with atomic_target(target) as tmp:
            tmp.write_bytes(b"half a summ")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_half()
    assert target.read_bytes() == b"the old summary"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


# --- permissions: a new file gets the umask's mode, a replaced one keeps its own -------

posix_only = pytest.mark.skipif(os.name == "nt", reason="Windows has no umask or Unix modes")


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, umask):
    target = write_text_atomically(tmp_path / "new.csv", "a,b\n")
    # 0666 less the umask, worked out by hand: 0644 under 022, 0600 under 077.
    assert mode(target) == {0o022: 0o644, 0o077: 0o600}[umask]


@posix_only
@pytest.mark.parametrize("kept", [0o600, 0o640, 0o664])
def test_a_replaced_file_keeps_its_mode(tmp_path, umask, kept):
    target = tmp_path / "summary.xlsx"
    target.write_bytes(b"old")
    target.chmod(kept)
    with atomic_target(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == kept
    assert [p.name for p in tmp_path.iterdir()] == ["summary.xlsx"]


# --- file names read from inside files ------------------------------------------------

WHERE = Location(file="m.manifest.json", key="partners[0].file")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/etc/passwd", "it is an absolute path"),
        ("../../../../../etc/passwd", "it leads up out of the folder ('..')"),
        ("..", "it leads up out of the folder ('..')"),
        ("..\\..\\secret.xlsx", "it leads up out of the folder ('..')"),
        ("sub/a.xlsx", "it names a folder as well as a file"),
        ("sub\\a.xlsx", "it names a folder as well as a file"),
        ("C:\\Windows\\win.ini", "it starts with a drive letter"),
        ("C:evil.xlsx", "it starts with a drive letter"),
        ("\\\\server\\share\\a.xlsx", "it is a network path"),
        ("//server/share/a.xlsx", "it is a network path"),
        ("\\a.xlsx", "it is an absolute path"),
        ("a.xlsx:hidden", "it has a ':', which no file name on Windows can have"),
        ("", "it is empty"),
        (".", "it names a folder, not a file"),
        ("a\x00.xlsx", "it has a control character in it"),
        ("CON", "it is a name Windows keeps for a device"),
        ("nul.xlsx", "it is a name Windows keeps for a device"),
    ],
)
def test_a_name_that_could_lead_elsewhere_is_refused_with_its_place(tmp_path, name, why):
    with pytest.raises(ReadError) as info:
        name_in_folder(tmp_path, name, WHERE, "use the manifest new wrote")
    assert info.value.location == WHERE
    assert info.value.message.endswith(f"cannot be used: {why}; use the manifest new wrote")


def test_a_plain_name_is_a_path_in_the_folder(tmp_path):
    for name in ("a.xlsx", "Age UK (returned).xlsx", ".hidden.xlsx", "a..b.xlsx"):
        assert name_in_folder(tmp_path, name, WHERE, "") == tmp_path / name


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_link_leading_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "sent"
    (folder / "sub").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for partners")
    (folder / "out.xlsx").symlink_to(secret)
    (folder / "up.xlsx").symlink_to("../secret.txt")
    (folder / "self.xlsx").symlink_to(folder)
    (folder / "dangling.xlsx").symlink_to(tmp_path / "gone.xlsx")
    for name in ("out.xlsx", "up.xlsx", "self.xlsx", "dangling.xlsx"):
        with pytest.raises(ReadError, match="it is a link to a file outside the folder"):
            name_in_folder(folder, name, WHERE, "")
    # A link to a file beside it, or below it, stays in the folder.
    (folder / "real.xlsx").write_bytes(b"PK")
    (folder / "sub" / "deep.xlsx").write_bytes(b"PK")
    (folder / "beside.xlsx").symlink_to("real.xlsx")
    (folder / "below.xlsx").symlink_to(folder / "sub" / "deep.xlsx")
    for name in ("beside.xlsx", "below.xlsx"):
        assert name_in_folder(folder, name, WHERE, "") == folder / name
