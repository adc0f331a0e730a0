"""Primitives over a column of cells, shared by the parsers and the formats: stripped text,
blank cells, regular expressions run by pyarrow, and what a parser gives back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ParsedColumn",
    "as_arrow",
    "blank",
    "is_blank_value",
    "is_number_dtype",
    "matches",
    "number_text",
    "stripped",
    "text",
]


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


def is_number_dtype(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def stripped(col: pd.Series) -> pd.Series:
    """The column as stripped text (``str`` dtype); missing stays missing."""
    if not pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        col = col.astype("str")
    return col.str.strip()


def blank(text: pd.Series) -> np.ndarray:
    return (text.isna() | (text == "")).to_numpy(dtype=bool)


def as_arrow(text: pd.Series) -> pa.Array:
    # No type asked: pandas strings are already Arrow large_string, handed over without a copy.
    return pa.array(text, from_pandas=True)


def matches(arr: pa.Array, pattern: str) -> np.ndarray:
    """Rows matching a regular expression (RE2 syntax), missing -> False, in pyarrow's C++."""
    hit = pc.match_substring_regex(arr, pattern)
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False).astype(bool)


def text(col: pd.Series) -> pd.Series:
    """A column as stripped text with empty cells as ``""``.

    >>> text(pd.Series([" a ", None])).tolist(), text(pd.Series([12.0, None])).tolist()
    (['a', ''], ['12', ''])
    """
    if pd.api.types.is_float_dtype(col.dtype):
        # Whole numbers from a spreadsheet are identifiers or codes, not "12.0".
        v = col.to_numpy(dtype="float64", na_value=np.nan)
        out = pd.Series(
            [("" if np.isnan(x) else (str(int(x)) if x.is_integer() else repr(x))) for x in v],
            index=col.index,
            dtype="str",
        )
        return out
    if not pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        col = col.astype("str")
    return col.fillna("").str.strip()


def is_blank_value(value) -> bool:
    """Whether a cell of a spreadsheet or Parquet file is empty (None, NaN or spaces)."""
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def number_text(v) -> str:
    """A cell as text, a whole float without its ``.0``."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
