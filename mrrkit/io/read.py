"""Reading real billing exports into canonical lines, accounting for every row.

:func:`read_export` takes the file a billing system gives (Stripe, Chargebee, Recurly, Paddle,
Baremetrics, or any spreadsheet) and returns an :class:`ExportResult`: the canonical lines, the
rejected rows with a reason each, the detected format and notes on how the file was read. Every
data row of the file ends up either in ``lines`` (``source_rows`` says which) or in ``rejected``.

Money in several currencies is never summed raw: with ``reporting_currency`` and ``fx_rates``
each line is converted (rows whose currency has no rate are rejected with that reason); without
them a file mixing currencies raises :class:`ExportError`, since no currency could be chosen for
the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ExportError
from .formats import (
    MAX_MRR,
    MAX_TOTAL_MRR,
    Draft,
    apply_date_window,
    canonical_draft,
    generic_draft,
    is_canonical,
    per_value,
    reject_uncovered_credits,
    text,
)
from .headers import ROLE_SYNONYMS, attribute_name, find_column
from .notes import Note, note
from .parse import date_window, parse_dates
from .table import Table, read_table
from .vendors import REFUSED, VENDORS

__all__ = [
    "EXPORT_FORMATS",
    "CustomerFile",
    "ExportError",
    "ExportResult",
    "read_customers",
    "read_export",
]

#: Format names :func:`read_export` knows, in the order ``format="auto"`` tries them.
EXPORT_FORMATS = ("canonical", *VENDORS, "generic")

_FORMAT_NEEDS = {
    "canonical": "mrrkit's own columns customer_id, start, mrr (end optional)",
    **{name: spec[2] for name, spec in VENDORS.items()},
    "generic": "headers naming a customer, a start date and an MRR or amount (+ interval) column",
}


#: Formats whose lines are billed service periods (invoice lines, transactions): their end is
#: a period's end, never a "forever" placeholder (see :func:`~mrrkit.io.formats.apply_date_window`).
_SERVICE_PERIOD_FORMATS = ("stripe_invoices", "paddle_transactions")

_NO_FORMAT_TRIED = (
    "No format could be tried on it; the formats read are "
    + ", ".join(EXPORT_FORMATS)
    + " (any CSV/TSV/XLSX/Parquet table with a customer, a start date and an amount)"
)


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
    """What :func:`read_export` made of a file.

    Attributes
    ----------
    lines : DataFrame
        Canonical lines: ``customer_id`` (str), ``start`` (``datetime64[s]``, inclusive),
        ``end`` (exclusive, NaT = running), ``mrr`` (float, reporting currency), then attribute
        columns (``plan``, ``product``, ``quantity``, ``currency`` = billing currency,
        ``churn_reason``, metadata keys...).
    rejected : DataFrame
        ``row`` (data row number: 1 = first row below the header; CSV blank lines are not rows,
        in a sheet the row sits on line ``row + header line``),
        ``reason``, then the row's raw values under the file's headers (and ``raw line`` for a
        row that could not be split into columns).
    format : str
        The format read, one of :data:`EXPORT_FORMATS`.
    warnings : list of str
        How the file was read: encoding, separator, date conventions, units, currency
        conversions, customers-file matches. Each is a :class:`~mrrkit.io.notes.Note` (a ``str``
        that keeps its template, one of :data:`~mrrkit.io.formats.WARNING_TEMPLATES`, and the
        values put into it, for an app to say it in another language).
    mapping : dict
        Role -> header actually used (``customer_id``, ``start``, ``end``, ``mrr`` or
        ``amount``/``interval``, ``currency``...): what a column-mapping editor starts from.
    source_rows : ndarray of int
        The data row each line came from (aligned with ``lines``).
    rows_read : int
        Data rows in the file.
    """

    lines: pd.DataFrame
    rejected: pd.DataFrame
    format: str
    warnings: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    source_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rows_read: int = 0

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
    """A customers file read by :func:`read_customers`.

    Attributes
    ----------
    customers : DataFrame
        ``customer_id`` (str, unique) and one column per attribute.
    rejected : DataFrame
        ``row``, ``reason`` and the raw values, as in :class:`ExportResult`.
    warnings : list of str
        How the file was read (:class:`~mrrkit.io.notes.Note` each, as in :class:`ExportResult`).
    mapping : dict
        ``customer_id`` -> header, and attribute -> header.
    rows_read : int
    """

    customers: pd.DataFrame
    rejected: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0

    @property
    def report(self) -> pd.DataFrame:
        """Rows read, kept and rejected (by reason)."""
        return _report(self.rows_read, len(self.customers), len(self.customers), self.rejected)


# --------------------------------------------------------------------------------------------
# read_export
# --------------------------------------------------------------------------------------------


def _check_args(format, mapping, reporting_currency, fx_rates):
    if format != "auto" and format not in EXPORT_FORMATS:
        raise ValueError(f"format must be 'auto' or one of {list(EXPORT_FORMATS)}, got {format!r}")
    if mapping is not None:
        if not isinstance(mapping, dict):
            raise TypeError(
                f"mapping must be a dict of canonical name -> header, got {type(mapping).__name__}"
            )
        if format not in ("auto", "generic", "canonical"):
            raise ValueError(f"a mapping applies to generic files, not to format {format!r}")
    if reporting_currency is not None and not isinstance(reporting_currency, str):
        raise TypeError("reporting_currency must be a currency code such as 'EUR'")
    if fx_rates is not None:
        if not isinstance(fx_rates, (dict, pd.DataFrame)):
            raise TypeError(
                "fx_rates must be a dict {currency: rate} or a DataFrame (currency, month, rate)"
            )
        if reporting_currency is None:
            raise ValueError(
                "fx_rates need a reporting_currency: the currency the rates convert to"
            )


def _positive_rate(value, where: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = np.nan
    if not (np.isfinite(rate) and rate > 0):
        raise ValueError(
            f"fx_rates: the rate {where} must be a positive number "
            f"(units of reporting currency per unit of that currency), got {value!r}"
        )
    return rate


def _clean_fx(fx_rates):
    """``fx_rates`` checked up front: ``{CODE: rate}``, or a table sorted by currency and month
    (months since 1970-01) with one rate per currency and month."""
    if isinstance(fx_rates, dict):
        return {
            str(code).strip().upper(): _positive_rate(rate, f"for {code!r}")
            for code, rate in fx_rates.items()
        }
    cols = {str(c).strip().lower(): c for c in fx_rates.columns}
    if not {"currency", "month", "rate"} <= set(cols):
        raise ValueError(
            f"an fx_rates table needs columns currency, month, rate; got {list(fx_rates.columns)}"
        )
    month_col = fx_rates[cols["month"]]
    if isinstance(month_col.dtype, pd.PeriodDtype):
        month_col = month_col.dt.to_timestamp()
    elif month_col.dtype == object:
        month_col = month_col.map(lambda v: v.to_timestamp() if isinstance(v, pd.Period) else v)
    parsed = parse_dates(month_col)
    months = parsed.values.to_numpy().astype("datetime64[M]")
    if parsed.bad.any():  # months and dates mixed ("2024-01", "2024-02-29"): the rest alone
        months[parsed.bad] = (
            parse_dates(month_col[parsed.bad]).values.to_numpy().astype("datetime64[M]")
        )
    unreadable = np.isnat(months)
    if unreadable.any():
        bad = month_col[unreadable].head(3).tolist()
        raise ValueError(
            f"fx_rates: cannot read the month of {int(unreadable.sum())} row(s), e.g. {bad}; "
            "expected months such as 2024-01 or dates such as 2024-01-31"
        )
    currency = fx_rates[cols["currency"]].astype("str").str.strip().str.upper().to_numpy()
    rates = np.array(
        [
            _positive_rate(v, f"for {c} in {m}")
            for v, c, m in zip(fx_rates[cols["rate"]].tolist(), currency, months)
        ],
        dtype="float64",
    )
    table = pd.DataFrame(
        {
            "currency": currency,
            "month": (months - np.datetime64("1970-01", "M")).astype(np.int64),
            "rate": rates,
        }
    )
    clash = table.groupby(["currency", "month"])["rate"].nunique() > 1
    if clash.any():
        code, month = clash[clash].index[0]
        raise ValueError(
            f"fx_rates: {code} has several different rates for "
            f"{np.datetime64(int(month), 'M')}; give one rate per currency and month"
        )
    return table.drop_duplicates(["currency", "month"]).sort_values(["currency", "month"])


def _detect(headers) -> str | None:
    if is_canonical(headers):
        return "canonical"
    for name, (detect, _, _) in VENDORS.items():
        if detect(headers):
            return name
    return None


def _draft(table: Table, format: str, mapping) -> tuple[str, Draft]:
    frame = table.frame
    headers = list(frame.columns)
    if format in ("auto", "generic"):
        # Files no mapping makes readable (no subscription periods), rather than misread.
        for detect, why in REFUSED.values():
            if detect(headers):
                raise ExportError(f"{why}. Columns are {headers}")
    if mapping is not None:
        return "generic", generic_draft(frame, mapping)
    chosen = _detect(headers) if format == "auto" else format
    if chosen == "canonical":
        if not is_canonical(headers):
            raise ExportError(
                f"not mrrkit's canonical format: expected {_FORMAT_NEEDS['canonical']}; columns are {headers}"
            )
        return chosen, canonical_draft(frame)
    if chosen in VENDORS:
        detect, reader, needs = VENDORS[chosen]
        if not detect(headers):
            raise ExportError(
                f"the file does not look like {chosen}: expected {needs}; columns are {headers}"
            )
        return chosen, reader(frame)
    try:
        return "generic", generic_draft(frame)
    except ExportError as exc:
        if format != "auto":
            raise
        tried = "; ".join(f"{name} ({needs})" for name, needs in _FORMAT_NEEDS.items())
        raise ExportError(
            f"no known format recognised. Tried: {tried}. Generic reading: {exc}"
        ) from None


def _convert_currency(draft: Draft, reporting, fx_rates, notes: list[Note]) -> None:
    """Convert ``draft.mrr`` to the reporting currency in place, rejecting rows without a rate."""
    reasons = draft.reasons
    cur = draft.currency
    if cur is None:
        if reporting:
            notes.append(note("no currency column: amounts read as {currency}", currency=reporting))
        else:
            notes.extend(draft.no_currency_notes)
        return
    ok = reasons.ok
    present = cur[ok & (cur != "").to_numpy()]
    counts = present.value_counts()
    codes = list(counts.index)
    missing = ok & (cur == "").to_numpy()
    if missing.any():
        if len(codes) == 1:
            cur = cur.where(cur != "", codes[0])
            draft.currency = cur
            notes.append(
                note(
                    "{count} row(s) without a currency read as {currency}",
                    count=int(missing.sum()),
                    currency=codes[0],
                )
            )
        elif len(codes) > 1:
            reasons.reject(missing, "missing currency (the file mixes currencies)")
    if fx_rates is None:
        if len(codes) > 1 and not reporting:
            listed = ", ".join(f"{c}: {n} rows" for c, n in counts.items())
            raise ExportError(
                f"the file mixes {len(codes)} currencies ({listed}): MRR in different currencies "
                "cannot be added. Give reporting_currency and fx_rates (one rate per currency, or "
                "a table of currency, month, rate) to convert them"
            )
        if reporting:
            other = reasons.ok & (cur != reporting).to_numpy() & (cur != "").to_numpy()
            if other.any():
                reasons.reject(
                    other,
                    per_value(
                        cur, lambda c: f"no exchange rate for {c} (reporting currency {reporting})"
                    ),
                )
        return
    rate = np.full(len(cur), np.nan)
    is_reporting = (cur == reporting).to_numpy()
    rate[is_reporting] = 1.0
    if isinstance(fx_rates, dict):
        mapped = cur.map(fx_rates).to_numpy(dtype="float64", na_value=np.nan)
        rate = np.where(is_reporting, 1.0, mapped)
        no_rate = reasons.ok & np.isnan(rate)
        if no_rate.any():
            reasons.reject(
                no_rate,
                per_value(cur, lambda c: f"no exchange rate for {c or 'an empty currency'}"),
            )
    else:
        rate = _monthly_rates(fx_rates, cur, draft.start, is_reporting, reasons)
    converted = reasons.ok & ~is_reporting
    draft.mrr = draft.mrr * np.where(np.isfinite(rate), rate, np.nan)
    reasons.reject(
        reasons.ok & ~(np.abs(draft.mrr) <= MAX_MRR),
        "amount too large once converted (over 10 billion a month)",
    )
    converted &= reasons.ok
    if converted.any():
        done = sorted(set(cur[converted]))
        notes.append(
            note(
                "{count} row(s) converted to {currency} from {currencies}",
                count=int(converted.sum()),
                currency=reporting,
                currencies=", ".join(done),
            )
        )


def _monthly_rates(
    table: pd.DataFrame, cur: pd.Series, start: pd.Series, is_reporting, reasons
) -> np.ndarray:
    row_month = start.to_numpy().astype("datetime64[M]").astype(np.int64) - np.datetime64(
        "1970-01", "M"
    ).astype(np.int64)
    rate = np.where(is_reporting, 1.0, np.nan)
    reason = np.full(len(cur), None, dtype=object)
    cur_np = cur.to_numpy(dtype=object)
    for code in set(cur_np[reasons.ok & ~is_reporting]):
        at = reasons.ok & (cur_np == code) & ~is_reporting
        sub = table[table["currency"] == code]
        if sub.empty:
            reason[at] = f"no exchange rate for {code or 'an empty currency'}"
            continue
        pos = np.searchsorted(sub["month"].to_numpy(), row_month[at], side="right") - 1
        found = pos >= 0
        r = np.full(int(at.sum()), np.nan)
        r[found] = sub["rate"].to_numpy()[pos[found]]
        rate[np.flatnonzero(at)] = r
        idx = np.flatnonzero(at)[~found]
        if len(idx):
            month = np.datetime_as_string(row_month[idx].astype("datetime64[M]"), unit="M")
            reason[idx] = np.char.add(np.char.add(f"no {code} rate for ", month), " or earlier")
    missing = ~pd.isna(reason)
    reasons.reject(missing, reason)
    return rate


def _empty_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is blank; each column is only looked at on the rows still blank."""
    empty = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        at = np.flatnonzero(empty)
        if not len(at):
            break
        col = frame[name].iloc[at]
        if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
            blank = (col.isna() | (col.str.strip() == "")).to_numpy(dtype=bool)
        else:
            blank = col.isna().to_numpy(dtype=bool)
        empty[at] = blank
    return empty


def _rejected_frame(table: Table, mask: np.ndarray, reasons: np.ndarray) -> pd.DataFrame:
    raw = table.frame.loc[mask].reset_index(drop=True)
    out = pd.DataFrame(
        {"row": table.rows[mask].astype("int64"), "reason": pd.Series(reasons[mask], dtype="str")}
    )
    out = pd.concat([out, raw], axis=1) if raw.shape[1] else out
    if len(table.broken):
        broken = table.broken.rename(columns={"raw": "raw line"})
        out = pd.concat([out, broken], ignore_index=True) if len(out) else broken
        out = out.sort_values("row", kind="stable").reset_index(drop=True)
    out["row"] = out["row"].astype("int64")
    out["reason"] = out["reason"].astype("str")
    return out


def _lines(draft: Draft, keep: np.ndarray) -> pd.DataFrame:
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
    return pd.DataFrame(data)


def read_export(
    source,
    format: str = "auto",
    mapping: dict | None = None,
    reporting_currency: str | None = None,
    fx_rates: dict | pd.DataFrame | None = None,
    customers=None,
    today=None,
) -> ExportResult:
    """Read a billing export into canonical lines, accounting for every row.

    Parameters
    ----------
    source : str, path, bytes or file-like
        The file (an upload such as Streamlit's ``UploadedFile`` works as is): CSV/TSV in any
        common encoding and separator, XLSX, or Parquet.
    format : str, default "auto"
        One of :data:`EXPORT_FORMATS`, or ``"auto"`` to detect it from the headers.
    mapping : dict, optional
        Canonical name -> the file's header, for a generic file: ``customer_id``, ``start``,
        ``end``, ``mrr`` or ``amount`` + ``interval`` (+ ``interval_count``), ``quantity``,
        ``currency``, ``trial_end``; any other key names an attribute. A value of None says the
        file has no such column. Roles left out are still guessed from the headers.
    reporting_currency : str, optional
        The currency every ``mrr`` is expressed in (e.g. ``"EUR"``).
    fx_rates : dict or DataFrame, optional
        Rates to ``reporting_currency``: ``{currency: rate}``, or a table with columns
        ``currency, month, rate`` (the rate of a line's start month is used, or the latest
        earlier month's). ``rate`` = units of reporting currency per unit of ``currency``.
    customers : str, path, bytes, file-like, DataFrame or CustomerFile, optional
        A customers file whose attributes are joined to the lines on ``customer_id`` (they
        win over the export's own attributes of the same name).
    today : date-like, optional
        The current day (default: the clock, read once here). With ``MRRKIT_MIN_DATE`` and
        ``MRRKIT_MAX_YEARS_AHEAD`` it sets the dates read (:func:`mrrkit.io.parse.date_window`,
        1990-01-01 to 10 years after today by default): a row starting outside them is
        rejected, an end after them is read as no end (a "never" such as 9999-12-31; on
        invoice lines and transactions, whose end is a billed period's, the row is rejected).

    Returns
    -------
    ExportResult

    Raises
    ------
    ExportError
        A file that cannot be used at all: empty, not tabular, no recognisable columns,
        several currencies without ``reporting_currency``, or an export known to hold no
        subscription periods (Paddle Classic's transactions report; see
        :data:`mrrkit.io.vendors.REFUSED`). The message says what was expected and which formats
        were tried (or which export to upload instead).

    Examples
    --------
    >>> csv = b"client;date de d\\xe9but;mensualit\\xe9\\nacme;31/01/2024;1 234,50\\n;01/02/2024;10\\n"
    >>> result = read_export(csv)
    >>> result.format, result.lines[["customer_id", "mrr"]].values.tolist()
    ('generic', [['acme', 1234.5]])
    >>> result.rejected[["row", "reason"]].values.tolist()
    [[2, 'missing customer id']]
    """
    _check_args(format, mapping, reporting_currency, fx_rates)
    window = date_window(pd.Timestamp.today() if today is None else today)
    fx_rates = None if fx_rates is None else _clean_fx(fx_rates)
    reporting = reporting_currency.strip().upper() if reporting_currency else None
    try:
        table = read_table(source)
        if table.frame.shape[1] < 2:
            raise ExportError(
                "the file has a single column: expected a table with a customer, a start "
                "date and an amount"
            )
        if table.rows_read == 0:
            raise ExportError("the file has a header but no data rows")
    except ExportError as exc:
        if exc.code is not None:  # a file past one of the server's limits: its message says all
            raise
        raise ExportError(f"{exc}. {_NO_FORMAT_TRIED}") from None
    chosen, draft = _draft(table, format, mapping)
    apply_date_window(
        table.frame, draft, window, draft.notes, periods=chosen in _SERVICE_PERIOD_FORMATS
    )
    notes = list(table.notes) + list(draft.notes)
    empty = _empty_rows(table.frame)
    if empty.any():
        draft.reasons.text[empty] = "empty row"
        draft.reasons.ok &= ~empty
    _convert_currency(draft, reporting, fx_rates, notes)
    if draft.credits is not None:
        draft.mrr, trimmed = reject_uncovered_credits(
            draft.customer_id, draft.credits, draft.start, draft.end, draft.mrr, draft.reasons
        )
        if trimmed:
            notes.append(
                note(
                    "{count} credit(s) slightly larger than the charge they reduce (the vendor "
                    "prorates by the second and rounds to the cent; the file's dates are read "
                    "as days) trimmed to that charge",
                    count=trimmed,
                )
            )
    keep = draft.reasons.ok
    _check_total(draft, keep)
    lines = _lines(draft, keep)
    rejected = _rejected_frame(table, ~keep, draft.reasons.text)
    if customers is not None:
        lines = _join_customers(lines, customers, notes)
    return ExportResult(
        lines=lines,
        rejected=rejected,
        format=chosen,
        warnings=_unique(notes),
        mapping=dict(draft.mapping),
        source_rows=table.rows[keep].astype(np.int64),
        rows_read=table.rows_read,
    )


def _check_total(draft: Draft, keep: np.ndarray) -> None:
    """Refuse lines whose MRR adds up to more than the engine can sum exactly: each amount
    passed the per-line ceiling, so the column itself is wrong."""
    total = float(np.abs(draft.mrr[keep]).sum())
    if total > MAX_TOTAL_MRR:
        col = draft.mapping.get("mrr") or draft.mapping.get("amount")
        raise ExportError(
            f"the amounts add up to {total:,.0f} a month, more than mrrkit can add exactly "
            f"({MAX_TOTAL_MRR:,.0f}): the amount column{f' {col!r}' if col else ''} probably "
            "holds something else (ids, phone numbers, amounts in a tiny unit). Check which "
            "column is the amount (the mapping)"
        )


def _unique(notes: list[Note]) -> list[Note]:
    return list(dict.fromkeys(notes))


# --------------------------------------------------------------------------------------------
# Customers files
# --------------------------------------------------------------------------------------------


def read_customers(source, mapping: dict | None = None) -> CustomerFile:
    """Read a customers file: a customer id column and attribute columns.

    Parameters
    ----------
    source : str, path, bytes, file-like or DataFrame
    mapping : dict, optional
        ``customer_id`` -> header, and attribute name -> header (renames). By default the id
        column is found by its header (``customer_id``, ``client``, ``cliente``...) and known
        attributes are renamed (``Pays`` -> ``country``, ``Secteur`` -> ``industry``).

    Returns
    -------
    CustomerFile
        Rows without an id, and earlier duplicates of an id (the last row wins), are rejected.

    Examples
    --------
    >>> f = read_customers(b"Client,Pays,Secteur\\nacme,FR,SaaS\\nbeta,IT,Retail\\n")
    >>> f.customers.to_dict("records")
    [{'customer_id': 'acme', 'country': 'FR', 'industry': 'SaaS'}, {'customer_id': 'beta', 'country': 'IT', 'industry': 'Retail'}]
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True).copy()
        frame.columns = [str(c) for c in frame.columns]
        table = Table(
            frame,
            np.arange(1, len(frame) + 1),
            pd.DataFrame(columns=["row", "reason", "raw"]),
            "frame",
            [],
        )
    else:
        table = read_table(source)
    frame = table.frame
    headers = list(frame.columns)
    mapping = dict(mapping or {})
    id_col = mapping.pop("customer_id", None) or (
        "customer_id"
        if "customer_id" in headers
        else find_column(headers, ROLE_SYNONYMS["customer_id"])
    )
    if id_col is None or id_col not in headers:
        raise ExportError(
            f"no customer id column found in the customers file; columns are {headers}. "
            "Expected customer_id, customer, client, cliente... or a mapping {'customer_id': header}"
        )
    renames = {v: k for k, v in mapping.items() if v in headers}
    attrs = {}
    for h in headers:
        if h == id_col:
            continue
        name = renames.get(h) or attribute_name(h)
        attrs[name if name not in attrs and name != "customer_id" else h] = h
    ids = text(frame[id_col])
    ok = (ids != "").to_numpy(dtype=bool, copy=True)
    reasons = np.full(len(frame), None, dtype=object)
    reasons[~ok] = "missing customer id"
    empty = _empty_rows(frame)
    reasons[empty] = "empty row"
    ok &= ~empty
    # Duplicates among kept rows only: a rejected row does not shadow a good one.
    kept_ids = ids.where(ok, None)
    dup = ok & kept_ids.duplicated(keep="last").to_numpy()
    reasons[dup] = "duplicate customer id (a later row wins)"
    ok &= ~dup
    customers = pd.DataFrame({"customer_id": ids[ok].reset_index(drop=True).astype("str")})
    for name, h in attrs.items():
        col = frame[h][ok].reset_index(drop=True)
        if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
            col = col.str.strip().replace("", np.nan)
        customers[name] = col
    rejected = _rejected_frame(table, ~ok, reasons)
    notes = list(table.notes)
    return CustomerFile(
        customers=customers,
        rejected=rejected,
        warnings=notes,
        mapping={"customer_id": id_col, **attrs},
        rows_read=table.rows_read,
    )


def _join_customers(lines: pd.DataFrame, customers, notes: list[Note]) -> pd.DataFrame:
    file = customers if isinstance(customers, CustomerFile) else read_customers(customers)
    table = file.customers
    if len(file.rejected):
        notes.append(
            note(
                "customers file: {count} row(s) rejected (see read_customers)",
                count=len(file.rejected),
            )
        )
    line_ids = pd.Index(lines["customer_id"].unique())
    file_ids = pd.Index(table["customer_id"])
    unmatched_file = file_ids.difference(line_ids)
    unmatched_lines = line_ids.difference(file_ids)
    if len(unmatched_file):
        notes.append(
            note(
                "{count} customer(s) of the customers file have no subscription line "
                "(e.g. {examples})",
                count=len(unmatched_file),
                examples=", ".join(map(str, unmatched_file[:3])),
            )
        )
    if len(unmatched_lines):
        notes.append(
            note(
                "{count} customer(s) with lines are not in the customers file (e.g. {examples})",
                count=len(unmatched_lines),
                examples=", ".join(map(str, unmatched_lines[:3])),
            )
        )
    overlap = [c for c in table.columns if c != "customer_id" and c in lines.columns]
    if overlap:
        notes.append(
            note("customers file attributes {columns} replace the export's", columns=overlap)
        )
    joined = lines.drop(columns=overlap).merge(table, on="customer_id", how="left", sort=False)
    return joined
