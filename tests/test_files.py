"""Atomic writes: a failure never leaves a half-written or temporary file."""

from __future__ import annotations

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
