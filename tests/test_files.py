"""Atomic writes: a failure never leaves a half-written or temporary file, and files get
the permissions people expect."""

from __future__ import annotations

import os
import stat

import pytest

from couple_xl.files import atomic_target, write_text_atomically


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
