"""Issue 14: the optional line dates (``mrrkit.LINE_DATES``) describe a line, never its customer.

They are no attributes and no segments, whatever they hold; they must be dates; and lines with
them give exactly the figures of the same lines without them.
"""

from __future__ import annotations

import pandas as pd
import pytest

import mrrkit
from mrrkit import LINE_DATES, customer_attributes, segment_columns, validate_lines


def _lines() -> pd.DataFrame:
    lines = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c"],
        "start": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-15", "2024-02-01"]),
        "end": pd.to_datetime(["2024-03-01", "2024-06-01", None, "2024-05-01"]),
        "mrr": [10.0, 20.0, 5.0, 8.0],
        "plan": ["basic", "pro", "basic", "pro"],
        "billing_status": ["ended", "paused", "paying", "delinquent"],
    })
    # Few distinct values: were they attributes, they would make segments.
    lines["canceled_at"] = pd.to_datetime(["2024-02-10", None, None, None])
    lines["paused_at"] = pd.to_datetime([None, "2024-06-01", None, None])
    lines["resumes_at"] = pd.to_datetime([None, "2024-09-01", None, None])
    lines["delinquent_since"] = pd.to_datetime([None, None, None, "2024-05-01"])
    return lines


def test_line_dates_are_never_attributes_nor_segments():
    attrs = customer_attributes(_lines())
    assert list(attrs.columns) == ["plan", "billing_status"]
    assert not set(LINE_DATES) & set(segment_columns(attrs))
    assert "billing_status" in segment_columns(attrs)  # the meaning is a segment, as a plan is
    # Named like a line date, a column is no segment even as text (a frame made by hand).
    by_hand = pd.DataFrame({"paused_at": ["2024-01-01", "2024-02-01", None], "plan": list("xyx")})
    assert segment_columns(by_hand) == ["plan"]


def test_line_dates_change_no_figure():
    lines = _lines()
    bare = lines.drop(columns=list(LINE_DATES))
    with_dates = mrrkit.monthly(mrrkit.movements(lines))
    without = mrrkit.monthly(mrrkit.movements(bare))
    pd.testing.assert_frame_equal(with_dates, without)


def test_a_line_date_must_hold_dates():
    lines = _lines()
    lines["paused_at"] = lines["paused_at"].dt.strftime("%Y-%m-%d")
    with pytest.raises(ValueError, match="'paused_at' must hold dates"):
        validate_lines(lines)
    # A column of nothing at all is fine (a CSV column left empty).
    lines["paused_at"] = None
    validate_lines(lines)
