"""The study store's refusals and marks, rule by rule (verify.study.store): which files at the
store's path and its SQLite side files are refused, in which words; the header mark that makes a
file ours; whether a claim's owner process is alive; the folders it creates. Torch-free (runs
under --noconftest); the command-line refusals are in test_user_files."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from symbolic.errors import VerifyError
from verify.report_folder import UnsafeFolder
from verify.study.store import Claim, Owner, Store, check_store_file, pid_alive

TAIL = (
    "deq-verify writes its study store only as a regular file: move it, or choose another "
    "--out folder"
)


def _refusal(path: Path) -> str:
    with pytest.raises(UnsafeFolder) as err:
        check_store_file(path)
    return str(err.value)


@pytest.mark.parametrize("side", ["", "-wal", "-shm", "-journal"])
def test_a_link_at_the_store_or_any_side_file_is_refused(side, tmp_path):
    """Each of study.sqlite, -wal, -shm and -journal is checked, whichever others are absent."""
    store = tmp_path / "study.sqlite"
    target = tmp_path / "thesis.tex"
    target.write_text("mine")
    link = Path(f"{store}{side}")
    link.symlink_to(target)
    assert _refusal(store) == f"{link} is a symbolic link; {TAIL}"
    assert target.read_text() == "mine"


def test_a_folder_at_a_side_file_is_not_a_regular_file(tmp_path):
    store = tmp_path / "study.sqlite"
    Path(f"{store}-journal").mkdir()
    assert _refusal(store) == f"{store}-journal is not a regular file; {TAIL}"


@pytest.mark.parametrize("kind", ["another program's database", "text", "empty"])
def test_a_file_without_the_stores_mark_is_never_written(kind, tmp_path):
    """SQLite's magic alone is not enough: the application_id must say 'deqv'."""
    store = tmp_path / "study.sqlite"
    if kind == "text":
        store.write_text("SQLite format 3 is how the thesis begins")
    elif kind == "empty":
        store.write_bytes(b"")
    else:
        db = sqlite3.connect(store)
        db.execute("CREATE TABLE mine (x)")
        db.commit()
        db.close()
    before = store.read_bytes()
    assert _refusal(store) == (
        f"{store} is not a deq-verify study store (of this version); it is never written: "
        "move it, or choose another --out folder"
    )
    assert store.read_bytes() == before


def test_a_new_store_is_marked_in_its_header_and_accepted_again(tmp_path):
    """application_id 'deqv' at bytes 68..71 of the SQLite header; created with its folders."""
    store = tmp_path / "a" / "b" / "study.sqlite"
    with Store(store):
        pass
    assert store.read_bytes()[68:72] == b"deqv"
    check_store_file(store)  # ours: no refusal
    with Store(store) as again:
        assert again.keys("cells") == set()


def test_pid_alive_tells_a_running_process_from_a_finished_one():
    assert pid_alive(os.getpid())
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not pid_alive(int(child.stdout))
    assert not pid_alive(2**70)  # no such pid (OverflowError inside)


def test_owners_and_claims_are_immutable():
    owner = Owner.here()
    assert (owner.host, owner.pid) == (os.uname().nodename, os.getpid()) and len(owner.token) == 32
    assert Owner.here().token != owner.token
    for record in (owner, Claim("k", owner.token, owner.host, owner.pid, 0.0)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.pid = 1


def test_the_store_is_opened_without_following_a_link(tmp_path):
    """The header is read through O_NOFOLLOW: a link swapped in after the lstat check still
    cannot be read through (ELOOP), while the store itself opens."""
    from verify.study.store import _nofollow

    target = tmp_path / "thesis.tex"
    target.write_text("mine")
    link = tmp_path / "study.sqlite"
    link.symlink_to(target)
    with pytest.raises(OSError):
        open(link, "rb", opener=_nofollow).close()
    with open(target, "rb", opener=_nofollow) as fh:
        assert fh.read() == b"mine"


def test_a_store_that_cannot_be_created_is_one_line(tmp_path):
    (tmp_path / "file").write_text("a file where the folder goes")
    path = tmp_path / "file" / "study.sqlite"
    with pytest.raises(VerifyError) as err:
        Store(path)
    assert str(err.value).startswith(f"cannot open the results store {path}: ")
    assert "\n" not in str(err.value)


def test_a_clean_close_checkpoints_the_wal_while_another_run_keeps_it_open(tmp_path):
    """close() folds the WAL into the database (TRUNCATE: the -wal file left empty) even while
    another run's connection keeps SQLite from removing it."""
    path = tmp_path / "study.sqlite"
    with Store(path) as other:
        mine = Store(path)
        mine.put_group("g", "sin", "sphere", 4, {"x": 1})
        wal = Path(f"{path}-wal")
        assert wal.stat().st_size > 0
        mine.close()
        assert wal.exists() and wal.stat().st_size == 0
        assert other.keys("groups") == {"g"}


def test_a_live_run_misses_twelve_renewals_before_its_claim_is_stale():
    """The documented margin between the heartbeat and staleness: a run renewing every
    HEARTBEAT_S seconds is taken over only after 12 missed renewals."""
    from verify.study.store import HEARTBEAT_S, STALE_AFTER_S

    assert HEARTBEAT_S > 0 and STALE_AFTER_S == 12 * HEARTBEAT_S
