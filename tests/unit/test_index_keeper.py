"""The product index's WAL survives a process that drops its SQLite locks by opening and
closing the file (what GDAL does when MapServer reads the index), as long as the job
runner's IndexKeeper holds the index open."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from services.index.keeper import IndexKeeper

KEEPER = """
import sys, time
from services.index.keeper import IndexKeeper
keeper = IndexKeeper(sys.argv[1])
assert keeper.hold()
print("held", flush=True)
time.sleep(60)
"""


def write(path: Path, rows: int) -> None:
    """Commit rows from another process, which then closes its connection."""
    subprocess.run([sys.executable, "-c", (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
        f"db.executemany('INSERT INTO t VALUES (?)', [(1,)] * {rows}); db.commit(); db.close()"),
        str(path)], check=True)


def reader_after_a_gdal_like_probe(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 10
    with open(path, "rb") as probe:   # GDAL's open-to-identify: the close drops the locks
        probe.read(100)
    return db


def new_index(tmp_path: Path) -> Path:
    path = tmp_path / "index.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (a)")
        db.executemany("INSERT INTO t VALUES (?)", [(1,)] * 10)
    return path


def test_without_a_keeper_the_writer_deletes_the_wal_under_the_reader(tmp_path):
    path = new_index(tmp_path)
    reader_after_a_gdal_like_probe(path)
    write(path, 5)
    assert not path.with_name("index.sqlite-wal").exists()   # the hazard the keeper prevents


def test_with_the_keeper_the_reader_keeps_seeing_every_commit(tmp_path):
    path = new_index(tmp_path)
    keeper = subprocess.Popen([sys.executable, "-c", KEEPER, str(path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert keeper.stdout.readline().strip() == "held"
        reader = reader_after_a_gdal_like_probe(path)
        for expected in (15, 20, 25):
            write(path, 5)
            assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == expected
        assert path.with_name("index.sqlite-wal").exists()
    finally:
        keeper.kill()
        keeper.wait()


def test_the_keeper_follows_a_replaced_index_and_lets_go_of_a_missing_one(tmp_path):
    path = new_index(tmp_path)
    keeper = IndexKeeper(path)
    assert keeper.hold() and keeper.hold()
    held = keeper._file
    (tmp_path / "next").mkdir()
    new_index(tmp_path / "next").replace(path)
    assert keeper.hold() and keeper._file != held
    path.unlink()
    assert not keeper.hold()
