"""mrrkit's own format and any other table: roles found by the headers (or a mapping), read
with the shared subscription rules (:func:`mrrkit.io.rules.subscription_draft`)."""

from __future__ import annotations

import pandas as pd

from .credits import say_credit_notes
from .drafts import Columns, Draft
from .headers import ROLE_SYNONYMS, attribute_name, guess_mapping
from .messages import ExportError, Note, note
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


_ROLE_NAMES = tuple(ROLE_SYNONYMS) + ("trial_end",)
#: The columns every line has: no attribute may take their name.
_LINE_NAMES = ("customer_id", "start", "end", "mrr", "currency")


def generic_draft(frame: pd.DataFrame, mapping: dict | None = None, exact: bool = False,
                  end: str = "auto", last=None) -> Draft:
    """Any table: roles from ``mapping`` (canonical name -> header), else guessed from headers.

    Columns no role uses become attributes under their own header; ``plan``, ``product``,
    ``quantity``, ``currency`` and ``churn_reason`` are renamed to those canonical names.
    ``end`` says what the end dates are (:mod:`mrrkit.io.ends`); a mapping's ``end_inclusive``
    (instead of ``end``) says its column holds the last day paid. ``last``: the latest date
    read (later ends stand for "never").

    Raises
    ------
    ExportError
        A mapped header the file does not have, or no customer, start or money column.
    """
    headers = list(frame.columns)
    mapping = dict(mapping or {})
    cents = None
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
    missing = [h for h in roles.values() if h not in frame.columns]
    if missing:
        raise ExportError("mapping_missing", missing=missing, columns=headers)
    needs = [r for r in ("customer_id", "start") if r not in roles]
    if "mrr" not in roles and "amount" not in roles:
        needs.append("mrr (or amount + interval)")
    if needs:
        raise ExportError("no_columns", roles=", ".join(needs), columns=headers)
    notes: list[Note] = []
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
        attributes=attrs,
        end_convention=end,
    )
    # A table of billed periods (it has ends) may hold credit notes: a negative line reduces
    # its customer's charges over its period (kept when they cover it).
    periods = "end" in roles
    draft = subscription_draft(frame, cols, cents=cents, default_months=1.0, notes=notes,
                               last=last, credits=periods)
    if periods:
        say_credit_notes(draft)
    if cents:  # the mapping a column editor starts from keeps saying "cents"
        for money in ("mrr", "amount"):
            if money in draft.mapping:
                draft.mapping[f"{money}_cents"] = draft.mapping.pop(money)
    if inclusive is not None and "end" in draft.mapping:  # likewise "inclusive"
        draft.mapping["end_inclusive"] = draft.mapping.pop("end")
    return draft
