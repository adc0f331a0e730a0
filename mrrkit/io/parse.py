"""Reading people's numbers, dates and billing intervals as billing exports and Excel write them.

Each parser works on a whole column and decides the column's convention once (decimal comma or
point; day-first or month-first dates; Excel serials or Unix timestamps), never row by row, so two
rows of one column can never be read two different ways. Values it cannot read are reported in a
boolean mask so the caller can reject those rows with a reason instead of dropping them.

Plain columns (``33.00``, ``2024-01-31 10:00``) take a fast path through pyarrow's compute
kernels; the general text rules only run when that fails, so a million-row export stays cheap.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DATE_CONVENTIONS",
    "DateWindow",
    "ParsedColumn",
    "bad_interval_counts",
    "date_window",
    "parse_amounts",
    "parse_dates",
    "parse_intervals",
]

#: Every ``convention`` :func:`parse_dates` can give (how the import report says a date column
#: was read; the tests hold :func:`parse_dates` to this list).
DATE_CONVENTIONS = (
    "ISO dates (YYYY-MM-DD)",
    "dates",
    "empty",
    "DD/MM/YYYY",
    "MM/DD/YYYY",
    "DD/MM/YYYY (assumed: no day above 12 tells)",
    "DD/MM/YYYY (as asked)",
    "MM/DD/YYYY (as asked)",
    "DD/MM/YYYY (some rows say month-first: rejected)",
    "dates with month names",
    "months (the 1st of each)",
    "no date format recognised",
    "Unix timestamps (ms)",
    "Unix timestamps (s)",
    "YYYYMMDD numbers",
    "Excel serial dates",
)

# Non-breaking, narrow non-breaking and thin spaces are French Excel's thousands separators;
# the apostrophe is the Swiss one.
_SPACES = "[\\s\u00a0\u202f\u2009'’]"
_CURRENCY = r"(?:[A-Za-z]{3}|[$€£¥₹]|R\$|kr|Fr\.?)"

# Excel counts days from 1899-12-30 (its calendar has a 29 February 1900 that never was).
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_EXCEL_MAX = 2_958_465  # 9999-12-31
# Below this a whole number is a count, a year or a code, not a day: 10,000 is 18 May 1927.
_EXCEL_MIN = 10_000


@dataclass(frozen=True)
class ParsedColumn:
    """Parsed values, which rows failed, and how the column was read (for the report).

    Attributes
    ----------
    values : Series
        float64 for amounts and intervals, ``datetime64[s]`` (midnight) for dates; NaN/NaT where
        empty or unreadable. Same index as the input.
    bad : ndarray of bool
        True where a non-empty cell could not be read.
    convention : str
        How the column was read, e.g. ``"decimal ','"`` or ``"DD/MM/YYYY"``.
    """

    values: pd.Series
    bad: np.ndarray
    convention: str


def _is_number_dtype(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _text(col: pd.Series) -> pd.Series:
    """The column as stripped text (``str`` dtype); missing stays missing."""
    if not pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        col = col.astype("str")
    return col.str.strip()


def _empty(text: pd.Series) -> np.ndarray:
    return (text.isna() | (text == "")).to_numpy(dtype=bool)


def _arrow(text: pd.Series) -> pa.Array:
    # No type asked: pandas strings are already Arrow large_string, handed over without a copy.
    return pa.array(text, from_pandas=True)


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    """Rows matching a regular expression (RE2 syntax), missing -> False, in pyarrow's C++."""
    hit = pc.match_substring_regex(arr, pattern)
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False).astype(bool)


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------


def parse_amounts(col: pd.Series, decimal: str | None = None) -> ParsedColumn:
    """Read money amounts such as ``1 234,56``, ``1.234,56``, ``1,234.56``, ``€1,234.56``,
    ``-12``, ``(12.00)``, ``12,00 €`` or ``12.00 EUR``.

    Parameters
    ----------
    col : Series
        Numbers or text. Empty cells give NaN (not a failure).
    decimal : {",", "."}, optional
        The decimal separator. By default it is decided once for the whole column: the separator
        that comes last in values holding both; else a comma is decimal when some value has two
        points (``1.234.567``) or a comma followed by one, two or more than three digits; a point
        is decimal when some value has two commas. A column of ``1,234``-like values only is read
        with a decimal point (thousands commas), as is a column of ``1.234``-like values only.

    Returns
    -------
    ParsedColumn

    Examples
    --------
    >>> import pandas as pd
    >>> parse_amounts(pd.Series(["1 234,56", "€ 12,5", "(3,00)"])).values.tolist()
    [1234.56, 12.5, -3.0]
    >>> parse_amounts(pd.Series(["$1,234.56", "99", "abc"])).bad.tolist()
    [False, False, True]
    """
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be ',' or '.', got {decimal!r}")
    if _is_number_dtype(col.dtype):
        values = col.astype("float64")
        v = values.to_numpy()
        return ParsedColumn(values, ~np.isfinite(v) & ~np.isnan(v), "numbers")
    text = _text(col)
    empty = _empty(text)
    if decimal != ",":
        fast = _fast_floats(text)
        if fast is not None:
            return ParsedColumn(
                pd.Series(fast, index=col.index), np.zeros(len(col), bool), "decimal '.'"
            )
        # Mostly plain numbers and a few others ("n/a", "1,234.50"): the general rules only on
        # the others. Plain cells (no comma, at most one point) never sway the column's decimal
        # separator, so the column is still read one way.
        plain = _matches(_arrow(text), _PLAIN_NUMBER) & ~empty
        if plain.any():
            rest = ~plain
            values, bad, found = _general_amounts(text[rest], empty[rest], decimal)
            if found == ".":
                out = np.full(len(text), np.nan)
                out[plain] = pc.cast(_arrow(text[plain]), pa.float64()).to_numpy(
                    zero_copy_only=False
                )
                out[rest] = values.to_numpy()
                all_bad = np.zeros(len(text), bool)
                all_bad[rest] = bad
                return ParsedColumn(pd.Series(out, index=col.index), all_bad, "decimal '.'")
    values, bad, decimal = _general_amounts(text, empty, decimal)
    return ParsedColumn(values, bad, f"decimal '{decimal}'")


_PLAIN_NUMBER = r"^-?(?:\d+(?:\.\d*)?|\.\d+)$"
#: An exponent after a number's digits (``e12``, ``E+06``, ``e-3``).
_EXPONENT = r"(?<=[\d.,])[eE][+-]?\d{1,3}"


def _general_amounts(text: pd.Series, empty: np.ndarray, decimal: str | None):
    """Values, failures and the decimal separator, by the general rules (separators, signs,
    currency symbols, parentheses)."""
    s = text.str.replace(_SPACES, "", regex=True)
    # A minus anywhere makes the amount negative, but not an exponent's ("1.5e-3").
    signs = s.str.replace(_EXPONENT, "", regex=True)
    negative = (s.str.match(r"^\(.*\)$") | signs.str.contains("-", regex=False)).fillna(False)
    s = s.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    # Currency signs or codes before or after the number, with the minus on either side.
    s = s.str.replace(f"^-?{_CURRENCY}?-?|-?{_CURRENCY}?-?$", "", regex=True)
    if decimal is None:
        decimal = _decimal_of(s[~empty])
    thousands = "." if decimal == "," else ","
    # Thousands separators must group by three (1.234.567): "1,5" is no number under a decimal point.
    t, d = re.escape(thousands), re.escape(decimal)
    # Scientific notation (``1e12``, ``1,5E+6`` with a decimal comma) reads as its number, as
    # the plain-number fast path reads it: a huge amount is then rejected as too large
    # (``MAX_MRR``), not as unreadable.
    number = rf"(?:\d{{1,3}}(?:{t}\d{{3}})+|\d+)(?:{d}\d*)?|{d}\d+"
    shaped = (
        s.str.fullmatch(rf"(?:{number})(?:{_EXPONENT})?")
        .fillna(False)
        .astype(bool)
    )
    s = s.str.replace(thousands, "", regex=False)
    if decimal == ",":
        s = s.str.replace(",", ".", regex=False)
    values = pd.to_numeric(s.where(shaped), errors="coerce").astype("float64")
    # Beyond float range ("1e400") a number is infinite: unreadable, like "inf".
    values = values.where(np.isfinite(values))
    values = values.where(~negative.astype(bool), -values)
    bad = values.isna().to_numpy() & ~empty
    return values, bad, decimal


def _fast_floats(text: pd.Series) -> np.ndarray | None:
    """Plain ``123.45`` text straight through pyarrow's cast; None when any value needs the
    general rules (separators, symbols, spaces)."""
    arr = pa.array(text.where(text != ""), from_pandas=True)
    if pc.any(pc.match_substring(arr, ",")).as_py():
        return None
    try:
        out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not np.isfinite(out[~np.isnan(out)]).all():  # "inf" is not an amount
        return None
    if np.isnan(out).sum() != arr.null_count:  # "nan" written in a cell is not one either
        return None
    return out.astype("float64")


def _decimal_of(s: pd.Series) -> str:
    if not len(s):
        return "."
    has_comma = s.str.contains(",", regex=False).fillna(False).astype(bool)
    has_point = s.str.contains(".", regex=False).fillna(False).astype(bool)
    both = s[has_comma & has_point]
    if len(both):
        return "," if (both.str.rfind(",") > both.str.rfind(".")).mean() >= 0.5 else "."
    if s.str.count(r"\.").gt(1).any():
        return ","
    if s.str.count(",").gt(1).any():
        return "."
    commas = s[has_comma]
    if len(commas) and commas.str.contains(r",(?:\d{1,2}|\d{4,})$", regex=True).fillna(False).any():
        return ","
    return "."


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_ISO_LIKE = r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:$|[T\s])"
_ISO_PARTS = r"^\s*(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:$|[T\s])"
_SLASHED = r"^\s*(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{2}|\d{4})(?:$|[T\s,])"
_SLASHED_LIKE = r"^\s*\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})(?:$|[T\s,])"


def parse_dates(col: pd.Series, dayfirst: bool | None = None) -> ParsedColumn:
    """Read dates: ISO (``2024-01-31``, with or without a time, ``T`` or space, ``Z`` or an
    offset; also ``2024/01/31``), ``DD/MM/YYYY`` or ``MM/DD/YYYY`` (also with ``.`` or ``-`` and
    two-digit years), month names (``15 Jan 2024``), Excel serial numbers, ``YYYYMMDD`` numbers and
    Unix timestamps (seconds or milliseconds).

    Times of day are dropped: a subscription line runs over whole days. A timestamp with an offset
    keeps the calendar day it was written with (``2024-01-31T23:30:00-05:00`` is the 31st).

    Day-first is decided for the whole column: a first part above 12 anywhere means day-first, a
    second part above 12 anywhere means month-first; if the column never tells, ``dayfirst``
    decides (default: day-first, the European convention of the spreadsheets we read, reported
    as an assumption in ``convention``); a column that says both is read day-first and the rows
    contradicting it fail.

    Parameters
    ----------
    col : Series
        Text, numbers or datetimes.
    dayfirst : bool, optional
        Convention for a column whose values never tell.

    Returns
    -------
    ParsedColumn
        ``values`` are ``datetime64[s]`` at midnight.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_dates(pd.Series(["31/01/2024", "01/02/2024"])).values.dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-31', '2024-02-01']
    >>> parse_dates(pd.Series([45292, 45323])).values.dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-01', '2024-02-01']
    >>> parse_dates(pd.Series(["2024-01-15T10:00:00Z", "nonsense"])).bad.tolist()
    [False, True]
    """
    n = len(col)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        values = col.dt.tz_localize(None) if isinstance(col.dtype, pd.DatetimeTZDtype) else col
        values = values.dt.floor("D").astype("datetime64[s]")
        return ParsedColumn(values, np.zeros(n, bool), "dates")
    if _is_number_dtype(col.dtype):
        return _numeric_dates(col.astype("float64"))
    text = _text(col)
    empty = _empty(text)
    filled = int((~empty).sum())
    if not filled:
        return ParsedColumn(_nat(col.index), np.zeros(n, bool), "empty")
    if filled < 0.9 * n:  # a mostly empty column (trial ends, cancel dates): parse the filled cells
        sub = parse_dates(text[~empty], dayfirst)
        values = _nat(col.index)
        values[~empty] = sub.values.to_numpy()
        bad = np.zeros(n, bool)
        bad[~empty] = sub.bad
        return ParsedColumn(values, bad, sub.convention)
    arr = _arrow(text)
    fast = _iso_fast(arr)
    if (~np.isnat(fast)).sum() >= 0.5 * filled:  # mostly plain YYYY-MM-DD[...]: no regex pass
        return _iso_dates(text, arr, fast, empty)
    if _matches(arr, r"^\d+(?:\.\d+)?$")[~empty].all():
        return _numeric_dates(pd.to_numeric(text.where(~empty), errors="coerce"))
    if _matches(arr, _ISO_LIKE).sum() >= 0.5 * filled:
        return _iso_dates(text, arr, fast, empty)
    if _matches(arr, _SLASHED_LIKE).sum() >= 0.5 * filled:
        return _slashed_dates(text, empty, dayfirst)
    return _worded_dates(text, empty)


# French and Italian month names and their usual abbreviations, as English ones pandas reads.
_FOREIGN_MONTHS = {
    **dict.fromkeys(["janvier", "janv", "gennaio", "gen"], "jan"),
    **dict.fromkeys(["fevrier", "fevr", "fev", "febbraio"], "feb"),
    **dict.fromkeys(["mars", "marzo"], "mar"),
    **dict.fromkeys(["avril", "avr", "aprile"], "apr"),
    **dict.fromkeys(["mai", "maggio", "mag"], "may"),
    **dict.fromkeys(["juin", "giugno", "giu"], "jun"),
    **dict.fromkeys(["juillet", "juil", "luglio", "lug"], "jul"),
    **dict.fromkeys(["aout", "agosto", "ago"], "aug"),
    **dict.fromkeys(["septembre", "sept", "settembre", "set"], "sep"),
    **dict.fromkeys(["octobre", "ottobre", "ott"], "oct"),
    **dict.fromkeys(["novembre"], "nov"),
    **dict.fromkeys(["decembre", "dicembre", "dic"], "dec"),
}
_WEEKDAYS = (
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    "lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica"
)
_ENGLISH_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"


def _worded_dates(text: pd.Series, empty: np.ndarray) -> ParsedColumn:
    """Dates written with a month name and a four-digit year (``15 Jan 2024``, ``Jan 15, 2024``,
    ``15 janvier 2024``, ``1er février 2024``, ``15 gennaio 2024``), or a month alone
    (``2024-01``, ``01/2024``: the first of the month). A month name leaves no day-first question,
    so each value may be read on its own; anything else (``now``, ``12:30``, ``Q1 2024``) fails
    rather than being guessed."""
    codes, uniques = pd.factorize(text.where(~empty))  # distinct values only
    u = pd.Series(uniques, dtype="str")
    norm = u.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").str.lower()
    norm = norm.str.replace(rf"\b(?:{_WEEKDAYS})\b,?", " ", regex=True)
    norm = norm.str.replace(r"\b1er\b", "1", regex=True).str.replace(".", " ", regex=False)
    words = "|".join(sorted(_FOREIGN_MONTHS, key=len, reverse=True))
    norm = norm.str.replace(rf"\b({words})\b", lambda m: _FOREIGN_MONTHS[m.group(1)], regex=True)
    year = r"(?<!\d)\d{4}(?!\d)"
    # Keep the date part: whatever follows the year (a time, a zone) is not needed.
    named = norm.str.extract(rf"^(.*?\b{_ENGLISH_MONTH}\b.*?{year})")[0]
    parsed = pd.to_datetime(named, format="mixed", dayfirst=True, errors="coerce")
    month_only = norm.str.extract(
        r"^\s*(?:(?P<y1>\d{4})[-/.](?P<m1>\d{1,2})|(?P<m2>\d{1,2})[-/.](?P<y2>\d{4}))\s*$"
    )
    first = _from_parts(
        pd.to_numeric(month_only["y1"].fillna(month_only["y2"])),
        pd.to_numeric(month_only["m1"].fillna(month_only["m2"])),
        np.ones(len(u)),
        u.index,
    )
    table = _midnight(parsed).to_numpy()
    table = np.where(np.isnat(table), first.to_numpy(), table)
    out = np.full(len(text), np.datetime64("NaT"), "datetime64[s]")
    found = codes >= 0
    out[found] = table[codes[found]]
    values = pd.Series(out, index=text.index)
    if (~np.isnat(_midnight(parsed).to_numpy())).any():
        kind = "dates with month names"
    elif first.notna().any():
        kind = "months (the 1st of each)"
    else:
        kind = "no date format recognised"
    return ParsedColumn(values, values.isna().to_numpy() & ~empty, kind)


def _nat(index) -> pd.Series:
    return pd.Series(np.full(len(index), np.datetime64("NaT"), "datetime64[s]"), index=index)


def _midnight(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.dt.floor("D").astype("datetime64[s]")


def _from_parts(year, month, day, index) -> pd.Series:
    """Vectorised date from integer parts; impossible dates (31 February) become NaT."""
    y = np.asarray(year, dtype="float64")
    m = np.asarray(month, dtype="float64")
    d = np.asarray(day, dtype="float64")
    ok = (
        np.isfinite(y)
        & np.isfinite(m)
        & np.isfinite(d)
        & (m >= 1)
        & (m <= 12)
        & (d >= 1)
        & (y >= 1)
    )
    ok &= y <= 9999
    out = np.full(len(y), np.datetime64("NaT"), "datetime64[D]")
    if ok.any():
        months = (y[ok].astype(np.int64) - 1970) * 12 + m[ok].astype(np.int64) - 1
        first = months.astype("datetime64[M]").astype("datetime64[D]")
        next_first = (months + 1).astype("datetime64[M]").astype("datetime64[D]")
        date = first + (d[ok].astype(np.int64) - 1)
        valid = date < next_first
        res = np.where(valid, date, np.datetime64("NaT"))
        out[ok] = res
    return pd.Series(out.astype("datetime64[s]"), index=index)


def _iso_fast(arr: pa.Array) -> np.ndarray:
    """``YYYY-MM-DD`` at the start of each value, followed by nothing, ``T`` or a space (the day
    as written, whatever the time zone), as ``datetime64[s]``; NaT where the value is not so."""
    head = pc.utf8_slice_codeunits(arr, 0, 10)
    date = pc.strptime(head, format="%Y-%m-%d", unit="s", error_is_null=True)
    tail_ok = pc.fill_null(
        pc.is_in(pc.utf8_slice_codeunits(arr, 10, 11), value_set=_ISO_TAILS), False
    )
    date = pc.if_else(tail_ok, date, None)
    out = date.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    # strptime rolls 2023-02-29 over to 1 March: the few dates landing on days 1-3 are checked
    # against the day written.
    days = pc.fill_null(pc.day(date), 99).to_numpy(zero_copy_only=False)
    suspect = np.flatnonzero(days <= 3)
    if len(suspect):
        parts = pc.extract_regex(head.take(pa.array(suspect)), r"^\d{4}-\d{1,2}-(?P<d>\d{1,2})")
        written = pc.cast(pc.struct_field(parts, [0]), pa.int64()).to_numpy(zero_copy_only=False)
        out[suspect[~(written == days[suspect])]] = np.datetime64("NaT")
    return out


_ISO_TAILS = pa.array(["", "T", " "])


def _iso_dates(text: pd.Series, arr: pa.Array, fast: np.ndarray, empty: np.ndarray) -> ParsedColumn:
    values = pd.Series(fast, index=text.index)
    missing = values.isna().to_numpy() & ~empty
    if missing.any():  # 2024-1-5, 2024/01/31, 2024.01.31, an impossible day, or not a date
        rest = text[missing]
        parts = rest.str.extract(_ISO_PARTS)
        values[missing] = _from_parts(
            pd.to_numeric(parts["y"]),
            pd.to_numeric(parts["m"]),
            pd.to_numeric(parts["d"]),
            parts.index,
        ).to_numpy()
    return ParsedColumn(values, values.isna().to_numpy() & ~empty, "ISO dates (YYYY-MM-DD)")


def _slashed_dates(text: pd.Series, empty: np.ndarray, dayfirst: bool | None) -> ParsedColumn:
    parts = text.str.extract(_SLASHED)
    a = pd.to_numeric(parts["a"], errors="coerce").to_numpy(dtype="float64")
    b = pd.to_numeric(parts["b"], errors="coerce").to_numpy(dtype="float64")
    year = pd.to_numeric(parts["y"], errors="coerce").to_numpy(dtype="float64")
    short = parts["y"].str.len().to_numpy(dtype="float64") == 2
    # Two-digit years as spreadsheets read them: 00-69 -> 2000s, 70-99 -> 1900s.
    year = np.where(short, np.where(year < 70, year + 2000, year + 1900), year)
    says_dayfirst = bool(np.nanmax(a, initial=0) > 12)
    says_monthfirst = bool(np.nanmax(b, initial=0) > 12)
    if says_dayfirst:
        first = True
    elif says_monthfirst:
        first = False
    else:
        first = True if dayfirst is None else bool(dayfirst)
    day, month = (a, b) if first else (b, a)
    values = _from_parts(year, month, day, text.index)
    convention = "DD/MM/YYYY" if first else "MM/DD/YYYY"
    if not says_dayfirst and not says_monthfirst:
        convention += " (assumed: no day above 12 tells)" if dayfirst is None else " (as asked)"
    elif says_dayfirst and says_monthfirst:
        convention += " (some rows say month-first: rejected)"
    return ParsedColumn(values, values.isna().to_numpy() & ~empty, convention)


def _numeric_dates(num: pd.Series) -> ParsedColumn:
    v = num.to_numpy(dtype="float64", na_value=np.nan)
    empty = np.isnan(v)
    finite = v[np.isfinite(v)]
    index = num.index
    if len(finite) and ((finite >= 1e11) & (finite < 1e13)).all():
        out = _unix(v, 1000)
        kind = "Unix timestamps (ms)"
    elif len(finite) and ((finite >= 1e8) & (finite < 1e10)).all():
        out = _unix(v, 1)
        kind = "Unix timestamps (s)"
    elif (
        len(finite)
        and ((finite >= 1_000_01_01) & (finite <= 9999_12_31)).all()
        and (finite == np.floor(finite)).all()
    ):
        y, rest = np.divmod(v, 10000)
        m, d = np.divmod(rest, 100)
        values = _from_parts(y, m, d, index)
        return ParsedColumn(values, _bad_dates(values, empty), "YYYYMMDD numbers")
    else:
        serial = np.where((v >= _EXCEL_MIN) & (v <= _EXCEL_MAX), np.floor(v), np.nan)
        ok = np.isfinite(serial)
        out = np.full(len(v), np.datetime64("NaT"), "datetime64[D]")
        out[ok] = _EXCEL_EPOCH + serial[ok].astype(np.int64)
        kind = "Excel serial dates"
    values = pd.Series(out.astype("datetime64[s]"), index=index)
    return ParsedColumn(values, _bad_dates(values, empty), kind)


def _unix(v: np.ndarray, per_second: int) -> np.ndarray:
    ok = np.isfinite(v)
    out = np.full(len(v), np.datetime64("NaT"), "datetime64[D]")
    out[ok] = (np.floor(v[ok] / per_second / 86400)).astype(np.int64).astype("datetime64[D]")
    return out


def _bad_dates(values: pd.Series, empty: np.ndarray) -> np.ndarray:
    return values.isna().to_numpy() & ~empty


# --------------------------------------------------------------------------------------------
# The dates a reader takes
# --------------------------------------------------------------------------------------------

#: Environment variable: the earliest date a reader takes (``YYYY-MM-DD``, default 1990-01-01).
MIN_DATE_ENV = "MRRKIT_MIN_DATE"
#: Environment variable: how many years after today the latest date a reader takes is (a whole
#: number, default 10).
MAX_YEARS_AHEAD_ENV = "MRRKIT_MAX_YEARS_AHEAD"
_DEFAULT_MIN_DATE = "1990-01-01"
_DEFAULT_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DateWindow:
    """The dates a reader takes, ``first`` and ``last`` included (midnight timestamps).

    A billing export's date outside it is a typo or a placeholder (``9999-01-01``, ``1678``,
    ``0001-01-01``): kept, one such line would stretch every monthly table and cohort grid over
    thousands of months. :func:`mrrkit.read_export` rejects a row whose start is outside, and
    reads an end after ``last`` as no end (``9999-12-31``, ``2099-01-01``... stand for "never").
    """

    first: pd.Timestamp
    last: pd.Timestamp

    def outside(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Rows of a ``datetime64`` column before ``first`` and after ``last`` (missing: neither).

        >>> w = DateWindow(pd.Timestamp("1990-01-01"), pd.Timestamp("2036-06-30"))
        >>> days = pd.Series(pd.to_datetime(["1989-12-31", "2024-01-01", None]))
        >>> [m.tolist() for m in w.outside(days)]
        [[True, False, False], [False, False, False]]
        """
        days = np.asarray(values.to_numpy()).astype("datetime64[D]")
        first = np.datetime64(self.first.date(), "D")
        last = np.datetime64(self.last.date(), "D")
        known = ~np.isnat(days)
        return known & (days < first), known & (days > last)


def date_window(today, environ=None) -> DateWindow:
    """The dates the readers take, from :data:`MIN_DATE_ENV` (``MRRKIT_MIN_DATE``, default
    ``1990-01-01``) to :data:`MAX_YEARS_AHEAD_ENV` (``MRRKIT_MAX_YEARS_AHEAD``, default 10)
    years after ``today``, both read when called (not at import).

    Parameters
    ----------
    today : date-like
        The current day, given by the caller (:func:`mrrkit.read_export` reads the clock once
        when not told): the same file read with the same ``today`` gives the same lines.
    environ : mapping, optional
        Where the two settings are read; default ``os.environ``. An empty value is the default.

    Raises
    ------
    ValueError
        A setting that is no date or no whole number, or a window that ends before it starts.

    Examples
    --------
    >>> w = date_window("2026-02-28", environ={})
    >>> str(w.first.date()), str(w.last.date())
    ('1990-01-01', '2036-02-28')
    >>> settings = {"MRRKIT_MIN_DATE": "2000-01-01", "MRRKIT_MAX_YEARS_AHEAD": "1"}
    >>> w = date_window("2024-02-29", settings)
    >>> str(w.first.date()), str(w.last.date())
    ('2000-01-01', '2025-02-28')
    """
    environ = os.environ if environ is None else environ
    day = pd.Timestamp(today)
    if day is pd.NaT:
        raise ValueError("today must be a date, got a missing value")
    day = day.normalize()
    written = str(environ.get(MIN_DATE_ENV, "") or "").strip() or _DEFAULT_MIN_DATE
    try:
        first = pd.Timestamp(written)
        if first is pd.NaT:
            raise ValueError
    except (ValueError, TypeError, OverflowError):
        raise ValueError(
            f"{MIN_DATE_ENV} must be a date such as {_DEFAULT_MIN_DATE}, got {written!r}"
        ) from None
    years = str(environ.get(MAX_YEARS_AHEAD_ENV, "") or "").strip() or str(_DEFAULT_YEARS_AHEAD)
    if not re.fullmatch(r"\d{1,4}", years):
        raise ValueError(
            f"{MAX_YEARS_AHEAD_ENV} must be a whole number of years such as "
            f"{_DEFAULT_YEARS_AHEAD}, got {years!r}"
        )
    last = day + pd.DateOffset(years=int(years))
    first = first.normalize()
    if first > last:
        raise ValueError(
            f"{MIN_DATE_ENV} ({first.date()}) is after the latest date read ({last.date()}, "
            f"{MAX_YEARS_AHEAD_ENV} years after today)"
        )
    return DateWindow(first, last)


# --------------------------------------------------------------------------------------------
# Billing intervals
# --------------------------------------------------------------------------------------------

# Months in one billing period, by word (English, French, Italian; singular, plural, adjective).
_INTERVAL_MONTHS = {
    **dict.fromkeys(
        [
            "month",
            "months",
            "monthly",
            "mo",
            "m",
            "mois",
            "mensuel",
            "mensuelle",
            "mensualite",
            "mese",
            "mesi",
            "mensile",
        ],
        1.0,
    ),
    **dict.fromkeys(
        [
            "year",
            "years",
            "yearly",
            "annual",
            "annually",
            "yr",
            "y",
            "an",
            "ans",
            "annee",
            "annees",
            "annuel",
            "annuelle",
            "anno",
            "anni",
            "annuale",
        ],
        12.0,
    ),
    **dict.fromkeys(
        [
            "quarter",
            "quarters",
            "quarterly",
            "trimestre",
            "trimestres",
            "trimestriel",
            "trimestrielle",
            "trimestrale",
            "trimestri",
        ],
        3.0,
    ),
    **dict.fromkeys(["bimestre", "bimestres", "bimestriel", "bimestrielle", "bimestrale"], 2.0),
    **dict.fromkeys(
        [
            "semester",
            "half year",
            "half-year",
            "semiannual",
            "semi-annual",
            "semestre",
            "semestriel",
            "semestrielle",
            "semestrale",
            "semestri",
        ],
        6.0,
    ),
    **dict.fromkeys(
        [
            "week",
            "weeks",
            "weekly",
            "wk",
            "w",
            "semaine",
            "semaines",
            "hebdomadaire",
            "settimana",
            "settimane",
            "settimanale",
        ],
        12.0 / 52.0,
    ),
    **dict.fromkeys(
        [
            "day",
            "days",
            "daily",
            "d",
            "jour",
            "jours",
            "quotidien",
            "giorno",
            "giorni",
            "giornaliero",
        ],
        12.0 / 365.0,
    ),
}
_INTERVAL_SHAPE = re.compile(r"^(?:every\s+|tous\s+les\s+|ogni\s+)?(\d+(?:[.,]\d+)?)?\s*([^\d]*)$")


def parse_intervals(col: pd.Series, count: pd.Series | None = None) -> ParsedColumn:
    """Months per billing period from interval words, optionally times an interval count.

    A year is 12 months, a quarter 3, a week 12/52 and a day 12/365, so that
    ``mrr = amount / months`` gives ``amount * 52 / 12`` for a weekly price and
    ``amount * 365 / 12`` for a daily one (Stripe's normalisation). Words may carry their own
    count (``3 months``, ``every 2 weeks``); a bare number is a number of months.

    Parameters
    ----------
    col : Series
        Interval words (English, French, Italian) or numbers of months.
    count : Series, optional
        Interval counts (``Interval Count``, ``plan_interval_count``); empty counts are 1, and
        a count must be a whole number of 1 or more (:func:`bad_interval_counts`).

    Returns
    -------
    ParsedColumn
        ``values`` in months (float); ``bad`` where the word or count cannot be read or the
        period is not positive.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_intervals(pd.Series(["month", "year", "Trimestriel"])).values.tolist()
    [1.0, 12.0, 3.0]
    >>> parse_intervals(pd.Series(["month", "week"]), count=pd.Series([3, 2])).values.round(4).tolist()
    [3.0, 0.4615]
    """
    if _is_number_dtype(col.dtype):
        months = col.astype("float64").to_numpy()
        empty = np.isnan(months)
    else:
        text = _text(col)
        empty = _empty(text)
        codes, uniques = pd.factorize(text)  # distinct values first: a few words, a million rows
        table = np.array([_interval_word(u) for u in uniques], dtype="float64")
        months = np.where(codes >= 0, table[np.maximum(codes, 0)] if len(table) else np.nan, np.nan)
    bad = np.isnan(months) & ~empty
    if count is not None:
        cv, bad_count = _interval_counts(count)
        bad |= bad_count
        months = months * np.where(np.isnan(cv), 1.0, cv)
    bad |= (months <= 0) & ~np.isnan(months)
    months = np.where(bad, np.nan, months)
    return ParsedColumn(
        pd.Series(months, index=col.index, dtype="float64"), bad, "billing intervals"
    )


def bad_interval_counts(count: pd.Series) -> np.ndarray:
    """Rows whose interval count is no whole number of 1 or more (``0``, ``-1``, ``1.5``,
    ``two``): billed every 0 or -1 months is no billing period. An empty count is fine (1).

    >>> import pandas as pd
    >>> bad_interval_counts(pd.Series(["1", "3", "", "0", "-1", "1.5", "two", "2.0"])).tolist()
    [False, False, False, True, True, True, True, False]
    """
    return _interval_counts(count)[1]


def _interval_counts(count: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    parsed = parse_amounts(count)
    cv = parsed.values.to_numpy()
    filled = ~np.isnan(cv)
    bad = parsed.bad.copy()
    bad[filled] |= (cv[filled] < 1) | (cv[filled] != np.floor(cv[filled]))
    return cv, bad


def _interval_word(word) -> float:
    if not isinstance(word, str):
        return np.nan
    w = word.strip().lower().replace("_", " ")
    w = w.translate(str.maketrans("éèêàùç", "eeeauc"))
    if w in _INTERVAL_MONTHS:
        return _INTERVAL_MONTHS[w]
    m = _INTERVAL_SHAPE.match(w)
    if not m:
        return np.nan
    number, unit = m.group(1), m.group(2).strip()
    k = float(number.replace(",", ".")) if number else 1.0
    if not unit:
        return k if number else np.nan  # a bare number is months
    unit = unit.removeprefix("of ").strip()
    return k * _INTERVAL_MONTHS[unit] if unit in _INTERVAL_MONTHS else np.nan
