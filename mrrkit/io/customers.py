"""Customers files: a customer id column and attribute columns (industry, size, country...),
read on their own (:func:`read_customers`) or joined to an export's lines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import text
from .drafts import Reasons
from .headers import ROLE_SYNONYMS, attribute_name, find_column
from .messages import ExportError, Note, note
from .results import CustomerFile, rejected_frame
from .table import Table, read_table

__all__ = ["empty_rows", "join_customers", "read_customers"]


def empty_rows(frame: pd.DataFrame) -> np.ndarray:
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
    if isinstance(source, Table):
        table = source
    elif isinstance(source, pd.DataFrame):
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
        raise ExportError("no_customer_column", columns=headers)
    renames = {v: k for k, v in mapping.items() if v in headers}
    attrs = {}
    for h in headers:
        if h == id_col:
            continue
        name = renames.get(h) or attribute_name(h)
        attrs[name if name not in attrs and name != "customer_id" else h] = h
    ids = text(frame[id_col])
    reasons = Reasons(len(frame))
    reasons.reject_all(empty_rows(frame), "empty_row")
    reasons.reject((ids == "").to_numpy(), "missing_customer")
    # Duplicates among kept rows only: a rejected row does not shadow a good one.
    kept_ids = ids.where(reasons.ok, None)
    reasons.reject(kept_ids.duplicated(keep="last").to_numpy(), "duplicate_customer")
    ok = reasons.ok
    customers = pd.DataFrame({"customer_id": ids[ok].reset_index(drop=True).astype("str")})
    for name, h in attrs.items():
        col = frame[h][ok].reset_index(drop=True)
        if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
            col = col.str.strip().replace("", np.nan)
        customers[name] = col
    rejected, said = rejected_frame(table, reasons)
    return CustomerFile(
        customers=customers,
        rejected=rejected,
        warnings=list(table.notes),
        mapping={"customer_id": id_col, **attrs},
        rows_read=table.rows_read,
        reasons=said,
    )


def join_customers(lines: pd.DataFrame, customers, notes: list[Note]) -> pd.DataFrame:
    file = customers if isinstance(customers, CustomerFile) else read_customers(customers)
    table = file.customers
    if len(file.rejected):
        notes.append(note("customers_rejected", count=len(file.rejected)))
    line_ids = pd.Index(lines["customer_id"].unique())
    file_ids = pd.Index(table["customer_id"])
    unmatched_file = file_ids.difference(line_ids)
    unmatched_lines = line_ids.difference(file_ids)
    if len(unmatched_file):
        notes.append(
            note(
                "customers_unused",
                count=len(unmatched_file),
                examples=", ".join(map(str, unmatched_file[:3])),
            )
        )
    if len(unmatched_lines):
        notes.append(
            note(
                "customers_missing",
                count=len(unmatched_lines),
                examples=", ".join(map(str, unmatched_lines[:3])),
            )
        )
    overlap = [c for c in table.columns if c != "customer_id" and c in lines.columns]
    if overlap:
        notes.append(note("customers_replace", columns=overlap))
    joined = lines.drop(columns=overlap).merge(table, on="customer_id", how="left", sort=False)
    return joined
