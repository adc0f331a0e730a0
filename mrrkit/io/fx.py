"""Money in several currencies: rates checked up front (:func:`clean_rates`), then each line
converted to the reporting currency (:func:`convert_currency`), a row without a rate rejected
with that reason. Amounts in several currencies are never summed raw."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.lines import LINE_DISCOUNTS
from .dates import parse_dates
from .drafts import Draft, Reasons
from .messages import ExportError, Note, note
from .money import MAX_MRR

__all__ = ["clean_rates", "convert_currency"]


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


def clean_rates(fx_rates):
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


def convert_currency(draft: Draft, reporting, fx_rates, notes: list[Note]) -> None:
    """Convert ``draft.mrr`` to the reporting currency in place, rejecting rows without a rate."""
    reasons = draft.reasons
    cur = draft.currency
    if cur is None:
        if reporting:
            notes.append(note("no_currency_column", currency=reporting))
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
            notes.append(note("currency_filled", count=int(missing.sum()), currency=codes[0]))
        elif len(codes) > 1:
            reasons.reject(missing, "missing_currency")
    if fx_rates is None:
        if len(codes) > 1 and not reporting:
            listed = ", ".join(f"{c}: {n} rows" for c, n in counts.items())
            raise ExportError("currencies", count=len(codes), listed=listed)
        if reporting:
            other = reasons.ok & (cur != reporting).to_numpy() & (cur != "").to_numpy()
            reasons.reject(other, "no_rate.reporting", currency=cur, reporting=reporting)
        return
    rate = np.full(len(cur), np.nan)
    is_reporting = (cur == reporting).to_numpy()
    rate[is_reporting] = 1.0
    if isinstance(fx_rates, dict):
        mapped = cur.map(fx_rates).to_numpy(dtype="float64", na_value=np.nan)
        rate = np.where(is_reporting, 1.0, mapped)
        no_rate = np.isnan(rate)
        empty = (cur == "").to_numpy()
        reasons.reject(no_rate & empty, "no_rate_empty")
        reasons.reject(no_rate & ~empty, "no_rate", currency=cur)
    else:
        rate = _monthly_rates(fx_rates, cur, draft.start, is_reporting, reasons)
    converted = reasons.ok & ~is_reporting
    draft.mrr = draft.mrr * np.where(np.isfinite(rate), rate, np.nan)
    # The discounts taken off each line (LINE_DISCOUNTS) are money of its currency too: at the
    # same rate, or a definition adding them back would add another currency's amount. (A new
    # dict: the draft's copies share their attributes.)
    found = [name for name in LINE_DISCOUNTS if name in draft.attributes]
    if found:
        draft.attributes = dict(draft.attributes)
        for name in found:
            col = draft.attributes[name]
            draft.attributes[name] = col * np.where(np.isfinite(rate), rate, np.nan)
    reasons.reject(~(np.abs(draft.mrr) <= MAX_MRR), "too_large_converted")
    converted &= reasons.ok
    if converted.any():
        done = sorted(set(cur[converted]))
        notes.append(
            note(
                "converted",
                count=int(converted.sum()),
                currency=reporting,
                currencies=", ".join(done),
            )
        )


def _monthly_rates(
    table: pd.DataFrame, cur: pd.Series, start: pd.Series, is_reporting, reasons: Reasons
) -> np.ndarray:
    """The rate of each row's start month (or the latest earlier month's), rejecting the rows
    of a currency without rates, or without a rate that early."""
    row_month = start.to_numpy().astype("datetime64[M]").astype(np.int64) - np.datetime64(
        "1970-01", "M"
    ).astype(np.int64)
    rate = np.where(is_reporting, 1.0, np.nan)
    cur_np = cur.to_numpy(dtype=object)
    for code in set(cur_np[reasons.ok & ~is_reporting]):
        at = reasons.ok & (cur_np == code) & ~is_reporting
        sub = table[table["currency"] == code]
        if sub.empty:
            if code:
                reasons.reject(at, "no_rate", currency=code)
            else:
                reasons.reject(at, "no_rate_empty")
            continue
        pos = np.searchsorted(sub["month"].to_numpy(), row_month[at], side="right") - 1
        found = pos >= 0
        r = np.full(int(at.sum()), np.nan)
        r[found] = sub["rate"].to_numpy()[pos[found]]
        rate[np.flatnonzero(at)] = r
        idx = np.flatnonzero(at)[~found]
        if len(idx):
            month = np.full(len(cur), None, dtype=object)
            month[idx] = np.datetime_as_string(row_month[idx].astype("datetime64[M]"), unit="M")
            early = np.zeros(len(cur), dtype=bool)
            early[idx] = True
            reasons.reject(early, "no_rate_month", currency=code, month=month)
    return rate
