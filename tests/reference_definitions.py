"""A naive reference for the switches of :class:`mrrkit.Definitions` (issue 15), built on
:class:`tests.reference.Reference` and written from the switches' documentation only.

Lines are ``(customer_id, start, end, mrr, extra)`` with ``extra`` a dict of the optional
columns (``billing_status``, ``canceled_at``, ``paused_at``, ``delinquent_since``, and the discounts taken
off ``mrr``: ``recurring_discount``, ``one_time_discount``). Each switch is
applied the obvious way: a loop over the lines for their ends, a loop over each customer's
movements for their kinds, month-end values read day by day for month snapshots, a loop over the
months for the rates.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from tests.reference import (
    Reference,
    default_as_of,
    last_day_of,
    month_number,
    paying,
    period,
    ratio,
)

__all__ = ["DefinedReference"]


def _adjusted(lines, d, as_of: dt.date):
    """The lines with their ends moved as the switches on lines say."""
    out = []
    for c, s, e, m, x in lines:
        if d.discounts in ("recurring", "none"):
            m += x.get("one_time_discount", 0.0)
        if d.discounts == "none":
            m += x.get("recurring_discount", 0.0)
        status = x.get("billing_status")
        if d.churn_at == "request" and x.get("canceled_at") is not None:
            asked = x["canceled_at"]
            if e is None or asked < e:
                e = asked if asked > s else s
        if d.pauses == "keep" and status == "paused" and e is not None and e == x.get("paused_at"):
            e = None
        since = x.get("delinquent_since")
        if d.delinquency != "as_read" and status == "delinquent" and since is not None:
            if d.delinquency == "keep":
                if e == since:
                    e = None
            elif (as_of - since).days > d.delinquency:
                if e is None or e > since:
                    e = since
            elif e == since:
                e = None
        out.append((c, s, e, m))
    return _credits_ended(out, [(c, s, e, m) for c, s, e, m, _ in lines], as_of)


def _credits_ended(moved, given, as_of: dt.date):
    """A customer's negative lines end on the first day the moved ends leave it below zero and
    the lines as given do not: walked day by day, from its first start to ``as_of``."""

    def mrr_on(rows, c, day):
        return sum(m for x, s, e, m in rows if x == c and s <= day and (e is None or day < e))

    moved = list(moved)
    for c in {c for c, s, e, m in moved if m < 0}:
        day = min(s for x, s, e, m in moved if x == c)
        while day <= as_of:
            # (whole millionths, as the engine sums money)
            if round(mrr_on(moved, c, day) * 1e6) < 0 and round(mrr_on(given, c, day) * 1e6) >= 0:
                moved = [(x, s, (day if x == c and m < 0 and s <= day and (e is None or day < e)
                                 else e), m) for x, s, e, m in moved]
            day += dt.timedelta(days=1)
    return moved


class DefinedReference(Reference):
    """The reference's figures under ``definitions``."""

    def __init__(self, lines, definitions, as_of: dt.date | None = None):
        self.definitions = d = definitions
        plain = [(c, s, e, m) for c, s, e, m, _ in lines]
        as_of = as_of if as_of is not None else default_as_of(plain)
        super().__init__(_adjusted(lines, d, as_of), as_of)
        if d.grain == "month":
            self.movements = self._snapshot_movements()
        if d.same_month_churn == "ignore":
            self.movements = self._without_brief_stays(self.movements)
        self.movements = self._relabelled(self.movements)
        if d.pauses == "state":
            self.movements = self._pauses_as_a_state(self.movements, lines)

    def _snapshot_movements(self) -> list:
        out = []
        for c in self.customers:
            first = month_number(self.first_day[c])
            previous, ever = 0.0, False
            for month in range(first, self.last_month + 1):
                value = self.month_end_mrr(c, month)
                if abs(value - previous) > 1e-6:
                    if not paying(previous):
                        kind = "reactivation" if ever else "new"
                    elif not paying(value):
                        kind = "churn"
                    else:
                        kind = "expansion" if value > previous else "contraction"
                    out.append((c, self.snapshot_day(month), kind, value - previous, previous,
                                value))
                    ever = ever or paying(value)
                previous = value
        return out

    def _without_brief_stays(self, movements) -> list:
        """Every movement of a customer in a month it began and ended without paying, left
        out; the first rise from 0 left of each customer is then its new business."""
        def brief(c, month):
            return (not paying(self.mrr_on(c, last_day_of(month - 1)))
                    and not paying(self.month_end_mrr(c, month)))
        kept = [mv for mv in movements if not brief(mv[0], month_number(mv[1]))]
        out, seen = [], set()
        for c, day, kind, amount, before, after in kept:
            if not paying(before) and paying(after):
                kind = "reactivation" if c in seen else "new"
                seen.add(c)
            out.append((c, day, kind, amount, before, after))
        return out

    def _pauses_as_a_state(self, movements, lines) -> list:
        """A fall to 0 on the end of a paused line (ended by its pause; in that month, for
        month snapshots) is a contraction; the customer's next rise from 0 an expansion."""
        adjusted = {(c, e) for c, s, e, m in self.lines}  # (the ends as the switches left them)
        monthly = self.definitions.grain == "month"
        pauses = {(c, month_number(e) if monthly else e) for c, s, e, m, x in lines
                  if x.get("billing_status") == "paused" and e is not None
                  and e == x.get("paused_at") and (c, e) in adjusted}
        out, resuming = [], set()
        for c, day, kind, amount, before, after in movements:
            when = month_number(day) if monthly else day
            if kind == "churn" and (c, when) in pauses:
                kind = "contraction"
                resuming.add(c)
            elif c in resuming and not paying(before) and paying(after):
                kind = "expansion"
                resuming.discard(c)
            elif c in resuming:
                resuming.discard(c)
            out.append((c, day, kind, amount, before, after))
        return out

    def _relabelled(self, movements) -> list:
        d, out, churned_on = self.definitions, [], {}
        for c, day, kind, amount, before, after in movements:
            if kind == "reactivation" and d.reactivation_window is not None:
                if (day - churned_on[c]).days > d.reactivation_window:
                    kind = "new"
            if kind == "reactivation" and d.reactivation_as != "reactivation":
                kind = d.reactivation_as
            if kind == "churn":
                churned_on[c] = day
            out.append((c, day, kind, amount, before, after))
        return out

    def monthly(self) -> pd.DataFrame:
        d = self.definitions
        table = super().monthly()
        for month in self.months():
            row = table.loc[period(month)]
            prev_values = [self.month_end_mrr(c, month - 1) for c in self.customers]
            values = [self.month_end_mrr(c, month) for c in self.customers]
            prev_customers = sum(1 for v in prev_values if paying(v))
            prev_mrr = math.fsum(prev_values)
            dated = [mv for mv in self.movements if month_number(mv[1]) == month]
            joined = [mv for mv in dated if not paying(mv[4]) and paying(mv[5])]
            customers = sum(1 for v in values if paying(v))
            table.loc[period(month), "customers"] = customers
            table.loc[period(month), "arpa"] = ratio(row["mrr"], customers)
            churned = [mv for mv in dated if mv[2] == "churn"]
            if d.same_month_churn != "count":
                churned = [mv for mv in churned
                           if paying(self.mrr_on(mv[0], last_day_of(month - 1)))]
            base = {"start": prev_customers, "average": (prev_customers + customers) / 2,
                    "start_plus_new": prev_customers + len(joined)}[d.churn_rate_base]
            table.loc[period(month), "customer_churn_rate"] = ratio(len(churned), base)
            gains = row["new"] + row["expansion"] + (
                row["reactivation"] if d.quick_ratio_reactivation else 0.0)
            table.loc[period(month), "quick_ratio"] = ratio(
                gains, -(row["churn"] + row["contraction"]))
            if d.retention == "movements":
                net = -(row["churn"] + row["contraction"] + row["expansion"]
                        + row["reactivation"])
                table.loc[period(month), "nrr"] = ratio(prev_mrr - net, prev_mrr)
                table.loc[period(month), "grr"] = ratio(
                    prev_mrr + row["churn"] + row["contraction"], prev_mrr)
        return table
