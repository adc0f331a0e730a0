"""Fixtures of the mrrkit.sql tests: an embedded DuckDB per test module, and the bundled sample
as canonical lines in it (with the pandas frame they come from)."""

from __future__ import annotations

import ibis
import pytest

import mrrkit
import mrrkit.sql


@pytest.fixture(scope="module")
def duckdb():
    con = ibis.duckdb.connect()
    yield con
    con.disconnect()


@pytest.fixture(scope="module")
def sample(duckdb):
    """``(frame, lines)``: the sample as a pandas frame and as mrrkit.sql lines."""
    frame = mrrkit.load_sample()
    return frame, mrrkit.sql.lines_table(duckdb.create_table("sample", frame, overwrite=True))
