"""Issue 14: what a mapping reads is what ``.mapping`` reports, and a file column a mapping
shadows is named in a note, never silently lost or read in place of the mapped one; start
columns named as billing tables name them are recognised without a mapping."""

from __future__ import annotations

import pandas as pd
import pytest

from mrrkit import read_export


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


FILE = pd.DataFrame({
    "customer_id": ["c1", "c2"],
    "email": ["a@x.io", "b@x.io"],
    "start": ["2024-01-01", "2024-02-01"],
    "mrr": ["100", "50"],
})


def test_a_mapped_role_reads_the_mapped_column_and_says_so():
    result = read_export(_csv(FILE), mapping={"customer_id": "email"})
    assert sorted(result.lines["customer_id"]) == ["a@x.io", "b@x.io"]
    assert result.mapping["customer_id"] == "email"
    # The file's own customer_id column: neither read as the id nor lost without a word.
    shadowed = [n for n in result.warnings if n.code == "mapping_shadowed"]
    assert [(n.values["column"], n.values["name"], n.values["used"]) for n in shadowed] == [
        ("customer_id", "customer_id", "email")]
    assert "customer_id" not in set(result.mapping.values()) - {result.mapping["customer_id"]}


def test_a_mapped_attribute_is_not_overwritten_by_a_column_of_its_name():
    frame = FILE.assign(plan=["Pro", "Basic"], **{"Plan Nickname": ["pro-m", "basic-m"]})
    result = read_export(_csv(frame), mapping={"plan": "Plan Nickname"})
    assert sorted(result.lines["plan"]) == ["basic-m", "pro-m"]
    assert result.mapping["plan"] == "Plan Nickname"
    assert [n.values["column"] for n in result.warnings if n.code == "mapping_shadowed"] == ["plan"]


def test_a_role_mapped_to_nothing_drops_its_column_with_a_note():
    frame = FILE.assign(end=["2024-06-01", ""])
    result = read_export(_csv(frame), mapping={"end": None})
    assert result.lines["end"].isna().all()
    dropped = [n for n in result.warnings if n.code == "mapping_dropped"]
    assert [(n.values["column"], n.values["name"]) for n in dropped] == [("end", "end")]
    assert "end" not in result.mapping


@pytest.mark.parametrize("start, end", [
    ("billing_start_date", "billing_end_date"),
    ("Subscription Start Date", "Subscription End Date"),
    ("contract_start_date", "contract_end_date"),
    ("service_start_date", "service_end_date"),
    ("period start", "period end"),
    ("service_period_start", "service_period_end"),
])
def test_billing_table_start_and_end_names_are_recognised(start, end):
    frame = pd.DataFrame({"customer_id": ["c1"], start: ["2024-01-01"], end: ["2024-03-01"],
                          "mrr": ["10"]})
    result = read_export(_csv(frame))
    assert (result.mapping["start"], result.mapping["end"]) == (start, end)
    assert result.lines["start"].iloc[0] == pd.Timestamp("2024-01-01")
