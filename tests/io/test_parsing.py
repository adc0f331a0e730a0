"""Column-level parsers: amounts, dates and billing intervals as exports and Excel write them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mrrkit.io.dates import parse_dates
from mrrkit.io.parse import bad_interval_counts, parse_amounts, parse_intervals
from mrrkit.io.window import DateWindow, date_window

SETTINGS = settings(max_examples=200, deadline=None)

NBSP, NNBSP = "\u00a0", "\u202f"


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt(value: float, style: str, symbol: str = "") -> str:
    """Write a number as a French, Italian or US spreadsheet would, with 2 decimals."""
    cents = round(abs(value) * 100)
    whole, frac = divmod(cents, 100)
    if style == "fr":
        body = _group(str(whole), NBSP) + f",{frac:02d}"
    elif style == "fr_narrow":
        body = _group(str(whole), NNBSP) + f",{frac:02d}"
    elif style == "it":
        body = _group(str(whole), ".") + f",{frac:02d}"
    else:
        body = _group(str(whole), ",") + f".{frac:02d}"
    sign = "-" if value < 0 and cents else ""
    if symbol == "€ after":
        return f"{sign}{body} €"
    if symbol:
        return f"{sign}{symbol}{body}"
    return sign + body


amounts = st.lists(
    st.floats(-5_000_000, 5_000_000, allow_nan=False).map(lambda x: round(x, 2)),
    min_size=1,
    max_size=30,
)


@SETTINGS
@given(
    amounts,
    st.sampled_from(["fr", "fr_narrow", "it", "us"]),
    st.sampled_from(["", "€", "$", "€ after"]),
)
def test_amounts_round_trip_in_every_locale(values, style, symbol):
    column = pd.Series([fmt(v, style, symbol) for v in values])
    parsed = parse_amounts(column)
    assert not parsed.bad.any(), column.tolist()
    np.testing.assert_allclose(parsed.values.to_numpy(), values, atol=1e-9)


@SETTINGS
@given(amounts, st.sampled_from(["fr", "it", "us"]))
def test_amounts_with_empty_cells_are_nan_not_bad(values, style):
    column = pd.Series([fmt(v, style) for v in values] + ["", None])
    parsed = parse_amounts(column)
    assert not parsed.bad.any()
    assert parsed.values.iloc[-2:].isna().all()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 234,56", 1234.56),
        ("1.234,56", 1234.56),
        ("1,234.56", 1234.56),
        ("€1,234.56", 1234.56),
        ("12,00 €", 12.0),
        ("EUR 1.234,56", 1234.56),
        ("1234.56 USD", 1234.56),
        ("(3,00)", -3.0),
        ("-12", -12.0),
        ("12-", -12.0),
        ("1'234.50", 1234.5),
        ("R$ 10,50", 10.5),
    ],
)
def test_amount_examples(text, expected):
    assert parse_amounts(pd.Series([text])).values.iloc[0] == pytest.approx(expected)


def test_a_few_odd_cells_do_not_change_how_plain_numbers_read():
    # Mostly plain numbers: only the others go through the general rules, read the same way.
    parsed = parse_amounts(pd.Series(["49.00", "n/a", "1,234.50", "-3", "", "€ 7"]))
    assert parsed.values.tolist()[:4] == [49.0, pytest.approx(np.nan, nan_ok=True), 1234.5, -3.0]
    assert np.isnan(parsed.values.iloc[4]) and parsed.values.iloc[5] == 7.0
    assert parsed.bad.tolist() == [False, True, False, False, False, False]
    # ... unless those others say the decimal is a comma: then "1.234" is a thousand.
    parsed = parse_amounts(pd.Series(["1.234", "12", "5,5"]))
    assert parsed.values.tolist() == [1234.0, 12.0, 5.5]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-1e7, 1e7, allow_nan=False).map(lambda v: f"{v:.2f}"),
            st.integers(-(10**6), 10**6).map(str),
            st.floats(1000, 1e7, allow_nan=False).map(lambda v: f"{v:,.2f}"),
            st.sampled_from(["", "n/a", "€ 12.50", "(4.00)", "abc"]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_column_reading_equals_cell_by_cell_reading_with_a_decimal_point(values):
    """With no comma decimal anywhere, a column reads as its cells read one by one, whether
    the plain cells take the fast path or not."""
    column = parse_amounts(pd.Series(values, dtype="str"))
    for i, v in enumerate(values):
        alone = parse_amounts(pd.Series([v], dtype="str"))
        assert column.bad[i] == alone.bad[0]
        a, b = column.values.iloc[i], alone.values.iloc[0]
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b)


def test_decimal_is_decided_per_column_not_per_row():
    # "1,234" alone would be a thousands comma; next to "12,5" the column says decimal comma.
    assert parse_amounts(pd.Series(["1,234", "12,5"])).values.tolist() == [1.234, 12.5]
    assert parse_amounts(pd.Series(["1,234", "1,500"])).values.tolist() == [1234.0, 1500.0]
    # Two points in one value: points are thousands separators for the whole column.
    assert parse_amounts(pd.Series(["1.234.567", "1.234"])).values.tolist() == [1234567.0, 1234.0]
    assert parse_amounts(pd.Series(["1,5"]), decimal=".").bad.tolist() == [True]


def test_scientific_notation_reads_the_same_whichever_rules_read_the_column():
    # Alone, "1e12" takes the fast path (pyarrow reads it); next to "1,234.50" or in a column
    # with a decimal comma the general rules read it too, so a huge amount is rejected as too
    # large, not as unreadable (issue 11, item 9).
    assert parse_amounts(pd.Series(["1e12"])).values.tolist() == [1e12]
    parsed = parse_amounts(pd.Series(["1e12", "1,234.50", "2.5E+3", "1.5e-3", "-1e3 EUR"]))
    assert parsed.values.tolist() == [1e12, 1234.5, 2500.0, 0.0015, -1000.0]
    assert not parsed.bad.any()
    parsed = parse_amounts(pd.Series(["1,5E+12", "12,50", "(2e3)"]))
    assert parsed.values.tolist() == [1.5e12, 12.5, -2000.0] and not parsed.bad.any()
    # Not numbers: a lone exponent, an exponent without digits, beyond float range.
    assert parse_amounts(pd.Series(["e12", "1e", "1e400", "1,2"])).bad.tolist() == [
        True, True, True, False]


def test_bad_amounts_are_flagged_not_dropped():
    parsed = parse_amounts(pd.Series(["12", "abc", "inf", "", "1,2,3.4.5"]))
    assert parsed.bad.tolist() == [False, True, True, False, True]
    numeric = parse_amounts(pd.Series([1.0, np.inf, np.nan]))
    assert numeric.bad.tolist() == [False, True, False]


# ----------------------------------------------------------------------------------------------
# Dates
# ----------------------------------------------------------------------------------------------

dates = st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2060, 12, 31)), min_size=1, max_size=25)


def _as_days(values: pd.Series) -> list:
    return [None if pd.isna(v) else v.date() for v in values]


@SETTINGS
@given(dates, st.sampled_from(["/", ".", "-"]))
def test_day_first_columns_read_exactly(values, sep):
    column = pd.Series([d.strftime(f"%d{sep}%m{sep}%Y") for d in values])
    parsed = parse_dates(column)
    assert not parsed.bad.any()
    assert _as_days(parsed.values) == values
    assert parsed.convention.startswith("DD/MM/YYYY")
    assert ("assumed" in parsed.convention) == all(d.day <= 12 for d in values)


@SETTINGS
@given(dates)
def test_month_first_is_detected_from_the_column(values):
    column = pd.Series([d.strftime("%m/%d/%Y") for d in values])
    if any(d.day > 12 for d in values):
        parsed = parse_dates(column)  # the column tells: no help needed
        assert parsed.convention.startswith("MM/DD/YYYY")
    else:
        parsed = parse_dates(column, dayfirst=False)  # it never tells: the caller decides
    assert _as_days(parsed.values) == values


def test_a_column_saying_both_conventions_rejects_the_contradicting_rows():
    parsed = parse_dates(pd.Series(["31/01/2024", "01/13/2024", "02/03/2024"]))
    assert parsed.bad.tolist() == [False, True, False]
    assert _as_days(parsed.values)[2] == dt.date(2024, 3, 2)  # day-first, never guessed per row


@SETTINGS
@given(dates, st.booleans())
def test_excel_serials(values, as_text):
    serials = [(d - dt.date(1899, 12, 30)).days for d in values]
    column = pd.Series([str(s) for s in serials] if as_text else serials)
    parsed = parse_dates(column)
    assert _as_days(parsed.values) == values
    assert parsed.convention == "Excel serial dates"


@SETTINGS
@given(
    st.lists(
        st.datetimes(dt.datetime(1975, 1, 1), dt.datetime(2200, 12, 31)), min_size=1, max_size=25
    ),
    st.sampled_from([1, 1000]),
)
def test_unix_timestamps_in_seconds_and_milliseconds(values, per_second):
    epoch = dt.datetime(1970, 1, 1)
    stamps = [int((v - epoch).total_seconds()) * per_second for v in values]
    parsed = parse_dates(pd.Series(stamps))
    assert _as_days(parsed.values) == [v.date() for v in values]
    assert parsed.convention == (
        "Unix timestamps (ms)" if per_second == 1000 else "Unix timestamps (s)"
    )


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2999, 12, 31)),
            st.sampled_from(["", "Z", "+00:00", "-05:00", "+05:30", " UTC"]),
            st.sampled_from(["T", " "]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_iso_with_times_and_offsets_keeps_the_day_written(values):
    column = pd.Series([v.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + off for v, off, sep in values])
    parsed = parse_dates(column)
    assert not parsed.bad.any()
    assert _as_days(parsed.values) == [v.date() for v, _, _ in values]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-01-31", dt.date(2024, 1, 31)),
        ("2024-1-5", dt.date(2024, 1, 5)),
        ("2024/02/29", dt.date(2024, 2, 29)),
        ("2024-02-29T23:59:59.999+14:00", dt.date(2024, 2, 29)),
        ("9999-12-31", dt.date(9999, 12, 31)),
    ],
)
def test_iso_examples(text, expected):
    assert _as_days(parse_dates(pd.Series([text])).values) == [expected]


def test_impossible_dates_are_bad_not_rolled_over():
    parsed = parse_dates(pd.Series(["2023-02-29", "2024-04-31", "31/02/2024", "2024-13-01"]))
    assert parsed.bad.all()


def test_other_date_shapes():
    assert _as_days(parse_dates(pd.Series([20240131, 20231201])).values) == [
        dt.date(2024, 1, 31),
        dt.date(2023, 12, 1),
    ]
    assert _as_days(parse_dates(pd.Series(["15 Jan 2024", "Feb 3, 2024"])).values) == [
        dt.date(2024, 1, 15),
        dt.date(2024, 2, 3),
    ]
    assert _as_days(parse_dates(pd.Series(["31/01/24", "01/02/99"])).values) == [
        dt.date(2024, 1, 31),
        dt.date(1999, 2, 1),
    ]
    tz = pd.Series(pd.to_datetime(["2024-01-31 23:00"]).tz_localize("Europe/Paris"))
    assert _as_days(parse_dates(tz).values) == [dt.date(2024, 1, 31)]
    assert parse_dates(pd.Series(["", None])).bad.tolist() == [False, False]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("15 janvier 2024", dt.date(2024, 1, 15)),
        ("1er février 2024", dt.date(2024, 2, 1)),
        ("lundi 15 janvier 2024", dt.date(2024, 1, 15)),
        ("3 déc. 2024", dt.date(2024, 12, 3)),
        ("15-janv.-2024", dt.date(2024, 1, 15)),
        ("15 gennaio 2024", dt.date(2024, 1, 15)),
        ("venerdì 31 maggio 2024", dt.date(2024, 5, 31)),
        ("1 set 2024", dt.date(2024, 9, 1)),
        ("Monday, January 15, 2024", dt.date(2024, 1, 15)),
        ("Dec 31 2023 11:59PM", dt.date(2023, 12, 31)),
        ("15 Jan 2024 10:00 PST", dt.date(2024, 1, 15)),
        ("2024-03", dt.date(2024, 3, 1)),
        ("03/2024", dt.date(2024, 3, 1)),
    ],
)
def test_dates_with_month_names_in_english_french_italian(text, expected):
    parsed = parse_dates(pd.Series([text]))
    assert _as_days(parsed.values) == [expected]
    assert not parsed.bad.any()


@pytest.mark.parametrize(
    "text", ["now", "today", "tomorrow", "12:30", "00:00:00.000001", "Q1 2024", "Jan 15", "2024"]
)
def test_words_and_times_are_no_dates(text):
    # pandas alone would read "now" or "12:30" as today: a date the file never gave.
    assert parse_dates(pd.Series([text])).bad.tolist() == [True]


def test_small_numbers_are_no_excel_serials():
    # Years, counts and codes in a date column fail instead of becoming dates around 1900-1927.
    parsed = parse_dates(pd.Series([2024, 5, 9999, 45292]))
    assert parsed.bad.tolist() == [True, True, True, False]
    assert _as_days(parsed.values)[3] == dt.date(2024, 1, 1)


def test_dates_are_midnight_seconds():
    parsed = parse_dates(pd.Series(["2024-01-31 10:15"]))
    assert parsed.values.dtype == "datetime64[s]"
    assert parsed.values.iloc[0] == pd.Timestamp("2024-01-31")


# ----------------------------------------------------------------------------------------------
# Intervals
# ----------------------------------------------------------------------------------------------


def test_intervals_normalise_to_months():
    words = [
        "month",
        "Monthly",
        "year",
        "annual",
        "quarter",
        "week",
        "day",
        "mensuel",
        "annuale",
        "trimestriel",
        "3 months",
        "every 2 weeks",
        "6",
        "Bimestrale",
        "semestriel",
    ]
    months = parse_intervals(pd.Series(words)).values.to_numpy()
    expected = [1, 1, 12, 12, 3, 12 / 52, 12 / 365, 1, 12, 3, 3, 24 / 52, 6, 2, 6]
    np.testing.assert_allclose(months, expected)
    # mrr = amount / months gives Stripe's normalisation: weekly x 52/12, daily x 365/12.
    assert 10 / months[5] == pytest.approx(10 * 52 / 12)
    assert 1 / months[6] == pytest.approx(365 / 12)


def test_interval_counts_and_bad_intervals():
    parsed = parse_intervals(
        pd.Series(["month", "year", "fortnightish", "month", ""]),
        count=pd.Series(["3", "", "1", "0", "1"]),
    )
    assert parsed.values.iloc[:2].tolist() == [3.0, 12.0]
    assert parsed.bad.tolist() == [False, False, True, True, False]


@pytest.mark.parametrize(
    ("count", "bad"),
    [
        ("1", False), ("12", False), ("", False), ("2.0", False), (3, False),
        ("0", True), ("-1", True), ("1.5", True), ("0.5", True), ("two", True), (-1, True),
    ],
)
def test_an_interval_count_is_a_whole_number_of_1_or_more(count, bad):
    # Stripe's interval_count is a positive integer (a price billed every 0 or -1 months is
    # no price); numbers in a spreadsheet come as numbers, in a CSV as text.
    col = pd.Series([count], dtype="float64" if isinstance(count, int) else object)
    assert bad_interval_counts(col).tolist() == [bad]
    parsed = parse_intervals(pd.Series(["month"]), count=col)
    assert parsed.bad.tolist() == [bad]
    assert np.isnan(parsed.values.iloc[0]) == bad


# ----------------------------------------------------------------------------------------------
# The dates a reader takes
# ----------------------------------------------------------------------------------------------


def test_the_date_window_defaults_to_1990_and_ten_years_ahead():
    w = date_window("2026-12-06", environ={})
    assert (w.first, w.last) == (pd.Timestamp("1990-01-01"), pd.Timestamp("2036-12-06"))
    # Empty settings are the defaults; a time of day is dropped.
    empty = {"MRRKIT_MIN_DATE": " ", "MRRKIT_MAX_YEARS_AHEAD": ""}
    assert date_window(pd.Timestamp("2026-12-06 17:30"), environ=empty) == w


def test_the_date_window_reads_its_settings_when_asked(monkeypatch):
    monkeypatch.setenv("MRRKIT_MIN_DATE", "2015-06-01")
    monkeypatch.setenv("MRRKIT_MAX_YEARS_AHEAD", "2")
    w = date_window("2024-02-29")
    assert (w.first, w.last) == (pd.Timestamp("2015-06-01"), pd.Timestamp("2026-02-28"))
    monkeypatch.setenv("MRRKIT_MAX_YEARS_AHEAD", "0")  # nothing after today
    assert date_window("2024-02-29").last == pd.Timestamp("2024-02-29")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MRRKIT_MIN_DATE": "last year"}, "MRRKIT_MIN_DATE must be a date"),
        ({"MRRKIT_MAX_YEARS_AHEAD": "ten"}, "MRRKIT_MAX_YEARS_AHEAD must be a whole number"),
        ({"MRRKIT_MAX_YEARS_AHEAD": "-1"}, "MRRKIT_MAX_YEARS_AHEAD must be a whole number"),
        ({"MRRKIT_MIN_DATE": "2030-01-01", "MRRKIT_MAX_YEARS_AHEAD": "1"}, "is after the latest"),
    ],
)
def test_a_wrong_date_window_setting_says_which(settings, message):
    with pytest.raises(ValueError, match=message):
        date_window("2026-12-06", environ=settings)
    with pytest.raises(ValueError, match="today must be a date"):
        date_window(None, environ={})


def test_outside_the_window_both_bounds_included():
    w = DateWindow(pd.Timestamp("1990-01-01"), pd.Timestamp("2036-12-06"))
    days = pd.Series(
        ["1989-12-31", "1990-01-01", "2036-12-06", "2036-12-07", None, "9999-12-31", "1678-01-01"]
    ).astype("datetime64[s]")
    before, after = w.outside(days)
    assert before.tolist() == [True, False, False, False, False, False, True]
    assert after.tolist() == [False, False, False, True, False, True, False]
