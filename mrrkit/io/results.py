"""What the readers give back: :class:`ExportResult` (``read_export``) and :class:`CustomerFile`
(``read_customers``), and the frames they are made of."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .drafts import Draft, Reasons
from .messages import Reason
from .table import Table

__all__ = ["CustomerFile", "ExportResult", "lines_frame", "rejected_frame"]


def _report(rows_read: int, kept: int, lines: int, rejected: pd.DataFrame) -> pd.DataFrame:
    by_reason = (
        rejected["reason"].value_counts(sort=True) if len(rejected) else pd.Series(dtype="int64")
    )
    items = [
        ("rows read", rows_read),
        ("rows kept", kept),
        ("rows rejected", len(rejected)),
        ("lines", lines),
    ]
    items += [(f"rejected: {reason}", int(count)) for reason, count in by_reason.items()]
    return pd.DataFrame(items, columns=["what", "rows"]).set_index("what")


@dataclass(frozen=True, eq=False)
class ExportResult:
    """What :func:`mrrkit.read_export` made of a file.

    Attributes
    ----------
    lines : DataFrame
        Canonical lines: ``customer_id`` (str), ``start`` (``datetime64[s]``, inclusive),
        ``end`` (exclusive, NaT = running), ``mrr`` (float, reporting currency), then attribute
        columns (``plan``, ``product``, ``quantity``, ``currency`` = billing currency,
        ``churn_reason``, metadata keys..., and for the exports read by their statuses
        ``billing_status``: what the row's status means, one of
        :data:`~mrrkit.io.drafts.MEANINGS`), then the line dates the export gives
        (:data:`~mrrkit.engine.lines.LINE_DATES`: ``canceled_at``, ``paused_at``, ``resumes_at``,
        ``delinquent_since``; ``datetime64[s]``, NaT where a row has none).
    rejected : DataFrame
        ``row`` (data row number: 1 = first row below the header; CSV blank lines are not rows,
        in a sheet the row sits on line ``row + header line``),
        ``reason``, then the row's raw values under the file's headers (and ``raw line`` for a
        row that could not be split into columns).
    format : str
        The format read, one of :data:`~mrrkit.io.inspect.EXPORT_FORMATS`.
    warnings : list of str
        How the file was read: encoding, separator, date conventions, units, currency
        conversions, customers-file matches. Each is a :class:`~mrrkit.io.messages.Note` (a
        ``str`` that keeps its ``code`` and the ``values`` put into it, for an app to say it in
        another language).
    mapping : dict
        Role -> header actually used (``customer_id``, ``start``, ``end``, ``mrr`` or
        ``amount``/``interval``, ``currency``...): what a column-mapping editor starts from.
    source_rows : ndarray of int
        The data row each line came from (aligned with ``lines``).
    rows_read : int
        Data rows in the file.
    reasons : dict
        Each reason of ``rejected["reason"]`` -> its :class:`~mrrkit.io.messages.Reason` (the
        same sentence, with its ``code`` and ``values``).
    end_convention : str or None
        How the file's end dates were read: ``"exclusive"`` (as they are: the first day not
        paid), ``"inclusive"`` (the last day paid, moved to the day after), None when no row
        has an end (see ``read_export(end=...)``).
    """

    lines: pd.DataFrame
    rejected: pd.DataFrame
    format: str
    warnings: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    source_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rows_read: int = 0
    reasons: dict[str, Reason] = field(default_factory=dict)
    end_convention: str | None = None

    @property
    def rows_kept(self) -> int:
        """Rows that became at least one line."""
        return len(np.unique(self.source_rows))

    @property
    def report(self) -> pd.DataFrame:
        """Rows read, kept and rejected (in total and by reason), and lines made, as a one-column
        frame (``rows``) indexed by ``what``; ready to show or download."""
        return _report(self.rows_read, self.rows_kept, len(self.lines), self.rejected)


@dataclass(frozen=True, eq=False)
class CustomerFile:
    """A customers file read by :func:`mrrkit.read_customers`.

    Attributes
    ----------
    customers : DataFrame
        ``customer_id`` (str, unique) and one column per attribute.
    rejected : DataFrame
        ``row``, ``reason`` and the raw values, as in :class:`ExportResult`.
    warnings : list of str
        How the file was read (a :class:`~mrrkit.io.messages.Note` each).
    mapping : dict
        ``customer_id`` -> header, and attribute -> header.
    rows_read : int
    reasons : dict
        Each reason of ``rejected["reason"]`` -> its :class:`~mrrkit.io.messages.Reason`.
    """

    customers: pd.DataFrame
    rejected: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    reasons: dict[str, Reason] = field(default_factory=dict)

    @property
    def report(self) -> pd.DataFrame:
        """Rows read, kept and rejected (by reason)."""
        return _report(self.rows_read, len(self.customers), len(self.customers), self.rejected)


def rejected_frame(table: Table, reasons: Reasons) -> tuple[pd.DataFrame, dict[str, Reason]]:
    """The rows of ``table`` that ``reasons`` rejects and its broken rows, in row order:
    ``row``, ``reason`` (the sentence), then the raw values; and each sentence's
    :class:`~mrrkit.io.messages.Reason`."""
    mask = ~reasons.ok
    raw = table.frame.loc[mask].reset_index(drop=True)
    said = {str(r): r for r in reasons.given}
    sentences = np.array([str(r) for r in reasons.given] or [""], dtype=object)
    out = pd.DataFrame(
        {
            "row": table.rows[mask].astype("int64"),
            "reason": pd.Series(sentences[reasons.which[mask]], dtype="str"),
        }
    )
    out = pd.concat([out, raw], axis=1) if raw.shape[1] else out
    if len(table.broken):
        said.update({str(r): r for r in dict.fromkeys(table.broken["reason"].tolist())})
        broken = table.broken.rename(columns={"raw": "raw line"})
        out = pd.concat([out, broken], ignore_index=True) if len(out) else broken
        out = out.sort_values("row", kind="stable").reset_index(drop=True)
    out["row"] = out["row"].astype("int64")
    out["reason"] = out["reason"].astype("str")
    used = set(out["reason"].unique())
    return out, {sentence: r for sentence, r in said.items() if sentence in used}


def lines_frame(draft: Draft, keep: np.ndarray) -> pd.DataFrame:
    """The canonical lines of a draft's kept rows: ``customer_id, start, end, mrr``, then its
    attributes (blank cells as missing), the billing currency and the line dates it reads
    (:data:`~mrrkit.engine.lines.LINE_DATES`)."""
    data = {
        "customer_id": draft.customer_id[keep].astype("str").reset_index(drop=True),
        "start": draft.start[keep].reset_index(drop=True).astype("datetime64[s]"),
        "end": draft.end[keep].reset_index(drop=True).astype("datetime64[s]"),
        "mrr": pd.Series(draft.mrr[keep], dtype="float64"),
    }
    for name, col in draft.attributes.items():
        if name in data:
            continue
        values = col[keep].reset_index(drop=True)
        if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
            values = values.where(values != "")
        data[name] = values
    if draft.currency is not None and "currency" not in data:
        data["currency"] = draft.currency[keep].reset_index(drop=True).replace("", np.nan)
    for name, dates in draft.line_dates.items():  # the line's own dates (LINE_DATES), NaT for none
        data[name] = dates[keep].reset_index(drop=True).astype("datetime64[s]")
    return pd.DataFrame(data)
