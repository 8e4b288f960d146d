"""Files replaced in one step, with the permissions asked for, and no temporary left."""

from __future__ import annotations

import os

import pytest

from index.atomic import write_atomically


def test_a_new_file_gets_the_umask_mode_and_nothing_else_is_left(tmp_path) -> None:
    target = tmp_path / "out.bin"
    old = os.umask(0o027)
    try:
        write_atomically(target, b"first")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"first"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_mode_given_replaces_the_umask_one(tmp_path) -> None:
    target = tmp_path / "config.json"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomically(target, b"new", mode=0o644)
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_content_and_removes_the_temporary(tmp_path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
