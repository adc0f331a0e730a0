"""mrrkit's own format and any other table: roles found by the headers (or a mapping), read
with the shared subscription rules (:func:`mrrkit.io.rules.subscription_draft`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import text
from .credits import say_credit_notes
from .drafts import SINCE, Columns, Draft, Reasons
from .headers import (
    DEDUCTION_ROLES,
    ROLE_SYNONYMS,
    VALUE_ROLE_SYNONYMS,
    attribute_name,
    excludes_tax,
    guess_mapping,
    includes_tax,
    normalise,
)
from .meanings import check_meanings, line_type_of, meaning_of, status_rules, value_key
from .messages import TERMS, ExportError, Note, note
from .parse import parse_amounts
from .rules import subscription_draft

__all__ = ["canonical_draft", "generic_draft", "is_canonical"]

_CANONICAL_ROLES = ("customer_id", "start", "end", "mrr")


def is_canonical(headers) -> bool:
    """Whether the headers are mrrkit's own (``customer_id, start, mrr`` and maybe ``end``)."""
    names = {str(h).strip().lower() for h in headers}
    return {"customer_id", "start", "mrr"} <= names


def canonical_draft(frame: pd.DataFrame, end: str = "auto", last=None) -> Draft:
    """mrrkit's own columns: ``customer_id, start, end, mrr`` plus attributes; ``end`` as
    :func:`generic_draft` takes it."""
    lower = {str(h).strip().lower(): h for h in frame.columns}
    mapping = {role: lower[role] for role in (*_CANONICAL_ROLES, "currency") if role in lower}
    return generic_draft(frame, mapping, exact=True, end=end, last=last)


_ROLE_NAMES = tuple(ROLE_SYNONYMS) + tuple(VALUE_ROLE_SYNONYMS) + ("trial_end",)
#: Words of a header saying its table is one of invoices (each row a billed period).
_INVOICE_WORDS = {"invoice", "invoices", "facture", "factures", "fattura", "fatture", "receipt",
                  "ricevuta"}
_PERIOD_WORDS = {"period", "periode", "periodo", "service"}
#: Words of a money header saying it is a total, after discounts.
_TOTAL_WORDS = {"total", "totale", "net", "netto", "due", "paid"}
#: A guessed status or type column is read only when most of its rows hold words whose meaning
#: is known (a "State" column of US states, a "Type" of B2B / B2C, stays an attribute).
_KNOWN_SHARE = 0.8
#: The columns every line has: no attribute may take their name.
_LINE_NAMES = ("customer_id", "start", "end", "mrr", "currency")


def _known_share(values: pd.Series, role: str, chosen: dict) -> float:
    """The share of rows whose (non-blank) value has a meaning."""
    counts = values[values != ""].map(value_key).value_counts()
    if not counts.sum():
        return 1.0
    known = counts[[meaning_of(role, k, chosen) is not None for k in counts.index]].sum()
    return float(known / counts.sum())


def _invoice_like(headers, roles) -> bool:
    """Whether the table's headers say each row is a billed period (an invoice's line): a
    header naming invoices, or start and end named as a (service) period."""
    words = [set(normalise(h).split()) for h in headers]
    if any(w & _INVOICE_WORDS for w in words):
        return True
    return all(set(normalise(roles[r]).split()) & _PERIOD_WORDS for r in ("start", "end"))


def generic_draft(frame: pd.DataFrame, mapping: dict | None = None, exact: bool = False,
                  end: str = "auto", last=None, meanings: dict | None = None) -> Draft:
    """Any table: roles from ``mapping`` (canonical name -> header), else guessed from headers.

    Columns no role uses become attributes under their own header; ``plan``, ``product``,
    ``quantity``, ``currency`` and ``churn_reason`` are renamed to those canonical names.
    ``end`` says what the end dates are (:mod:`mrrkit.io.ends`); a mapping's ``end_inclusive``
    (instead of ``end``) says its column holds the last day paid. ``last``: the latest date
    read (later ends stand for "never").

    Amounts left out of MRR (``tax``, ``discount``, ``shipping``, ``one_off`` columns) are
    subtracted from the row's money; a ``status`` column's values and a ``type`` column's
    (recurring or one-off) mean what ``meanings`` (:func:`mrrkit.io.meanings.check_meanings`)
    or the common words say (:mod:`mrrkit.io.meanings`). A guessed status or type column whose
    values are mostly unknown words, or a guessed tax column next to amounts said to be without
    tax, is left as an attribute (a note says so). ``period_amount`` (instead of ``amount``)
    says the amount is the price of the row's whole period, start to end; a table whose headers
    say it holds invoices (or service periods) is read so when it has no interval.

    Raises
    ------
    ExportError
        A mapped header the file does not have, or no customer, start or money column.
    """
    headers = list(frame.columns)
    mapping = dict(mapping or {})
    meanings = check_meanings(meanings)
    cents = None
    covers = None  # whether the amount is the row's whole period's (None: told by the headers)
    period_amount = mapping.pop("period_amount", None)
    if period_amount is not None:
        if mapping.get("amount") not in (None, period_amount):
            raise ValueError("mapping has period_amount and another amount: give one of them")
        mapping["amount"], covers = period_amount, True
    elif mapping.get("amount") is not None or mapping.get("interval") is not None:
        covers = False  # the user named a price per billing period
    inclusive = mapping.pop("end_inclusive", None)
    if inclusive is not None:  # the user says this column holds the last day paid
        if mapping.get("end") not in (None, inclusive) or end == "exclusive":
            raise ValueError("mapping has end_inclusive and another end: give one of them")
        mapping["end"], end = inclusive, "inclusive"
    for money in ("mrr", "amount"):
        header = mapping.pop(f"{money}_cents", None)
        if header is not None:  # the user says this column holds cents
            mapping[money] = header
            cents = True
    if exact:
        roles = dict(mapping or {})
    else:
        roles = guess_mapping(headers)
        if mapping:
            explicit = {k: v for k, v in mapping.items()}
            used = {v for v in explicit.values() if v is not None}
            roles = {k: v for k, v in roles.items() if v not in used and k not in explicit}
            roles.update({k: v for k, v in explicit.items() if v is not None})
            roles = {k: v for k, v in roles.items() if v is not None}
    notes: list[Note] = []
    if not exact:
        explicit = {k for k, v in mapping.items() if v is not None}
        roles = _checked_value_roles(frame, roles, explicit, meanings, notes)
    missing = [h for h in roles.values() if h not in frame.columns]
    if missing:
        raise ExportError("mapping_missing", missing=missing, columns=headers)
    needs = [r for r in ("customer_id", "start") if r not in roles]
    if "mrr" not in roles and "amount" not in roles:
        needs.append("mrr (or amount + interval)")
    if needs:
        raise ExportError("no_columns", roles=", ".join(needs), columns=headers)
    if "mrr" in roles:
        roles.pop("amount", None)
        roles.pop("interval", None)
        roles.pop("interval_count", None)
    attrs = {}
    for name in ("plan", "product", "churn_reason"):
        if name in roles:
            attrs[name] = roles[name]
    extra_roles = {k: v for k, v in roles.items() if k not in _ROLE_NAMES}
    attrs.update(extra_roles)
    used_headers = set(roles.values())
    for h in headers:
        if h not in used_headers and h not in attrs.values():
            name = attribute_name(h)
            name = name if name not in attrs and name not in _ROLE_NAMES else h
            taken = attrs.get(name) or roles.get(name)
            if taken is not None or name in _LINE_NAMES:
                # A column named for what another column plays (``customer_id`` when the
                # mapping reads the customer from ``email``): said, never read in its place.
                notes.append(note("mapping_shadowed", column=h, name=name, used=taken)
                             if taken is not None else note("mapping_dropped", column=h, name=name))
                continue
            attrs[name] = h
    money = roles.get("mrr") or roles.get("amount")
    if "tax" not in roles and includes_tax(money):
        notes.append(note("tax_included", column=money))
    if covers is None:
        covers = ("mrr" not in roles and "interval" not in roles and "end" in roles
                  and _invoice_like(headers, roles))
    covers = covers and "mrr" not in roles
    rules = None
    if "status" in roles:
        rules = status_rules(pd.unique(text(frame[roles["status"]])), meanings["status"])
    cols = Columns(
        customer_id=(roles["customer_id"],),
        start=(roles["start"],),
        trial_end=(roles["trial_end"],) if "trial_end" in roles else (),
        end=(roles["end"],) if "end" in roles else (),
        mrr=(roles["mrr"],) if "mrr" in roles else (),
        amount=(roles["amount"],) if "amount" in roles else (),
        interval=(roles["interval"],) if "interval" in roles else (),
        interval_count=(roles["interval_count"],) if "interval_count" in roles else (),
        quantity=(roles["quantity"],) if "quantity" in roles else (),
        currency=(roles["currency"],) if "currency" in roles else (),
        plan=(roles["plan"],) if "plan" in roles else (),
        status=(roles["status"],) if "status" in roles else (),
        attributes=attrs,
        deduct={r: (roles[r],) for r in DEDUCTION_ROLES if r in roles},
        amount_covers_period=covers,
        end_convention=end,
    )
    # A table of billed periods (it has ends) may hold credit notes: a negative line reduces
    # its customer's charges over its period (kept when they cover it).
    periods = "end" in roles
    reasons = Reasons(len(frame))
    if "type" in roles:  # one-off lines are no recurring revenue (said before anything else)
        kinds = line_type_of(text(frame[roles["type"]]), meanings["type"])
        reasons.reject((kinds == "one_off").to_numpy(), "one_off")
        unknown = kinds.isna().to_numpy()
        reasons.reject(unknown, "unknown_line_type", value=text(frame[roles["type"]]))
    draft = subscription_draft(frame, cols, statuses=rules, cents=cents, default_months=1.0,
                               notes=notes, last=last, credits=periods, reasons=reasons)
    if "type" in roles:
        draft.mapping["type"] = roles["type"]
    if rules and not covers:
        _state_dates(draft)
    if periods:
        say_credit_notes(draft)
    if cents:  # the mapping a column editor starts from keeps saying "cents"
        for money in ("mrr", "amount"):
            if money in draft.mapping:
                draft.mapping[f"{money}_cents"] = draft.mapping.pop(money)
    if inclusive is not None and "end" in draft.mapping:  # likewise "inclusive"
        draft.mapping["end_inclusive"] = draft.mapping.pop("end")
    if covers and "amount" in draft.mapping:  # and "the whole period's"
        draft.mapping["period_amount"] = draft.mapping.pop("amount")
    return draft


#: Headers of an invoice's total, tax included.
_TOTAL_HEADERS = {"total", "grand total", "amount due", "total due", "total amount", "totale",
                  "total ttc", "total incl tax", "montant ttc", "importo totale"}


def _total_of(frame: pd.DataFrame, money: str, tax: str) -> str | None:
    """The total column that the money column plus the tax column make (``Amount``, ``Tax``,
    ``Total``: then the money is without tax), on 90% of the rows with all three; else None."""
    total = next((h for h in frame.columns if h not in (money, tax)
                  and normalise(h) in _TOTAL_HEADERS), None)
    if total is None:
        return None
    values = [parse_amounts(frame[h]).values.to_numpy(dtype="float64", na_value=np.nan)
              for h in (money, tax, total)]
    m, t, total_ = values
    known = np.isfinite(m) & np.isfinite(t) & np.isfinite(total_)
    if not known.any():
        return None
    close = np.abs(m + t - total_) <= 0.01 * np.maximum(1.0, np.abs(total_))
    return total if close[known].mean() >= 0.9 else None


def _state_dates(draft: Draft) -> None:
    """A subscription table's paused or delinquent row stopped at its end: that day is its
    ``paused_at`` or ``delinquent_since`` (another tool's definitions may keep its MRR,
    issue 15). Not for invoice lines, whose end is their period's."""
    meaning = draft.attributes.get("billing_status")
    if meaning is None:
        return
    ended = draft.end.notna().to_numpy()
    for state, name in SINCE.items():
        at = (meaning == state).to_numpy(dtype=bool, na_value=False) & ended
        if at.any():
            current = draft.line_dates.get(
                name, pd.Series(pd.NaT, index=draft.end.index, dtype="datetime64[s]"))
            draft.line_dates[name] = current.where(~at, draft.end.astype("datetime64[s]"))


def _checked_value_roles(frame, roles: dict, explicit: set, meanings: dict, notes: list) -> dict:
    """The roles, less the guessed status, type and tax columns that would misread the file:
    a status or type column whose rows mostly hold words of no known meaning, a tax column
    next to amounts said to be without tax. Each left out is said (it stays an attribute)."""
    roles = dict(roles)
    for role in ("status", "type"):
        h = roles.get(role)
        if h is None or role in explicit or h not in frame.columns:
            continue
        values = text(frame[h])
        if _known_share(values, role, meanings[role]) < _KNOWN_SHARE:
            del roles[role]
            examples = [v for v in pd.unique(values[values != ""])[:3]]
            notes.append(note("value_column_ignored", column=h, role=TERMS["role"][role],
                              examples=examples))
    money = roles.get("mrr") or roles.get("amount")
    if "tax" in roles and "tax" not in explicit and money is not None:
        total = _total_of(frame, money, roles["tax"])
        if excludes_tax(money):
            notes.append(note("tax_not_subtracted", column=roles.pop("tax"), amount=money))
        elif total is not None:
            notes.append(note("tax_in_total", column=roles.pop("tax"), amount=money, total=total))
    if ("discount" in roles and "discount" not in explicit and money is not None
            and set(normalise(money).split()) & _TOTAL_WORDS):
        # An order's total is after its discounts (WooCommerce's order_total, an invoice total).
        notes.append(note("discount_not_subtracted", column=roles.pop("discount"), amount=money))
    return roles
