"""What the statuses and line types written in any table mean for MRR (issue 14).

A vendor's reader knows its statuses (:class:`~mrrkit.io.drafts.Rule` tables in
:mod:`mrrkit.io.vendors`). A spreadsheet's status column can hold anything, in any language, so
each distinct value is given a meaning of :data:`~mrrkit.io.drafts.MEANINGS`: first the user's
own choice (``read_export(..., meanings={"status": {"on hold": "delinquent"}})``, the Data page's
editor), else the common words of :data:`STATUS_WORDS`; a value with neither is rejected as an
unknown status, never guessed. A blank status means paying (a table that writes a status only
on its cancelled rows).

A *line type* column (``type``: subscription, one_time, setup fee...) says which lines are
recurring: each value means ``"recurring"`` or ``"one_off"`` (left out of MRR, with the reason
``one_off``), from the user's choice else :data:`TYPE_WORDS`.

Values are compared as :func:`value_key` writes them: lower case, spaces and hyphens as ``_``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .drafts import MEANINGS, Rule

__all__ = [
    "LINE_TYPES",
    "STATUS_WORDS",
    "TYPE_WORDS",
    "check_meanings",
    "line_type_of",
    "meaning_of",
    "status_rules",
    "value_key",
    "value_meanings",
]

#: What a line type can mean.
LINE_TYPES = ("recurring", "one_off")


def value_key(value) -> str:
    """A status or type as it is compared: lower case, runs of spaces and hyphens as ``_``.

    >>> value_key(" Past-Due "), value_key("On hold"), value_key("wc-active")
    ('past_due', 'on_hold', 'wc_active')
    """
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def _words(**meanings: tuple[str, ...]) -> dict[str, str]:
    return {value_key(w): meaning for meaning, words in meanings.items() for w in words}


#: Common status words (English, French, Italian; the vendors' own) -> meaning. Sources for the
#: vendors' words: Stripe
#: https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses,
#: Chargebee https://www.chargebee.com/docs/2.0/subscriptions.html (subscription statuses),
#: Recurly https://docs.recurly.com/docs/subscriptions (states), Paddle
#: https://developer.paddle.com/api-reference/subscriptions/overview (status), WooCommerce
#: https://woocommerce.com/document/subscriptions/statuses/, invoices' statuses
#: https://docs.stripe.com/invoicing/overview#invoice-statuses.
STATUS_WORDS: dict[str, str] = _words(
    paying=(
        "active", "live", "current", "paid", "ok", "in force", "renewed", "renewing",
        "non renewing", "non-renewing", "pending cancel", "pending-cancel", "cancelling",
        "canceling", "succeeded", "successful", "complete", "completed", "settled",
        "wc-active", "wc-pending-cancel",
        "actif", "en cours", "payé", "payée", "payee", "paye", "réglé", "reglee",
        "attivo", "attiva", "in corso", "pagato", "pagata", "saldato",
    ),
    trial=(
        "trial", "trialing", "trialling", "in trial", "in_trial", "free trial",
        "essai", "en essai", "période d'essai", "periode d'essai", "prova", "in prova",
    ),
    paused=(
        "paused", "pause", "suspended", "frozen", "on pause",
        "en pause", "suspendu", "suspendue", "in pausa", "sospeso", "sospesa",
    ),
    delinquent=(
        "past due", "past_due", "unpaid", "overdue", "delinquent", "dunning", "on hold",
        "on-hold", "payment failed", "failed payment", "open", "due", "wc-on-hold",
        "impayé", "impayée", "impaye", "impayee", "en retard", "relance", "en souffrance",
        "insoluto", "insoluta", "scaduto non pagato", "moroso", "in ritardo",
    ),
    ended=(
        "cancelled", "canceled", "ended", "expired", "churned", "inactive", "terminated",
        "closed", "stopped", "lapsed", "switched", "wc-cancelled", "wc-expired", "wc-switched",
        "résilié", "résiliée", "resilie", "resiliee", "annulé", "annulée", "annule",
        "annulee",
        "terminé", "terminée", "termine", "expiré", "expirée", "expire", "arrêté", "arrete",
        "inactif",
        "annullato", "annullata", "cessato", "cessata", "disdetto", "disdetta", "scaduto",
        "scaduta", "terminato", "terminata", "inattivo", "inattiva",
    ),
    never_paid=(
        "incomplete", "incomplete expired", "incomplete_expired", "pending", "future",
        "draft", "void", "voided", "uncollectible", "written off", "refunded", "failed",
        "not started", "wc-pending",
        "brouillon", "annulée avant paiement", "remboursé", "remboursée", "rembourse",
        "en attente", "bozza", "rimborsato", "rimborsata", "in attesa",
    ),
)

#: Common line-type words -> ``recurring`` or ``one_off`` (ChartMogul's ``subscription`` /
#: ``one_time``, https://dev.chartmogul.com/reference/import-invoices; Stripe's invoice line
#: ``subscription`` / ``invoiceitem``; setup and shipping fees).
TYPE_WORDS: dict[str, str] = _words(
    recurring=(
        "subscription", "recurring", "plan", "license", "licence", "seat", "seats", "renewal",
        "subscription item", "abonnement", "récurrent", "recurrent", "abbonamento",
        "ricorrente", "canone",
    ),
    one_off=(
        "one_time", "one time", "one-time", "one off", "one-off", "oneoff", "invoiceitem",
        "invoice item", "setup", "setup fee", "set up", "installation", "onboarding",
        "shipping", "service", "services", "consulting", "training", "hardware", "fee",
        "ponctuel", "frais", "mise en service", "frais de port", "livraison", "formation",
        "una tantum", "attivazione", "spedizione", "formazione", "consulenza",
    ),
)

# What each meaning does to a row of a table read through a mapping: paying and delinquent rows
# count (until their end, if any); a trial pays from its trial end; a paused or ended row was
# paid until its end (without one it is rejected: no date says when it stopped); a never-paid
# row is rejected.
_GENERIC_RULES = {
    "paying": Rule("count"),
    "delinquent": Rule("count", meaning="delinquent"),
    "trial": Rule("trial"),
    "paused": Rule("ended", meaning="paused"),
    "ended": Rule("ended"),
    "never_paid": Rule("reject", reason="status_never_paid"),
}


def check_meanings(meanings: Mapping | None) -> dict[str, dict[str, str]]:
    """The user's meanings, checked: ``{"status": {value: meaning}, "type": {value: type}}``
    with values as :func:`value_key` writes them.

    Raises
    ------
    ValueError
        A key other than ``status`` and ``type``, or a meaning not in
        :data:`~mrrkit.io.drafts.MEANINGS` (status) or :data:`LINE_TYPES` (type).

    Examples
    --------
    >>> check_meanings({"status": {"On hold": "paused"}})
    {'status': {'on_hold': 'paused'}, 'type': {}}
    """
    meanings = dict(meanings or {})
    unknown = set(meanings) - {"status", "type"}
    if unknown:
        raise ValueError(f"meanings are given for 'status' and 'type', not {sorted(unknown)}")
    out = {}
    for role, allowed in (("status", MEANINGS), ("type", LINE_TYPES)):
        given = dict(meanings.get(role) or {})
        for value, meaning in given.items():
            if meaning not in allowed:
                raise ValueError(f"{role} {value!r} cannot mean {meaning!r}: one of {allowed}")
        out[role] = {value_key(v): m for v, m in given.items()}
    return out


#: Each role's usual words and what a blank cell means.
_USUAL = {"status": (STATUS_WORDS, "paying"), "type": (TYPE_WORDS, "recurring")}


def meaning_of(role: str, key: str, chosen: Mapping[str, str] | None = None) -> str | None:
    """What a value (as :func:`value_key` writes it) of a ``status`` or ``type`` column means:
    the user's ``chosen`` meaning, else the usual words', else a blank's; None: nothing says.

    >>> meaning_of("status", "on_hold"), meaning_of("type", ""), meaning_of("status", "vip")
    ('delinquent', 'recurring', None)
    """
    words, blank = _USUAL[role]
    return (chosen or {}).get(key) or words.get(key) or (blank if key == "" else None)


def status_rules(values: Iterable, chosen: Mapping[str, str] | None = None) -> dict[str, Rule]:
    """The rule of each distinct status value that has a meaning (the user's ``chosen`` first,
    then :data:`STATUS_WORDS`; a blank is paying). A value left out is an unknown status.

    >>> rules = status_rules(["Active", "On hold", "VIP", ""], {"on_hold": "paused"})
    >>> {k: (r.action, r.meaning) for k, r in rules.items()}
    {'active': ('count', 'paying'), 'on_hold': ('ended', 'paused'), '': ('count', 'paying')}
    """
    rules = {}
    for value in values:
        key = value_key(value)
        meaning = meaning_of("status", key, chosen)
        if meaning is not None:
            rules[key] = _GENERIC_RULES[meaning]
    return rules


def line_type_of(values: pd.Series, chosen: Mapping[str, str] | None = None) -> pd.Series:
    """Each row's line type (``recurring``, ``one_off``; None for a value with no meaning), a
    blank cell being recurring.

    >>> line_type_of(pd.Series(["subscription", "Setup fee", "", "gadget"])).tolist()
    ['recurring', 'one_off', 'recurring', None]
    """
    codes, uniques = pd.factorize(values.fillna(""))
    found = [meaning_of("type", value_key(u), chosen) for u in uniques]
    return pd.Series(np.array(found, dtype=object)[codes], index=values.index, dtype=object)


def value_meanings(values: pd.Series, role: str, chosen: Mapping[str, str] | None = None
                   ) -> pd.DataFrame:
    """The distinct values of a status (``role="status"``) or type column, as first written,
    with their number of rows and their meaning (the user's ``chosen``, else the common words;
    None: no meaning, the rows are rejected), most frequent first; a blank is ``""``.

    >>> value_meanings(pd.Series(["Plan", "plan", "gadget", ""]), "type").values.tolist()
    [['Plan', 2, 'recurring'], ['gadget', 1, None], ['', 1, 'recurring']]
    """
    if role not in ("status", "type"):
        raise ValueError(f"role is 'status' or 'type', not {role!r}")
    cells = values.fillna("").astype("str").str.strip()
    keys = cells.map(value_key)
    frame = pd.DataFrame({"key": keys.to_numpy(), "value": cells.to_numpy()})
    grouped = frame.groupby("key", sort=False).agg(value=("value", "first"), rows=("value", "size"))
    grouped = grouped.sort_values("rows", ascending=False, kind="stable")
    meaning = [meaning_of(role, k, chosen) for k in grouped.index]
    return pd.DataFrame({"value": grouped["value"].to_numpy(),
                         "rows": grouped["rows"].to_numpy().astype("int64"),
                         "meaning": pd.Series(meaning, dtype=object)})
