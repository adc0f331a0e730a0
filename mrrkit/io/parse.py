"""Reading people's numbers and billing intervals as billing exports and Excel write them.

Each parser works on a whole column and decides the column's convention once (decimal comma or
point), never row by row, so two rows of one column can never be read two different ways.
Values it cannot read are reported in a boolean mask so the caller can reject those rows with a
reason instead of dropping them. Dates are read by :mod:`mrrkit.io.dates`.

Plain columns (``33.00``) take a fast path through pyarrow's compute kernels; the general text
rules only run when that fails, so a million-row export stays cheap.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cells import ParsedColumn, as_arrow, blank, is_number_dtype, matches, stripped

__all__ = ["ParsedColumn", "bad_interval_counts", "parse_amounts", "parse_intervals"]

# Non-breaking, narrow non-breaking and thin spaces are French Excel's thousands separators;
# the apostrophe is the Swiss one.
_SPACES = "[\\s\u00a0\u202f\u2009'’]"
_CURRENCY = r"(?:[A-Za-z]{3}|[$€£¥₹]|R\$|kr|Fr\.?)"

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
    if is_number_dtype(col.dtype):
        values = col.astype("float64")
        v = values.to_numpy()
        return ParsedColumn(values, ~np.isfinite(v) & ~np.isnan(v), "numbers")
    text = stripped(col)
    empty = blank(text)
    if decimal != ",":
        fast = _fast_floats(text)
        if fast is not None:
            return ParsedColumn(
                pd.Series(fast, index=col.index), np.zeros(len(col), bool), "decimal '.'"
            )
        # Mostly plain numbers and a few others ("n/a", "1,234.50"): the general rules only on
        # the others. Plain cells (no comma, at most one point) never sway the column's decimal
        # separator, so the column is still read one way.
        plain = matches(as_arrow(text), _PLAIN_NUMBER) & ~empty
        if plain.any():
            rest = ~plain
            values, bad, found = _general_amounts(text[rest], empty[rest], decimal)
            if found == ".":
                out = np.full(len(text), np.nan)
                out[plain] = pc.cast(as_arrow(text[plain]), pa.float64()).to_numpy(
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
    if is_number_dtype(col.dtype):
        months = col.astype("float64").to_numpy()
        empty = np.isnan(months)
    else:
        text = stripped(col)
        empty = blank(text)
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
