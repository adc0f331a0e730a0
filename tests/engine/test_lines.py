"""Canonical lines: validation errors, date handling, no mutation, customer attributes.

Every frame here is tiny and written by hand; expected values are worked out in the comments.
"""

import copy

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit.engine.lines import MICROS, validate_lines
from tests.builders import LINE_COLUMNS as COLS
from tests.builders import lines as dated
from tests.builders import seconds
from tests.builders import text_lines as lines


def summary(mv):
    """Movements as plain tuples: (customer, 'YYYY-MM-DD', kind, amount)."""
    return [
        (str(c), d.strftime("%Y-%m-%d"), str(k), a)
        for c, d, k, a in zip(mv["customer_id"], mv["date"], mv["kind"], mv["amount"])
    ]


GOOD = [("a", "2024-01-10", "2024-03-01", 100.0), ("b", "2024-02-01", None, 50.0)]


# --------------------------------------------------------------------------- error paths


@pytest.mark.parametrize("column", COLS)
@pytest.mark.parametrize("func", [validate_lines, mrrkit.movements, mrrkit.monthly])
def test_missing_column_is_named(func, column):
    df = dated(GOOD).drop(columns=column)
    with pytest.raises(ValueError, match=column):
        func(df)


def test_missing_column_message_lists_only_the_missing_one():
    df = dated(GOOD).drop(columns=["end"])
    with pytest.raises(ValueError) as info:
        validate_lines(df)
    assert "['end']" in str(info.value)


@pytest.mark.parametrize("blank", [None, np.nan])
def test_missing_customer_id(blank):
    df = dated([("a", "2024-01-01", None, 1.0), (blank, "2024-01-05", None, 2.0)])
    with pytest.raises(ValueError, match="'customer_id'.*positions 1"):
        mrrkit.movements(df)


def test_missing_customer_id_in_str_dtype_column():
    df = dated(GOOD)
    df["customer_id"] = pd.Series(["a", None], dtype="str")
    with pytest.raises(ValueError, match="customer_id"):
        validate_lines(df)


@pytest.mark.parametrize("as_text", [True, False])
def test_missing_start(as_text):
    rows = [("a", "2024-01-01", None, 1.0), ("b", None, None, 2.0)]
    df = lines(rows) if as_text else dated(rows)
    with pytest.raises(ValueError, match="'start'.*positions 1"):
        mrrkit.movements(df)


@pytest.mark.parametrize("value", ["100", "x"])
def test_non_numeric_mrr(value):
    df = dated([("a", "2024-01-01", None, value)])
    with pytest.raises(ValueError, match="'mrr'.*numeric"):
        mrrkit.movements(df)


def test_boolean_mrr_is_not_numeric():
    df = dated([("a", "2024-01-01", None, True)])
    with pytest.raises(ValueError, match="'mrr'"):
        validate_lines(df)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_mrr(value):
    df = dated([("a", "2024-01-01", None, 1.0), ("b", "2024-01-01", None, value)])
    with pytest.raises(ValueError, match="'mrr'.*positions 1"):
        mrrkit.movements(df)


def test_nullable_float_mrr_with_na():
    df = dated(GOOD)
    df["mrr"] = pd.array([100.0, None], dtype="Float64")
    with pytest.raises(ValueError, match="'mrr'"):
        validate_lines(df)


def test_end_before_start():
    df = dated([("a", "2024-01-10", "2024-01-11", 1.0), ("b", "2024-01-10", "2024-01-09", 1.0)])
    with pytest.raises(ValueError, match="'end'.*'start'.*positions 1"):
        mrrkit.movements(df)


@pytest.mark.parametrize("column", ["start", "end"])
def test_numeric_dates_are_refused(column):
    df = dated(GOOD)
    df[column] = [20240110, 20240301]
    with pytest.raises(ValueError, match=f"'{column}'.*numbers"):
        mrrkit.movements(df)


def test_numeric_dates_message_has_no_template_placeholder():
    df = dated(GOOD)
    df["start"] = [20240110, 20240301]
    with pytest.raises(ValueError) as info:
        validate_lines(df)
    assert "{name" not in str(info.value)
    assert "df['start']" in str(info.value)


def test_all_empty_float_end_means_open_lines():
    # An 'end' column of only NaN is float64 but holds no numbers: every line is open.
    df = lines([("a", "2024-01-01", np.nan, 10.0)])
    df["end"] = df["end"].astype("float64")
    assert summary(mrrkit.movements(df)) == [("a", "2024-01-01", "new", 10.0)]


@pytest.mark.parametrize("column", ["start", "end"])
def test_unparseable_date_text(column):
    df = lines(GOOD)
    df.loc[0, column] = "not a date"
    with pytest.raises(ValueError, match=f"'{column}'"):
        mrrkit.movements(df)


def test_amounts_too_large_for_int64_micros():
    df = dated([("a", "2024-01-01", None, 5e12), ("b", "2024-01-01", None, 5e12)])
    with pytest.raises(ValueError, match="'mrr'.*9e12"):
        validate_lines(df)


def test_duplicate_index_labels_are_fine():
    # Frames glued with pd.concat often repeat index labels: positions are what count.
    df = dated([("a", "2024-01-05", "2024-02-01", 1.0), ("a", "2024-02-01", None, 2.0),
                ("b", "2024-02-01", None, 3.0)], extra=()).set_axis([5, 5, 2])
    assert summary(mrrkit.movements(df)) == [
        ("a", "2024-01-05", "new", 1.0),
        ("a", "2024-02-01", "expansion", 1.0),
        ("b", "2024-02-01", "new", 3.0),
    ]
    bad = df.assign(mrr=[1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="positions 1"):
        validate_lines(bad)


def test_not_a_dataframe():
    with pytest.raises(TypeError):
        mrrkit.movements([("a", "2024-01-01", None, 1.0)])


# --------------------------------------------------------------------------- negative MRR


def test_customer_going_negative_is_named():
    # b: 10 from Jan 1, a -25 "discount" from Feb 1 -> MRR -15 on 2024-02-01.
    df = dated(
        [
            ("a", "2024-01-01", None, 50.0),
            ("b", "2024-01-01", None, 10.0),
            ("b", "2024-02-01", None, -25.0),
        ]
    )
    with pytest.raises(ValueError, match=r"customer 'b'.*-15\.00.*2024-02-01"):
        mrrkit.movements(df)


def test_discount_not_exceeding_other_lines_is_fine():
    # 100 list price minus a 20 discount line, same day: one `new` of 80.
    df = dated([("a", "2024-01-01", None, 100.0), ("a", "2024-01-01", "2024-03-01", -20.0)])
    assert summary(mrrkit.movements(df)) == [
        ("a", "2024-01-01", "new", 80.0),
        ("a", "2024-03-01", "expansion", 20.0),  # the discount ends
    ]


def test_negative_mrr_after_as_of_is_ignored():
    # The discount that would make b negative starts after as_of: nothing to complain about.
    df = dated([("b", "2024-01-01", None, 10.0), ("b", "2024-02-01", None, -25.0)])
    mv = mrrkit.movements(df, as_of="2024-01-31")
    assert summary(mv) == [("b", "2024-01-01", "new", 10.0)]


# --------------------------------------------------------------------------- dates


def test_iso_text_dates_equal_datetime_dates():
    rows = [
        ("a", "2024-01-10", "2024-03-01", 100.0),
        ("a", "2024-03-01", None, 120.0),
        ("b", "2024-02-01", "2024-02-20", 50.0),
    ]
    text, dt = lines(rows), dated(rows)
    assert text["start"].dtype != dt["start"].dtype
    pd.testing.assert_frame_equal(mrrkit.movements(text).frame, mrrkit.movements(dt).frame)
    pd.testing.assert_frame_equal(mrrkit.monthly(text), mrrkit.monthly(dt))


@pytest.mark.parametrize("blank", [None, "", np.nan])
def test_blank_end_text_is_open(blank):
    df = lines([("a", "2024-01-01", blank, 10.0), ("b", "2024-01-02", "2024-02-01", 5.0)])
    assert summary(mrrkit.movements(df)) == [
        ("a", "2024-01-01", "new", 10.0),
        ("b", "2024-01-02", "new", 5.0),
        ("b", "2024-02-01", "churn", -5.0),
    ]


def test_times_of_day_are_dropped():
    # 23:59 on Jan 31 is Jan 31 (not Feb 1); an end at 00:01 on Mar 1 is Mar 1.
    df = lines([("a", pd.Timestamp("2024-01-31 23:59"), pd.Timestamp("2024-03-01 00:01"), 10.0)])
    assert summary(mrrkit.movements(df)) == [
        ("a", "2024-01-31", "new", 10.0),
        ("a", "2024-03-01", "churn", -10.0),
    ]
    # Jan counts the customer, not Feb only.
    assert mrrkit.monthly(df)["mrr"].tolist() == [10.0, 10.0, 0.0]


def test_same_day_start_and_end_with_times_is_zero_length():
    # 08:00 -> 20:00 the same day is a zero-length line (start == end as days): no movement.
    # So is 20:00 -> 06:00 the same day: not "end before start" once times are dropped.
    df = lines(
        [
            ("a", pd.Timestamp("2024-01-10 08:00"), pd.Timestamp("2024-01-10 20:00"), 10.0),
            ("a", pd.Timestamp("2024-01-12 20:00"), pd.Timestamp("2024-01-12 06:00"), 10.0),
            ("b", pd.Timestamp("2024-01-15 12:00"), None, 5.0),
        ]
    )
    assert summary(mrrkit.movements(df)) == [("b", "2024-01-15", "new", 5.0)]


def test_tz_aware_timestamps_keep_their_own_calendar_day():
    # 23:30 in New York on Jan 31 is 04:30 UTC on Feb 1: the billing day is Jan 31.
    ny = "America/New_York"
    df = lines(
        [
            (
                "a",
                pd.Timestamp("2024-01-31 23:30", tz=ny),
                pd.Timestamp("2024-03-01 22:00", tz=ny),
                10.0,
            )
        ]
    )
    df["start"] = pd.to_datetime(df["start"])
    df["end"] = pd.to_datetime(df["end"])
    assert isinstance(df["start"].dtype, pd.DatetimeTZDtype)
    mv = mrrkit.movements(df)
    assert summary(mv) == [("a", "2024-01-31", "new", 10.0), ("a", "2024-03-01", "churn", -10.0)]
    assert mv["date"].dt.tz is None
    assert mrrkit.monthly(df).index.astype(str).tolist() == ["2024-01", "2024-02", "2024-03"]


def test_iso_text_with_offset_keeps_its_own_calendar_day():
    df = lines([("a", "2024-01-31T23:30:00-05:00", None, 10.0)])
    assert summary(mrrkit.movements(df)) == [("a", "2024-01-31", "new", 10.0)]


def _as_date_objects(col):
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in col]


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda df: df, id="iso-text"),
        pytest.param(lambda df: df.assign(start=pd.to_datetime(df["start"]),
                                          end=pd.to_datetime(df["end"])), id="datetime64[ns]"),
        pytest.param(lambda df: df.assign(start=pd.to_datetime(df["start"]).astype("datetime64[s]"),
                                          end=pd.to_datetime(df["end"]).astype("datetime64[s]")),
                     id="datetime64[s]"),
        pytest.param(lambda df: df.assign(start=_as_date_objects(df["start"]),
                                          end=_as_date_objects(df["end"])), id="date-objects"),
        pytest.param(lambda df: df.assign(start=df["start"].astype("string"),
                                          end=df["end"].astype("string")), id="string-dtype"),
        pytest.param(lambda df: df.assign(mrr=df["mrr"].astype("Int64")), id="Int64-mrr"),
        pytest.param(lambda df: df.assign(mrr=df["mrr"].astype("int32")), id="int32-mrr"),
        pytest.param(lambda df: df.assign(customer_id=df["customer_id"].astype("category")),
                     id="categorical-ids"),
        pytest.param(lambda df: df.assign(customer_id=df["customer_id"].astype(object)),
                     id="object-ids"),
    ],
)
def test_accepted_column_shapes(convert):
    df = lines([("b", "2024-02-01", None, 2.0), ("a", "2024-01-05", "2024-03-01", 1.0)])
    assert summary(mrrkit.movements(convert(df))) == [
        ("a", "2024-01-05", "new", 1.0),
        ("a", "2024-03-01", "churn", -1.0),
        ("b", "2024-02-01", "new", 2.0),
    ]


def test_far_future_end_date_is_a_real_date():
    # 9999-12-31 is beyond pandas' nanosecond range; it is just a very late end.
    df = lines([("a", "2024-01-01", "9999-12-31", 10.0)])
    mv = mrrkit.movements(df, as_of="2024-06-30")
    assert summary(mv) == [("a", "2024-01-01", "new", 10.0)]


# --------------------------------------------------------------------------- encoding


def test_validate_lines_encoding():
    df = dated(
        [
            ("b", "2024-01-02", None, 1.25),
            ("a", "2024-01-01", "2024-01-03", 2.0),
            ("b", "2024-01-01", "2024-01-02", 0.1234565),
        ]
    )
    enc = validate_lines(df)
    assert list(enc.customers) == ["a", "b"]  # sorted ids
    assert enc.code.tolist() == [1, 0, 1]
    jan1 = (np.datetime64("2024-01-01") - np.datetime64("1970-01-01")).astype(int)
    assert enc.start.tolist() == [jan1 + 1, jan1, jan1]
    assert enc.end.tolist() == [enc.OPEN, jan1 + 2, jan1 + 1]
    assert enc.mrr.tolist() == [1_250_000, 2_000_000, 123_456]  # micros, rounded
    assert MICROS == 1_000_000


# --------------------------------------------------------------------------- no mutation


def _raw_lines():
    """Lines in awkward but valid shapes: text dates, categorical ids, unsorted, attributes."""
    df = lines(
        [
            ("b", "2024-03-01", None, 80.0, "pro", None),
            ("a", "2024-01-10", "2024-03-10", 100.0, "basic", None),
            ("a", "2024-03-10", None, 150.0, "pro", None),
            ("c", "2024-01-05", "2024-02-20", 40.0, "basic", "price"),
            ("c", "2024-04-02", None, 60.0, "basic", None),
            ("b", "2024-01-20", "2024-01-20", 10.0, "basic", None),
        ],
        extra=("plan", "churn_reason"),
    )
    df["customer_id"] = df["customer_id"].astype("category")
    return df


def _raw_movements():
    """A movements frame as a user might hand it back: unsorted, plain str columns."""
    mv = mrrkit.movements(_raw_lines())
    shuffled = mv.frame.iloc[[3, 0, 4, 1, 2] + list(range(5, len(mv)))].copy()
    shuffled["customer_id"] = shuffled["customer_id"].astype("str")
    shuffled["kind"] = shuffled["kind"].astype("str")
    return shuffled


def _from_raw(frame):
    """Movements read back from :func:`_raw_movements` with the as-of day they were made with."""
    return mrrkit.Movements.from_frame(frame, as_of=mrrkit.movements(_raw_lines()).as_of)


LINE_CALLS = {
    "validate_lines": lambda d: validate_lines(d),
    "customer_attributes": lambda d: mrrkit.customer_attributes(d),
    "movements": lambda d: mrrkit.movements(d),
    "movements_as_of": lambda d: mrrkit.movements(d, as_of="2024-03-15"),
    "monthly": lambda d: mrrkit.monthly(d),
    "cohorts_mrr": lambda d: mrrkit.cohorts(d, "mrr"),
    "cohorts_customers": lambda d: mrrkit.cohorts(d, "customers"),
    "cohorts_arpa": lambda d: mrrkit.cohorts(d, "arpa"),
    "nrr": lambda d: mrrkit.nrr(d, "2024-01", "2024-04"),
    "grr": lambda d: mrrkit.grr(d, "2024-01", "2024-04"),
    "ltv": lambda d: mrrkit.ltv(d),
    "cs_headwind": lambda d: mrrkit.cs_headwind(d, "2024-01", "2024-03"),
    "cs_tailwind": lambda d: mrrkit.cs_tailwind(d, "2024-01", "2024-03"),
    "cs_magic_number": lambda d: mrrkit.cs_magic_number(d, "2024-01", "2024-03", 10.0),
    "expansion_rate": lambda d: mrrkit.expansion_rate(d),
    "expansion_growth_rate": lambda d: mrrkit.expansion_growth_rate(d),
    "kpis": lambda d: mrrkit.kpis(d),
}

MOVEMENT_CALLS = {k: v for k, v in LINE_CALLS.items() if k not in (
    "validate_lines", "customer_attributes", "movements", "movements_as_of")}

TABLE_CALLS = {
    "ltv": lambda t: mrrkit.ltv(t),
    "cs_headwind": lambda t: mrrkit.cs_headwind(t, "2024-01", "2024-03"),
    "cs_tailwind": lambda t: mrrkit.cs_tailwind(t, "2024-01", "2024-03"),
    "expansion_rate": lambda t: mrrkit.expansion_rate(t),
    "expansion_growth_rate": lambda t: mrrkit.expansion_growth_rate(t),
}


def _assert_unchanged(call, frame):
    before = copy.deepcopy(frame)
    call(frame)
    pd.testing.assert_frame_equal(frame, before, check_exact=True)
    assert frame.attrs == before.attrs
    assert list(frame.columns) == list(before.columns)


@pytest.mark.parametrize("name", list(LINE_CALLS))
def test_lines_frame_not_mutated(name):
    _assert_unchanged(LINE_CALLS[name], _raw_lines())


@pytest.mark.parametrize("name", list(LINE_CALLS))
def test_tz_aware_lines_frame_not_mutated(name):
    df = _raw_lines()
    df["start"] = pd.to_datetime(df["start"]).dt.tz_localize("Europe/Paris")
    df["end"] = pd.to_datetime(df["end"]).dt.tz_localize("Europe/Paris")
    _assert_unchanged(LINE_CALLS[name], df)


@pytest.mark.parametrize("name", list(MOVEMENT_CALLS))
def test_movements_frame_not_mutated(name):
    mv = mrrkit.movements(_raw_lines())
    before, as_of = mv.frame.copy(deep=True), mv.as_of
    MOVEMENT_CALLS[name](mv)
    pd.testing.assert_frame_equal(mv.frame, before, check_exact=True)
    assert mv.as_of == as_of


@pytest.mark.parametrize("name", list(MOVEMENT_CALLS))
def test_unsorted_plain_movements_frame_not_mutated(name):
    _assert_unchanged(lambda frame: MOVEMENT_CALLS[name](_from_raw(frame)), _raw_movements())


@pytest.mark.parametrize("name", list(TABLE_CALLS))
def test_monthly_table_not_mutated(name):
    _assert_unchanged(TABLE_CALLS[name], mrrkit.monthly(_raw_lines()))


def test_unsorted_plain_movements_give_the_same_results():
    mv = mrrkit.movements(_raw_lines())
    raw = _from_raw(_raw_movements())
    pd.testing.assert_frame_equal(mrrkit.monthly(raw), mrrkit.monthly(mv))
    pd.testing.assert_frame_equal(mrrkit.cohorts(raw), mrrkit.cohorts(mv))
    assert mrrkit.nrr(raw, "2024-01", "2024-04") == mrrkit.nrr(mv, "2024-01", "2024-04")


# --------------------------------------------------------------------------- attributes


def test_customer_attributes_latest_line_wins_including_blanks():
    df = dated(
        [
            # a churned for "price", came back later: the new line has no churn_reason.
            ("a", "2024-01-01", "2024-03-01", 10.0, "basic", "price"),
            ("a", "2024-06-01", None, 20.0, "pro", None),
            # b's latest line is listed first: order in the frame does not matter, start does.
            ("b", "2024-05-01", None, 5.0, "pro", None),
            ("b", "2024-02-01", "2024-05-01", 5.0, "basic", "too expensive"),
            ("c", "2024-02-01", None, 5.0, None, "n/a"),
        ],
        extra=("plan", "churn_reason"),
    )
    attrs = mrrkit.customer_attributes(df)
    assert attrs.index.name == "customer_id"
    assert attrs.index.tolist() == ["a", "b", "c"]
    assert list(attrs.columns) == ["plan", "churn_reason"]
    assert attrs.loc["a", "plan"] == "pro"
    assert pd.isna(attrs.loc["a", "churn_reason"])
    assert attrs.loc["b", "plan"] == "pro"
    assert pd.isna(attrs.loc["b", "churn_reason"])
    assert pd.isna(attrs.loc["c", "plan"])
    assert attrs.loc["c", "churn_reason"] == "n/a"


@pytest.mark.parametrize("order, winner", [([0, 1], "second"), ([1, 0], "first")])
def test_customer_attributes_ties_go_to_the_later_row(order, winner):
    df = dated(
        [
            ("a", "2024-03-01", None, 10.0, "first"),
            ("a", "2024-03-01", None, 10.0, "second"),
            ("a", "2024-01-01", "2024-03-01", 10.0, "oldest"),
        ],
        extra=("plan",),
    )
    df = df.iloc[order + [2]].reset_index(drop=True)
    assert mrrkit.customer_attributes(df)["plan"].tolist() == [winner]


def test_customer_attributes_with_text_dates():
    df = lines(
        [("a", "2024-11-01", None, 1.0, "new"), ("a", "2024-02-01", "2024-11-01", 1.0, "old")],
        extra=("plan",),
    )
    assert mrrkit.customer_attributes(df)["plan"].tolist() == ["new"]


def test_customer_attributes_without_attribute_columns():
    attrs = mrrkit.customer_attributes(dated(GOOD))
    assert attrs.index.tolist() == ["a", "b"]
    assert list(attrs.columns) == []


def test_customer_attributes_needs_id_and_start():
    with pytest.raises(ValueError, match="customer_id"):
        mrrkit.customer_attributes(dated(GOOD).drop(columns="customer_id"))
    with pytest.raises(ValueError, match="start"):
        mrrkit.customer_attributes(dated(GOOD).drop(columns="start"))


def test_customer_attributes_times_of_day_are_the_same_day():
    # Both lines start on 2024-03-01: a tie, so the row further down wins ("second").
    df = lines(
        [
            ("a", pd.Timestamp("2024-03-01 18:00"), None, 10.0, "first"),
            ("a", pd.Timestamp("2024-03-01 09:00"), None, 10.0, "second"),
        ],
        extra=("plan",),
    )
    assert mrrkit.customer_attributes(df)["plan"].tolist() == ["second"]


def test_customer_attributes_index_sorted_like_movements_for_numeric_ids():
    df = dated([(10, "2024-01-01", None, 1.0, "x"), (9, "2024-01-01", None, 1.0, "y")],
               extra=("plan",))
    attrs = mrrkit.customer_attributes(df)
    ids = mrrkit.movements(df)["customer_id"].astype(str).tolist()
    assert attrs.index.tolist() == ids == ["10", "9"]


def test_customer_attributes_keeps_an_attribute_named__row():
    df = dated([("a", "2024-01-01", None, 1.0, "u"), ("b", "2024-01-01", None, 1.0, "v")],
               extra=("_row",))
    assert mrrkit.customer_attributes(df)["_row"].tolist() == ["u", "v"]


# --------------------------------------------------------------------------- dates the engine takes


@pytest.mark.parametrize("day", ["1678-01-01", "1899-12-31", "2200-01-01", "9999-01-01"])
def test_a_start_outside_the_engine_dates_is_refused_naming_the_column(day):
    # One such line would make monthly tables of ~120,000 months (issue 12, item 9).
    df = seconds([("a", "2024-01-01", None, 10.0), ("b", day, None, 5.0)])
    with pytest.raises(ValueError, match=rf"column 'start' has dates \(e.g. {day}\) in 1 row\(s\) "
                                         r"\(positions 1\) outside 1900-01-01 to 2199-12-31"):
        validate_lines(df)


def test_the_engine_dates_include_their_first_and_last_day():
    first, last = (str(d.date()) for d in mrrkit.engine.lines.ENGINE_DATES)
    assert (first, last) == ("1900-01-01", "2199-12-31")
    enc = validate_lines(seconds([("a", first, None, 1.0), ("b", last, "9999-12-31", 1.0)]))
    assert len(enc.start) == 2
