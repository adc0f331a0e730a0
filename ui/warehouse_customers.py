"""The Customers page on a warehouse source (issue 16): the list searched and sorted by the
warehouse, only the rows shown fetched; one customer's lines fetched and its movements computed
from them by the pandas engine (:mod:`mrrkit.sql.customers`).

Every customer's row (its MRR now, first and last movement, how many) is materialised once per
day and definitions (a temporary table, as :func:`ui.warehouse._everyone` keeps the movements),
and every customer's attributes once, at the first search: a search is then a filter of those
tables, its count and its first rows by MRR (with their attributes), small queries however many
customers the warehouse holds.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from . import warehouse as wh

__all__ = ["customer_facts", "customer_list", "selected_counts"]


def _arguments(data: wh.WarehouseData) -> tuple:
    return data.source.key, wh._frozen(wh.settings()), f"{data.as_of:%Y-%m-%d}", data.definitions


@st.cache_resource(show_spinner=False, max_entries=2)
def _summary(key: str, frozen: str, as_of: str, definitions: str):
    """Every customer's row (:func:`mrrkit.sql.customer_summary`: its MRR now, first and last
    movement, how many) with its labels (the filters' ``dim_<dimension>`` columns of
    :func:`ui.warehouse._label_table`), materialised in the database
    (:func:`ui.warehouse._materialised`): a filter is then a test of the rows' own columns, not
    a semi-join of every customer's labels (1.7 s against 0.8 s at 10M customers)."""
    import mrrkit.sql

    table = mrrkit.sql.customer_summary(wh._everyone(key, frozen, as_of, definitions))
    labels = wh._label_table(key, frozen)
    if labels is not None:
        dims = [c for c in labels.columns if c.startswith("dim_")]
        labels = labels.select(label_customer=labels.customer_id, **{c: labels[c] for c in dims})
        table = table.left_join(labels, table.customer_id == labels.label_customer) \
            .drop("label_customer")
    with wh._LOCK:
        return wh._materialised(key, frozen, table, "customers",
                                wh._sums_tag(as_of, definitions) + "_")


@st.cache_resource(show_spinner=False, max_entries=2)
def _searched_attributes(key: str, frozen: str):
    """Every customer's attributes (:func:`mrrkit.sql.customer_attributes`), materialised for
    the searches (a pass over the lines, made at the first search: the list's own rows get
    theirs from their lines)."""
    import mrrkit.sql

    table = mrrkit.sql.customer_attributes(wh._lines(key, frozen))
    with wh._LOCK:
        return wh._materialised(key, frozen, table, "attributes")


def _attributes(key: str, frozen: str, query: str):
    """The customers' attributes: materialised to search them, else a query the listed rows'
    ids filter (the database reads their lines only)."""
    import mrrkit.sql

    if query:
        return _searched_attributes(key, frozen)
    return mrrkit.sql.customer_attributes(wh._lines(key, frozen))


@st.cache_resource(show_spinner=False, max_entries=4)
def _reclassified(key: str, frozen: str, as_of: str, definitions: str, month: str):
    """The customers whose movements of the 12 months ending with ``month`` the definitions
    classify otherwise than mrrkit's (:func:`mrrkit.sql.reclassified`), materialised."""
    import mrrkit.sql

    last = pd.Period(month, "M")
    changed = mrrkit.sql.reclassified(wh._everyone(key, frozen, as_of, ""),
                                      wh._everyone(key, frozen, as_of, definitions),
                                      last - 11, last)
    with wh._LOCK:
        return wh._materialised(key, frozen, changed, "reclassified",
                                wh._sums_tag(as_of, definitions, month) + "_")


def _selected(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
              changed: str = ""):
    """The rows of the customers the filters select (and the definitions reclassify in the 12
    months ending with ``changed``, when given)."""
    t = _summary(key, frozen, as_of, definitions)
    if filters:
        t = t.filter(wh._passes(t, filters))
    if changed:
        t = t.filter(t.customer_id.isin(
            _reclassified(key, frozen, as_of, definitions, changed).customer_id))
    labels = [c for c in t.columns if c.startswith("dim_")]
    return t.drop(*labels) if labels else t


@st.cache_data(show_spinner=False, max_entries=64)
def _listing(key: str, frozen: str, as_of: str, definitions: str, filters: tuple, query: str,
             status: str, changed: str, limit: int, pinned: str) -> tuple:
    import mrrkit.sql

    t = _selected(key, frozen, as_of, definitions, filters, changed)
    attributes = _attributes(key, frozen, query)
    with wh._LOCK:
        rows, found, paying = mrrkit.sql.customer_listing(t, as_of, query, status, limit,
                                                          attributes=attributes)
        pinned_listed = pinned in rows.index
        if pinned and not pinned_listed and found > len(rows):
            # (a link's customer: does it match, further down the list?)
            one = t.filter(t.customer_id == pinned)
            pinned_listed = mrrkit.sql.customer_listing(one, as_of, query, status, 0,
                                                        attributes=attributes)[1] > 0
    return rows, found, paying, bool(pinned_listed)


def customer_list(data: wh.WarehouseData, query: str, status: str, changed: pd.Period | None,
                  shown: int, pinned: str | None = None) -> tuple:
    """The first ``shown`` customers matching ``query`` and ``status`` (and reclassified by the
    definitions in the 12 months ending with ``changed``), highest MRR first: ``(rows, found,
    paying, pinned_listed)``, ``pinned_listed`` whether customer ``pinned`` matches too."""
    key, frozen, day, tag = _arguments(data)
    return _listing(key, frozen, day, tag, data.filters, query, status,
                    "" if changed is None else str(changed), int(shown), pinned or "")


@st.cache_data(show_spinner=False, max_entries=64)
def _counts(key: str, frozen: str, as_of: str, definitions: str, filters: tuple) -> tuple:
    t = _selected(key, frozen, as_of, definitions, filters)
    selected = wh._customer_count(key, frozen, filters)
    with wh._LOCK:
        listed = int(t.count().execute())
    return listed, selected


def selected_counts(data: wh.WarehouseData) -> tuple[int, int]:
    """The selected customers with an MRR history, and all the selected customers."""
    return _counts(*_arguments(data), data.filters)


@st.cache_data(show_spinner=False, max_entries=64)
def _facts(key: str, frozen: str, as_of: str, definitions: str, filters: tuple,
           customer: str) -> pd.DataFrame:
    import mrrkit.sql

    t = _selected(key, frozen, as_of, definitions, filters)
    with wh._LOCK:
        return mrrkit.sql.customer_listing(t.filter(t.customer_id == customer), as_of, "", "all",
                                           1, attributes=_attributes(key, frozen, ""))[0]


def customer_facts(data: wh.WarehouseData, customer: str) -> pd.Series | None:
    """The customer's row of the list (None: not a selected customer with an MRR history)."""
    rows = _facts(*_arguments(data), data.filters, str(customer))
    return None if rows.empty else rows.iloc[0]


def warm(key: str, frozen: str, as_of: str, definitions: str) -> None:
    """Compute the Customers page's every-customer rows (kept in the store: the list and its
    counts are read from them) and its counts: for :func:`ui.warehouse.warm`."""
    _summary(key, frozen, as_of, definitions)
    _counts(key, frozen, as_of, definitions, ())
