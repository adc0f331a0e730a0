"""What the Data page reads from uploads: an export read once into what the page shows (its
format, columns, first rows and currencies: :func:`inspect_upload`), then its lines in the
currency chosen (:func:`read_upload`, no new reading of the bytes); a customers file; an
exchange-rates file; and the validation report of a reading.

Every reading is cached on the digest of the file's bytes (and on its options) in
:data:`ui.memory.DATA`: another session reaches it only by uploading the very same bytes, and
a file's readings go once no session uses it. A file refused for one of the server's limits is
not read again by the page's next reader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from mrrkit.io.inspect import Inspection, inspect
from mrrkit.io.limits import LIMIT_CODES
from mrrkit.io.messages import ExportError
from mrrkit.io.read import CustomerFile, ExportResult, read_customers
from mrrkit.io.table import Table, read_table

from . import memory
from .data import today
from .messages import note_text, problem_kind, reasons_text

__all__ = [
    "MANY_REJECTED",
    "Upload",
    "bytes_digest",
    "currencies_without_rate",
    "customers_headers",
    "inspect_upload",
    "is_currency_code",
    "monthly_rates",
    "rates_from_table",
    "rates_key",
    "read_customers_upload",
    "read_rates_upload",
    "read_upload",
    "rejected_share",
    "rows_without_rate",
    "upload_bytes",
    "validation_report",
    "warm_reader",
]


def _file_tag(arguments: Mapping[str, Any]) -> str:
    """What a reading of an upload is made from (:mod:`ui.memory`): its bytes' digest."""
    return "file:" + str(arguments["digest"])


def bytes_digest(data: bytes) -> str:
    """SHA-256 of an upload's bytes: the cache key of everything read from it.

    >>> bytes_digest(b"abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(data).hexdigest()


def upload_bytes(upload) -> tuple[bytes, str]:
    """An uploaded file's bytes and their digest, hashed once per upload (not on every rerun)."""
    data = upload.getvalue()
    memo = st.session_state.setdefault("_mrrkit_upload_digests", {})
    key = (getattr(upload, "file_id", None), len(data))
    if key[0] is None:
        return data, bytes_digest(data)
    if key not in memo:
        if len(memo) >= 8:
            memo.clear()
        memo[key] = bytes_digest(data)
    return data, memo[key]


@dataclass(frozen=True)
class Upload:
    """What :func:`read_upload` made of a file: its ``result``, or the ``error`` saying why it
    cannot be used at all (mrrkit's refusal, never a traceback) and its ``kind`` (one of
    :data:`ui.messages.PROBLEMS`, for a sentence in the reader's language)."""

    result: ExportResult | None = None
    error: str | None = None
    kind: str | None = None


#: Uploads refused for one of the server's limits, by (digest, limits): the Data page reads a file
#: for its headers, then for its lines (a customers file twice too), and a refusal from the reading
#: process can take seconds: a file refused once is not read again. The last 64.
_REFUSED: dict = {}


def _refused(digest: str) -> str | None:
    from mrrkit.io.limits import limits

    return _REFUSED.get((digest, limits()))


def _remember(digest: str, exc: Exception) -> None:
    if getattr(exc, "code", None) in LIMIT_CODES:
        from mrrkit.io.limits import limits

        while len(_REFUSED) >= 64:
            _REFUSED.pop(next(iter(_REFUSED)), None)
        _REFUSED[(digest, limits())] = _problem(exc)


_READER_STARTED = []


def warm_reader() -> None:
    """Start, in the background, the server the reading child processes fork from
    (:func:`mrrkit.io.limits.start_reader`: a second or two, once per server process), so that
    the first spreadsheet or Parquet upload does not wait for it."""
    if not _READER_STARTED:
        import threading

        from mrrkit.io.limits import start_reader

        _READER_STARTED.append(True)
        threading.Thread(target=start_reader, name="mrrkit-reader-start", daemon=True).start()


def _problem(exc: Exception) -> str:
    """What the page says of a failed reading: mrrkit's refusal (a
    :class:`~mrrkit.io.messages.Refusal`, with its code and values), or a sentence."""
    if isinstance(exc, ExportError):
        return exc.message
    if isinstance(exc, ValueError):  # arguments the file cannot honour
        return str(exc)
    # Not expected from mrrkit; keep the trace in the server log, show people a sentence.
    import logging

    logging.getLogger(__name__).exception("reading an upload failed")
    return f"unexpected problem while reading the file ({type(exc).__name__}: {exc})"


# Uploads are cached as shared resources keyed on their bytes' digest: another session reaches a
# result only by uploading the very same bytes. The cache is bounded by bytes and lets a file's
# readings go once no session uses it (ui.memory).
@memory.cached(tag=_file_tag)
def _inspection(
    digest: str, mapping: tuple | None, day: pd.Timestamp, end: str, meanings: tuple | None,
    _data: bytes,
) -> tuple[Inspection, str | None]:
    """The inspection of a file, and the sentence saying why it failed when it failed in a way
    mrrkit does not foresee (a refusal is the inspection's ``error``)."""
    if _refused(digest) is not None:
        return Inspection(None, error=ExportError(_refused(digest))), None
    try:
        found = inspect(_data, mapping=None if mapping is None else dict(mapping), today=day,
                        end=end, meanings=_meanings_of(meanings))
    except Exception as exc:  # noqa: BLE001 - an unusable file is a message, not a crash
        return Inspection(None), _problem(exc)
    if found.error is not None:
        _remember(digest, found.error)
    return found, None


def inspect_upload(
    data: bytes, digest: str | None = None, mapping: Mapping[str, str | None] | None = None,
    end: str = "auto", meanings: Mapping[str, Mapping[str, str]] | None = None,
) -> Inspection:
    """An export read once (:func:`mrrkit.io.inspect.inspect`, cached on its digest, the
    mapping, what its end dates are, ``end``, and what its status and type values mean,
    ``meanings``): its table, format, columns, first rows and
    currencies, and why it cannot be used if it cannot. Its lines come from
    :func:`read_upload`, which reads no bytes again.

    >>> found = inspect_upload(
    ...     b"customer_id,start,mrr,currency\\na,2024-01-01,1,usd\\nb,2024-01-01,2,EUR")
    >>> found.format, found.mapping["currency"], found.currencies
    ('canonical', 'currency', ['EUR', 'USD'])
    """
    return _inspected(data, digest or bytes_digest(data), mapping, end, meanings)[0]


def meanings_key(meanings: Mapping[str, Mapping[str, str]] | None) -> tuple | None:
    """A hashable form of ``read_export``'s ``meanings`` (None: none given).

    >>> meanings_key({"status": {"on hold": "paused"}})
    (('status', (('on hold', 'paused'),)),)
    """
    if not meanings or not any(meanings.values()):
        return None
    return tuple(sorted((role, tuple(sorted(values.items())))
                        for role, values in meanings.items() if values))


def _meanings_of(key: tuple | None) -> dict | None:
    return None if key is None else {role: dict(values) for role, values in key}


def _inspected(data: bytes, digest: str, mapping, end: str = "auto", meanings=None
               ) -> tuple[Inspection, str | None]:
    key = None if mapping is None else tuple(sorted(mapping.items()))
    return _inspection(digest, key, today(), end, meanings_key(meanings), data)


@memory.cached(tag=_file_tag)
def _read_upload(
    digest: str,
    mapping: tuple | None,
    reporting_currency: str | None,
    rates: tuple | None,
    customers_digest: str | None,
    day: pd.Timestamp,
    end: str,
    meanings: tuple | None,
    _inspection: Inspection,
    _customers: CustomerFile | None,
    _data: bytes,
) -> Upload:
    fx_rates = None
    if rates is not None:
        how, items = rates
        fx_rates = (
            dict(items) if how == "currency"
            else pd.DataFrame(list(items), columns=["currency", "month", "rate"])
        )
    try:
        result = _inspection.read(reporting_currency, fx_rates, customers=_customers)
    except Exception as exc:  # noqa: BLE001 - an unusable file is a message, not a crash
        error = _problem(exc)
        return Upload(error=error, kind=problem_kind(_data, error))
    return Upload(result=result)


def _rates_key(fx_rates) -> tuple | None:
    """A hashable cache key for ``{currency: rate}`` or a (currency, month, rate) table."""
    if fx_rates is None or len(fx_rates) == 0:
        return None
    if isinstance(fx_rates, pd.DataFrame):
        rows = fx_rates[["currency", "month", "rate"]].itertuples(index=False, name=None)
        return "month", tuple((str(c), str(m), float(r)) for c, m, r in rows)
    return "currency", tuple(sorted((str(k), float(v)) for k, v in fx_rates.items()))


def read_upload(
    data: bytes,
    *,
    mapping: Mapping[str, str | None] | None = None,
    reporting_currency: str | None = None,
    fx_rates: Mapping[str, float] | pd.DataFrame | None = None,
    customers: bytes | None = None,
    digest: str | None = None,
    customers_digest: str | None = None,
    customers_id: str | None = None,
    end: str = "auto",
    meanings: Mapping[str, Mapping[str, str]] | None = None,
) -> Upload:
    """:func:`mrrkit.read_export` of an upload, cached on the digests of its bytes (and of the
    customers file's) and on the options; the bytes are read once whatever the options
    (:func:`inspect_upload`). Pass the digests when known (:func:`upload_bytes`).

    ``fx_rates`` is ``{currency: rate}`` or a table of ``currency, month, rate``
    (:func:`monthly_rates`). ``customers_id`` names the customers file's id column (found by
    its header by default). A customers file that cannot be read is left out
    (:func:`read_customers_upload` says why). ``end``: what the file's end dates are
    (``read_export(end=...)``); ``meanings``: what its status and type values mean
    (``read_export(meanings=...)``).

    >>> upload = read_upload(b"customer_id,start,mrr\\na,2024-01-01,10\\n")
    >>> upload.result.lines["mrr"].tolist(), upload.error
    ([10.0], None)
    """
    digest = digest or bytes_digest(data)
    customers_file = None
    if customers is not None:
        customers_digest = customers_digest or bytes_digest(customers)
        customers_file, _ = read_customers_upload(customers, customers_digest, customers_id)
        if customers_file is None:
            customers_digest = None
        elif customers_id is not None:
            customers_digest = f"{customers_digest}:{customers_id}"
    else:
        customers_digest = None
    found, problem = _inspected(data, digest, mapping, end, meanings)
    if problem is not None:
        return Upload(error=problem, kind="other")
    return _read_upload(
        digest,
        None if mapping is None else tuple(sorted(mapping.items())),
        reporting_currency or None,
        _rates_key(fx_rates),
        customers_digest,
        today(),
        end,
        meanings_key(meanings),
        found,
        customers_file,
        data,
    )


@memory.cached(tag=_file_tag)
def _table(digest: str, _data: bytes) -> tuple[Table | None, str | None]:
    """A file read as a table once (a customers or rates file), or why it cannot be."""
    if _refused(digest) is not None:
        return None, _refused(digest)
    try:
        return read_table(_data), None
    except Exception as exc:  # noqa: BLE001 - shown to the user by the Data page
        _remember(digest, exc)
        return None, _problem(exc)


@memory.cached(tag=_file_tag)
def _customers_file(
    digest: str, id_column: str | None, _table: Table
) -> tuple[CustomerFile | None, str | None]:
    try:
        mapping = None if id_column is None else {"customer_id": id_column}
        return read_customers(_table, mapping=mapping), None
    except Exception as exc:  # noqa: BLE001 - shown to the user by the Data page
        return None, _problem(exc)


def read_customers_upload(
    data: bytes, digest: str | None = None, id_column: str | None = None
) -> tuple[CustomerFile | None, str | None]:
    """A customers file read by :func:`mrrkit.read_customers` (its bytes read once, cached on
    its digest), with ``id_column`` as its customer id column if given (else found by its
    header): the file, or ``None`` and why it cannot be used
    (:func:`ui.messages.problem_kind` tells which kind of problem).

    >>> file, error = read_customers_upload(b"Ref,Country\\nacme,FR\\n")
    >>> file, error.startswith("no customer id column"), error.code
    (None, True, 'no_customer_column')
    >>> file, _ = read_customers_upload(b"Ref,Country\\nacme,FR\\n", id_column="Ref")
    >>> file.customers.values.tolist()
    [['acme', 'FR']]
    """
    digest = digest or bytes_digest(data)
    table, error = _table(digest, data)
    if table is None:
        return None, error
    return _customers_file(digest, id_column, table)


def customers_headers(data: bytes, digest: str | None = None) -> list[str]:
    """The column headers of a customers file (the choices of its id column); empty if the file
    cannot be read.

    >>> customers_headers(b"Client;Pays\\nacme;FR\\n")
    ['Client', 'Pays']
    """
    table, _ = _table(digest or bytes_digest(data), data)
    return [] if table is None else [str(c) for c in table.frame.columns]


def is_currency_code(code) -> bool:
    """Whether ``code`` looks like an ISO 4217 code (three ASCII letters, any case).

    >>> [is_currency_code(c) for c in ("eur", "€", "EURO", None)]
    [True, False, False, False]
    """
    return isinstance(code, str) and len(code.strip()) == 3 and code.strip().isascii() \
        and code.strip().isalpha()


def rates_from_table(table: pd.DataFrame) -> dict[str, float]:
    """``{currency: rate}`` from an edited table of ``currency`` and ``rate`` (rows without a
    positive number are left out: their rows are then rejected for want of a rate).

    >>> import pandas as pd
    >>> rates_from_table(pd.DataFrame({"currency": ["usd", "GBP", "CHF", "JPY"],
    ...                                "rate": [0.9, None, "x", 0]}))
    {'USD': 0.9}
    """
    rates = {}
    for currency, rate in zip(table["currency"], pd.to_numeric(table["rate"], errors="coerce")):
        if is_currency_code(currency) and np.isfinite(rate) and rate > 0:
            rates[currency.strip().upper()] = float(rate)
    return rates


def _blank(values: pd.Series) -> np.ndarray:
    return (values.isna() | (values.astype("str").str.strip() == "")).to_numpy(dtype=bool)


def monthly_rates(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Exchange rates by month from an edited or uploaded table of ``currency``, ``month``,
    ``rate``: the usable rows (currency code upper case, month ``YYYY-MM``, rate > 0; the last
    row wins for a repeated currency and month, sorted) and how many rows were left out because
    a value is missing or unreadable (rows with neither a month nor a rate are not counted).

    Months may be dates, ``2024-03``, ``03/2024`` or ``15/03/2024`` (read once per column, as
    :func:`mrrkit.io.parse.parse_dates` does); rates may be written ``1,08`` or ``1.08``.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"currency": ["usd", "USD", "GBP", None, "CHF"],
    ...                       "month": ["2024-01", "2024-03", "2024-01", None, "soon"],
    ...                       "rate": ["0,92", "0,90", "", None, "1,05"]})
    >>> rates, left_out = monthly_rates(table)
    >>> rates.values.tolist(), left_out
    ([['USD', '2024-01', 0.92], ['USD', '2024-03', 0.9]], 2)
    """
    from mrrkit.io.dates import parse_dates
    from mrrkit.io.parse import parse_amounts

    columns = ["currency", "month", "rate"]
    if table.empty:
        return pd.DataFrame({"currency": [], "month": [], "rate": []}).astype(
            {"currency": "str", "month": "str", "rate": "float64"}
        ), 0
    frame = table[columns].reset_index(drop=True)
    # A row with neither a month nor a rate was never filled in (the editor offers one per
    # currency): not a mistake to report.
    blank = _blank(frame["month"]) & _blank(frame["rate"])
    frame = frame.loc[~blank].reset_index(drop=True)
    codes = frame["currency"].astype("str").str.strip().str.upper()
    month = frame["month"]
    if not (pd.api.types.is_datetime64_any_dtype(month) or pd.api.types.is_string_dtype(month)):
        month = pd.to_datetime(month, errors="coerce")
    months = parse_dates(month).values
    rate = frame["rate"]
    rates = (
        parse_amounts(rate.astype("str").where(rate.notna(), "")).values
        if not pd.api.types.is_numeric_dtype(rate.dtype) else rate.astype("float64")
    )
    ok = (
        codes.map(is_currency_code).to_numpy(dtype=bool)
        & months.notna().to_numpy()
        & (rates.to_numpy() > 0)
    )
    out = pd.DataFrame({
        "currency": codes[ok].to_numpy(),
        "month": months[ok].dt.strftime("%Y-%m").to_numpy(),
        "rate": rates[ok].to_numpy(dtype="float64"),
    }).astype({"currency": "str", "month": "str"})
    out = out.drop_duplicates(["currency", "month"], keep="last").sort_values(["currency", "month"])
    return out.reset_index(drop=True), int((~ok).sum())


#: Headers of a rates file, by role (lower case, compared without accents).
_RATE_HEADERS = {
    "currency": ("currency", "currency_code", "code", "devise", "monnaie", "valuta", "divisa"),
    "month": ("month", "date", "period", "mois", "periode", "mese", "periodo", "data"),
    "rate": ("rate", "fx", "fx_rate", "exchange rate", "exchange_rate", "taux", "taux de change",
             "cours", "tasso", "tasso di cambio", "cambio"),
}


def _plain(header: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    return " ".join(text.strip().lower().split())


@memory.cached(tag=_file_tag)
def _rates_file(digest: str, _data: bytes) -> tuple[pd.DataFrame | None, str | None]:
    table, error = _table(digest, _data)
    if table is None:
        return None, error
    frame = table.frame
    found = {}
    for role, names in _RATE_HEADERS.items():
        for header in frame.columns:
            if _plain(header) in names and header not in found.values():
                found[role] = header
                break
    missing = [role for role in _RATE_HEADERS if role not in found]
    if missing:
        return None, (
            f"a rates file needs columns currency, month and rate; no column found for "
            f"{', '.join(missing)}; columns are {[str(c) for c in frame.columns]}"
        )
    return frame[[found[r] for r in _RATE_HEADERS]].set_axis(list(_RATE_HEADERS), axis=1), None


def read_rates_upload(
    data: bytes, digest: str | None = None
) -> tuple[pd.DataFrame | None, str | None]:
    """A rates file (CSV, TSV, XLSX or Parquet with currency, month and rate columns, headers in
    English, French or Italian) as a ``currency, month, rate`` table for :func:`monthly_rates`,
    or ``None`` and why it cannot be used.

    >>> table, error = read_rates_upload(b"Devise;Mois;Taux\\nUSD;2024-01;0,92\\n")
    >>> table.values.tolist(), error
    ([['USD', '2024-01', '0,92']], None)
    """
    return _rates_file(digest or bytes_digest(data), data)


def rates_key(fx_rates) -> tuple | None:
    """A hashable summary of the rates given (``{currency: rate}`` or a currency, month, rate
    table), for telling whether two readings used the same rates.

    >>> rates_key({"usd": 0.9}), rates_key({})
    (('currency', (('usd', 0.9),)), None)
    """
    return _rates_key(fx_rates)


#: Share of a file's rows which, once rejected, makes the Data page warn before "Use this data":
#: past a quarter the file is more likely misread (a wrong column, date format or currency) than
#: holding a few bad rows, and every page would show only what is left.
MANY_REJECTED = 0.25


def rejected_share(rows_read: int, rejected: pd.DataFrame) -> float:
    """The share of a file's rows that were rejected, its empty rows (a spreadsheet's blank,
    formatted rows) left out of both counts; 0 for a file without rows. Above
    :data:`MANY_REJECTED` the Data page warns.

    >>> import pandas as pd
    >>> rejected_share(12, pd.DataFrame({"reason": ["negative amount"] * 9}))
    0.75
    >>> rejected_share(10, pd.DataFrame({"reason": ["empty row"] * 5 + ["missing start date"]}))
    0.2
    >>> rejected_share(0, pd.DataFrame({"reason": []}))
    0.0
    """
    empty = int((rejected["reason"] == "empty row").sum()) if len(rejected) else 0
    rows = rows_read - empty
    return (len(rejected) - empty) / rows if rows > 0 else 0.0


#: The codes of the reasons a row is rejected for want of a usable exchange rate.
_NO_RATE = frozenset(["no_rate", "no_rate_empty", "no_rate_month"])


def _without_rate(result: ExportResult) -> list:
    """The reasons of the rows ``result`` rejects for want of a usable exchange rate."""
    return [r for r in result.reasons.values() if r.code in _NO_RATE]


def rows_without_rate(result: ExportResult) -> int:
    """How many rejected rows lack a usable exchange rate (they come back once one is given).

    >>> from mrrkit import read_export
    >>> csv = b"customer_id,start,mrr,currency\\na,2024-01-01,1,USD\\nb,2024-01-01,2,GBP\\nc,,3,EUR"
    >>> rows_without_rate(read_export(csv, reporting_currency="EUR", fx_rates={"USD": 0.9}))
    1
    """
    said = {str(r) for r in _without_rate(result)}
    return int(result.rejected["reason"].isin(said).sum()) if said else 0


def currencies_without_rate(result: ExportResult) -> list[str]:
    """The currencies named by the rows rejected for want of a rate, sorted.

    >>> from mrrkit import read_export
    >>> csv = b"customer_id,start,mrr,currency\\na,2024-01-01,1,USD\\nb,2024-01-01,2,GBP\\n"
    >>> currencies_without_rate(read_export(csv, reporting_currency="EUR", fx_rates={"CHF": 1}))
    ['GBP', 'USD']
    """
    found = {r.values["currency"] for r in _without_rate(result) if "currency" in r.values}
    found |= {"an empty currency" for r in _without_rate(result) if r.code == "no_rate_empty"}
    return sorted(found)


def validation_report(
    result: ExportResult,
    t,
    *,
    file: str,
    currency: str,
    customers: CustomerFile | None = None,
    customers_name: str | None = None,
) -> pd.DataFrame:
    """The validation report of an upload as a two-column table for people (and its downloads):
    the file, its format, the currency, rows read, kept and rejected (in total and by reason),
    lines and customers, the customers file's counts, then how the file was read. Counts are
    numbers (a spreadsheet can add them up), the rest text.

    >>> from mrrkit import read_export
    >>> from ui.i18n import text
    >>> result = read_export(b"customer_id,start,mrr\\na,2024-01-01,10\\n,2024-01-01,5\\n")
    >>> report = validation_report(result, text("en"), file="x.csv", currency="EUR")
    >>> values = report.set_index("What")["Value"]
    >>> values.loc[["Rows read", "Rows kept", "Rejected: missing customer id"]].tolist()
    [2, 1, 1]
    """
    rows = [
        (t("data.report_file"), file),
        (t("data.report_format"), t(f"format.{result.format}")),
        (t("data.report_currency"), currency),
        (t("data.rows_read"), int(result.rows_read)),
        (t("data.rows_kept"), int(result.rows_kept)),
        (t("data.rows_rejected"), len(result.rejected)),
    ]
    if len(result.rejected):
        counts = result.rejected["reason"].value_counts()
        said = reasons_text(result.reasons, t)
        rows += [
            (t("data.report_reason", reason=said[reason]), int(n)) for reason, n in counts.items()
        ]
    rows += [
        (t("data.lines"), len(result.lines)),
        (t("data.report_customers"), int(result.lines["customer_id"].nunique())),
    ]
    if customers is not None:
        rows += [
            (t("data.report_customers_file"), customers_name or ""),
            (t("data.report_customers_read"), int(customers.rows_read)),
            (t("data.report_customers_kept"), len(customers.customers)),
            (t("data.report_customers_rejected"), len(customers.rejected)),
        ]
    rows += [(t("data.report_note"), note_text(note, t)) for note in result.warnings]
    return pd.DataFrame(rows, columns=[t("data.what"), t("data.value")], dtype=object)
