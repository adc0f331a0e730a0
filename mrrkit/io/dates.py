"""Reading people's dates as billing exports and Excel write them.

A date column's convention is decided once for the whole column (day-first or month-first,
Excel serials or Unix timestamps), never row by row, so two rows of one column can never be
read two different ways. Values it cannot read are reported in a boolean mask so the caller can
reject those rows with a reason instead of dropping them.

Plain columns (``2024-01-31 10:00``) take a fast path through pyarrow's compute kernels; the
general text rules only run when that fails, so a million-row export stays cheap.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cells import ParsedColumn, as_arrow, blank, is_number_dtype, matches, stripped

__all__ = ["DATE_CONVENTIONS", "SILENT_CONVENTIONS", "DateColumns", "parse_dates"]

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

# Excel counts days from 1899-12-30 (its calendar has a 29 February 1900 that never was).
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_EXCEL_MAX = 2_958_465  # 9999-12-31
# Below this a whole number is a count, a year or a code, not a day: 10,000 is 18 May 1927.
_EXCEL_MIN = 10_000


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
    >>> parse_dates(pd.Series(["2024-01-15 10:02:00", "0", "0000-00-00"])).values.isna().tolist()
    [False, True, True]
    """
    n = len(col)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        values = col.dt.tz_localize(None) if isinstance(col.dtype, pd.DatetimeTZDtype) else col
        values = values.dt.floor("D").astype("datetime64[s]")
        return ParsedColumn(values, np.zeros(n, bool), "dates")
    if is_number_dtype(col.dtype):
        return _numeric_dates(col.astype("float64"))
    text = stripped(col)
    # "0" and MySQL's zero date are how PHP shops (WooCommerce) write "no date" in a date column.
    empty = blank(text) | text.isin(_NO_DATE).to_numpy(dtype=bool)
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
    arr = as_arrow(text)
    fast = _iso_fast(arr)
    if (~np.isnat(fast)).sum() >= 0.5 * filled:  # mostly plain YYYY-MM-DD[...]: no regex pass
        return _iso_dates(text, arr, fast, empty)
    if matches(arr, r"^\d+(?:\.\d+)?$")[~empty].all():
        return _numeric_dates(pd.to_numeric(text.where(~empty), errors="coerce"))
    if matches(arr, _ISO_LIKE).sum() >= 0.5 * filled:
        return _iso_dates(text, arr, fast, empty)
    if matches(arr, _SLASHED_LIKE).sum() >= 0.5 * filled:
        return _slashed_dates(text, empty, dayfirst)
    return _worded_dates(text, empty)


#: Cells a text date column writes for "no date".
_NO_DATE = ("0", "0000-00-00", "0000-00-00 00:00:00")


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

#: Date conventions a note never mentions: read as expected, or no text to read.
SILENT_CONVENTIONS = ("ISO dates (YYYY-MM-DD)", "empty", "dates")
#: A date column whose values never tell day-first from month-first, read like the file's other
#: date columns (:class:`DateColumns`).
_LIKE_THE_OTHERS = " (like the file's other date columns; its own values never tell)"


class DateColumns:
    """Date columns of one table, each parsed once, with one day-first convention for the file.

    Day-first is decided per column (:func:`parse_dates`), never per row; a
    column whose own values never tell (no part above 12) follows the file's other date columns
    when they say month-first, rather than being assumed day-first against them.
    """

    def __init__(self, frame: pd.DataFrame, headers=()):
        self.frame = frame
        self._parsed: dict[str, object] = {}
        self._dayfirst: bool | None = None
        headers = [h for h in dict.fromkeys(headers) if h in frame.columns]
        told = [self.get(h).convention for h in headers]
        says_month_first = any(c.startswith("MM/DD") and "(" not in c for c in told)
        says_day_first = any(
            c.startswith("DD/MM") and "(assumed" not in c and "month-first" not in c for c in told
        )
        if says_month_first != says_day_first:  # the file tells one way only
            self._dayfirst = says_day_first
            for h in headers:
                if "(assumed" in self._parsed[h].convention:
                    parsed = self._parsed[h]
                    if says_month_first:
                        parsed = parse_dates(frame[h], dayfirst=False)
                    self._parsed[h] = self._like_the_others(parsed)

    def _like_the_others(self, parsed):
        label = "DD/MM/YYYY" if self._dayfirst else "MM/DD/YYYY"
        return dataclasses.replace(parsed, convention=label + _LIKE_THE_OTHERS)

    def get(self, header: str):
        """The parsed column (cached)."""
        found = self._parsed.get(header)
        if found is None:
            found = parse_dates(self.frame[header], dayfirst=self._dayfirst)
            if found.convention.endswith("(as asked)"):  # asked by the file, not by the user
                found = self._like_the_others(found)
            self._parsed[header] = found
        return found
