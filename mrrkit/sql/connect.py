"""Where the lines live: a Parquet folder, a DuckDB file, or a warehouse reached by an Ibis
connection URL.

:func:`open_lines` opens any of them as canonical lines (:func:`mrrkit.sql.lines_table`); the
app's warehouse source and a notebook use it alike. Nothing is copied: DuckDB reads Parquet
where it lies (larger than memory, spilling to disk), a warehouse computes where its data is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import ibis

from .lines import lines_table

__all__ = ["open_lines"]

#: The name a DuckDB file of lines is attached under.
LINES_CATALOG = "mrrkit_lines"


def _table_name(name: str) -> tuple[str, tuple[str, ...] | str | None]:
    """``"catalog.schema.table"`` as Ibis takes it: the table and its database."""
    parts = [p.strip('"`') for p in name.split(".")]
    if len(parts) == 1:
        return parts[0], None
    if len(parts) == 2:
        return parts[1], parts[0]
    return parts[-1], tuple(parts[:-1])


def _duckdb(memory_limit: str | None, threads: int | None, path: str = ":memory:",
            read_only: bool = False):
    con = ibis.duckdb.connect(path, read_only=read_only)
    if memory_limit:
        # A bound on DuckDB's own memory: past it, sorts and aggregates spill to disk.
        con.raw_sql(f"SET memory_limit = '{_checked_size(memory_limit)}'")
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    return con


def _checked_size(text: str) -> str:
    """A memory size as DuckDB reads it (``"4GB"``, ``"512MB"``), refused otherwise (it goes
    into a SET statement).

    >>> _checked_size("4 GB"), _checked_size("512MiB")
    ('4GB', '512MiB')
    """
    size = str(text).replace(" ", "")
    digits = size.rstrip("KMGTiBb")
    unit = size[len(digits):]
    if not digits.replace(".", "", 1).isdigit() or unit.upper() not in (
            "", "B", "KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"):
        raise ValueError(f"memory_limit must be a size such as '4GB', got {text!r}")
    return size


def open_lines(source: str, table: str | None = None, columns: Mapping[str, str] | None = None,
               *, memory_limit: str | None = None, threads: int | None = None,
               check: bool = True) -> ibis.Table:
    """Canonical lines from where they live, for :mod:`mrrkit.sql`.

    Parameters
    ----------
    source : str
        - a folder of Parquet files, a Parquet file or a glob (``lines/*.parquet``): read by an
          embedded DuckDB, no server;
        - a DuckDB database file (``.duckdb`` / ``.db``), attached read-only: give ``table``;
        - an Ibis connection URL (``duckdb:///path.duckdb``, ``postgres://user@host/db``,
          ``snowflake://user@account/db/schema?warehouse=wh``, ``bigquery://project/dataset``,
          ``trino://user@host/catalog/schema``...; the backend's package must be installed):
          give ``table``.
    table : str, optional
        The table (or view) of lines, ``schema.table`` or ``catalog.schema.table`` allowed.
    columns : mapping, optional
        Canonical name -> the table's column, as :func:`mrrkit.sql.lines_table` takes it.
    memory_limit, threads : optional
        For DuckDB (embedded or by URL): its memory bound (``"4GB"``) and threads.
    check : bool, default True
        Run :func:`mrrkit.sql.lines_table`'s checking query.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"customer_id": ["a"], "start": pd.to_datetime(["2024-01-01"]),
    ...               "end": pd.to_datetime([None]), "mrr": [10.0]}).to_parquet(f"{folder}/1.parquet")
    >>> lines = open_lines(folder)
    >>> int(lines.count().execute())
    1
    """
    source = str(source).strip()
    if not source:
        raise ValueError("give where the lines are: a Parquet folder or file, a DuckDB file or "
                         "a connection URL")
    if "://" not in source:
        path = Path(source).expanduser()
        if path.suffix.lower() in (".duckdb", ".db", ".ddb"):
            if not path.is_file():
                raise ValueError(f"no DuckDB file at {source}")
            if not table:
                raise ValueError(f"name the table of lines in {source} (table=)")
            # Attached read-only to an in-memory database (rather than opened read-only): the
            # lines stay untouched, and the connection can still write where it is allowed to
            # (temporary tables, a store attached beside, as the app's warehouse source does).
            con = _duckdb(memory_limit, threads)
            con.attach(str(path), LINES_CATALOG, read_only=True)
            name, database = _table_name(table)
            schema = database[-1] if isinstance(database, tuple) else (database or "main")
            return lines_table(con.table(name, database=(LINES_CATALOG, schema)), columns,
                               check)
        if path.is_dir():
            pattern = str(path / "**" / "*.parquet")
            if not any(path.rglob("*.parquet")):
                raise ValueError(f"no Parquet files in the folder {source}")
        elif path.is_file() or any(ch in source for ch in "*?["):
            pattern = str(path)
        else:
            raise ValueError(f"no such file or folder: {source}")
        con = _duckdb(memory_limit, threads)
        return lines_table(con.read_parquet(pattern), columns, check)
    if not table:
        raise ValueError("name the table of lines (table=): a connection URL names a database")
    con = ibis.connect(source)
    if con.name == "duckdb" and (memory_limit or threads):
        if memory_limit:
            con.raw_sql(f"SET memory_limit = '{_checked_size(memory_limit)}'")
        if threads:
            con.raw_sql(f"SET threads = {int(threads)}")
    name, database = _table_name(table)
    return lines_table(con.table(name, database=database), columns, check)
