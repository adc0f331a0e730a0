"""Where the lines live (mrrkit.sql.open_lines): a Parquet folder, file or glob, a DuckDB file
(read-only), an Ibis URL; what is missing is said, naming it."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

import mrrkit
import mrrkit.sql

FRAME = pd.DataFrame({
    "account": ["a", "a", "b"],
    "start": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-02-01"]),
    "end": pd.to_datetime(["2024-03-01", None, "2024-04-15"]),
    "amount": [100.0, 150.0, 40.0],
    "plan": ["basic", "pro", "basic"],
})
MAPPING = {"customer_id": "account", "mrr": "amount"}
WANT = mrrkit.monthly(FRAME.rename(columns={"account": "customer_id", "amount": "mrr"}))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("parquet")
    (root / "year=2024").mkdir()
    FRAME.iloc[:2].to_parquet(root / "year=2024" / "part-0.parquet")
    FRAME.iloc[2:].to_parquet(root / "part-1.parquet")
    return root


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("duckdb") / "billing.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA finance")
    con.register("frame", FRAME)
    con.execute("CREATE TABLE finance.lines AS SELECT * FROM frame")
    con.close()
    return path


def test_a_parquet_folder_is_read_whole_subfolders_included(folder):
    lines = mrrkit.sql.open_lines(str(folder), columns=MAPPING, memory_limit="1GB", threads=1)
    pd.testing.assert_frame_equal(mrrkit.sql.monthly(lines), WANT)


def test_a_parquet_glob_reads_the_files_it_names(folder):
    lines = mrrkit.sql.open_lines(f"{folder}/*.parquet", columns=MAPPING)
    assert int(lines.count().execute()) == 1


def test_a_duckdb_file_is_opened_read_only_by_path_or_url(database):
    for source in (str(database), f"duckdb:///{database}?read_only=true"):
        lines = mrrkit.sql.open_lines(source, "finance.lines", MAPPING)
        pd.testing.assert_frame_equal(mrrkit.sql.monthly(lines), WANT)
    # A path is attached read-only (to an in-memory database that may write elsewhere).
    con = mrrkit.sql.open_lines(str(database), "finance.lines", MAPPING).get_backend()
    with pytest.raises(Exception, match="read-only|read only"):
        con.raw_sql("CREATE TABLE mrrkit_lines.finance.other (x INT)")
    with pytest.raises(Exception, match="read-only|read only"):
        con.raw_sql("DELETE FROM mrrkit_lines.finance.lines")
    con.raw_sql("CREATE TEMP TABLE scratch (x INT)")  # (the temporary tables of .cache())


@pytest.mark.parametrize(("source", "table", "message"), [
    ("", None, "give where the lines are"),
    ("/nowhere/at/all", None, "no such file or folder"),
    ("/nowhere/billing.duckdb", "lines", "no DuckDB file"),
    ("duckdb://", None, "name the table of lines"),
])
def test_what_is_missing_is_said(source, table, message):
    with pytest.raises(ValueError, match=message):
        mrrkit.sql.open_lines(source, table)


def test_a_duckdb_file_needs_its_table_named(database):
    with pytest.raises(ValueError, match="name the table"):
        mrrkit.sql.open_lines(str(database))


def test_an_empty_folder_and_a_bad_memory_limit_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no Parquet files"):
        mrrkit.sql.open_lines(str(tmp_path))
    with pytest.raises(ValueError, match="memory_limit must be a size"):
        mrrkit.sql.open_lines(str(tmp_path / "x.parquet*"), memory_limit="4GB'; DROP")


def test_import_mrrkit_needs_no_ibis():
    """mrrkit itself stays pandas/numpy/scipy: only ``import mrrkit.sql`` loads Ibis."""
    import subprocess
    import sys

    probe = ("import sys, mrrkit; print('ibis' in sys.modules, 'duckdb' in sys.modules); "
             "import mrrkit.sql; print('ibis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "True"], out
