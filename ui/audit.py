"""The subscription lines behind movements, for the pages' audit trails (Movements, Customers).

A customer's lines are found by binary search in the source's lines sorted by customer id
(:func:`line_index`, made once per data source by :func:`ui.views.line_index`), not by a scan of
every line on each pick; :func:`with_lines` adds to movements the text of the lines that started
or ended with each one (:func:`mrrkit.views.bridge.movement_lines`), e.g. ``ends Pro annual ·
Platform (€67.50)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from mrrkit import movement_lines

from .format import NumberFormat
from .i18n import Text

__all__ = ["line_index", "line_text", "lines_of", "with_lines"]


def line_index(lines: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The lines' customer ids sorted, and the order that sorts them."""
    ids = lines["customer_id"].astype("str").to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    return ids[order], order


def lines_of(lines: pd.DataFrame, index: tuple[np.ndarray, np.ndarray],
             customers: Iterable[str]) -> pd.DataFrame:
    """The ``lines`` of ``customers`` (ids), in the lines' order (``index``:
    :func:`line_index` of ``lines``).

    >>> lines = pd.DataFrame({"customer_id": ["b", "a", "b"], "mrr": [1.0, 2.0, 3.0]})
    >>> lines_of(lines, line_index(lines), ["b"])["mrr"].tolist()
    [1.0, 3.0]
    """
    sorted_ids, order = index
    wanted = np.asarray(sorted(set(map(str, customers))), dtype=object)
    lo = np.searchsorted(sorted_ids, wanted, side="left")
    hi = np.searchsorted(sorted_ids, wanted, side="right")
    parts = [order[a:b] for a, b in zip(lo, hi)]
    rows = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    return lines.iloc[rows]


def line_text(frame: pd.DataFrame, t: Text, nf: NumberFormat) -> pd.Series:
    """Each row of :func:`mrrkit.views.bridge.movement_lines` as text: ``ends Pro annual · Platform
    (€67.50)`` (plan and product when the lines have them, else the line's number).

    >>> from ui.format import number_format
    >>> from ui.i18n import text
    >>> f = pd.DataFrame({"event": ["end", "start"], "line": [3, 4], "mrr": [67.5, 80.0],
    ...                   "plan": ["Pro annual", "Pro annual"], "product": ["Platform", None]})
    >>> line_text(f, text("en"), number_format("en")).tolist()
    ['ends Pro annual · Platform (€67.50)', 'starts Pro annual (€80.00)']
    """
    # Column-wise string work (a row-wise apply costs seconds on thousands of movements).
    what = pd.Series("", index=frame.index, dtype="object")
    for col in ("plan", "product"):
        if col in frame.columns:
            part = frame[col].astype("object").where(frame[col].notna(), "").astype("str")
            what = np.where((what != "") & (part != ""), what + " · " + part, what + part)
            what = pd.Series(what, index=frame.index, dtype="object")
    fallback = t("col.line") + " " + frame["line"].astype("str")
    what = what.where(what != "", fallback)
    verb = np.where(frame["event"] == "start", t("movements.line_starts"), t("movements.line_ends"))
    money = [nf.money(x, 2) for x in frame["mrr"].tolist()]
    return pd.Series([f"{v} {w} ({m})" for v, w, m in zip(verb, what, money)], index=frame.index)


def with_lines(lines: pd.DataFrame, index: tuple[np.ndarray, np.ndarray], rows: pd.DataFrame,
               t: Text, nf: NumberFormat) -> pd.DataFrame:
    """``rows`` (movements) with a ``lines`` column: the ``lines`` that changed with each one
    (``index``: :func:`line_index` of ``lines``), as text in ``t``'s language."""
    rows = rows.assign(customer_id=rows["customer_id"].astype("str"))
    if rows.empty:
        return rows.assign(lines=pd.Series(dtype="str"))
    behind = movement_lines(lines_of(lines, index, rows["customer_id"].unique()), rows)
    text = line_text(behind, t, nf).groupby([behind["customer_id"], behind["date"]]).agg(
        "; ".join)
    keys = pd.MultiIndex.from_arrays([rows["customer_id"], rows["date"]])
    return rows.assign(lines=text.reindex(keys).fillna("").to_numpy())
