"""Recognising columns by their headers, in English, French and Italian.

A header is compared in a normalised form: lower case, accents removed, anything that is not a
letter or a digit turned into a single space, and unit words dropped (``Montant HT (EUR)`` ->
``montant``). Each canonical role has a list of synonyms, best first.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .messages import Note, note

__all__ = [
    "ATTRIBUTE_SYNONYMS",
    "DEDUCTION_ROLES",
    "ROLE_SYNONYMS",
    "VALUE_ROLE_SYNONYMS",
    "attribute_name",
    "column",
    "columns",
    "dedupe",
    "excludes_tax",
    "find_column",
    "guess_mapping",
    "includes_tax",
    "is_cents",
    "normalise",
]

# Tokens that say a unit or a tax basis, not what the column is.
_UNIT_TOKENS = {
    "eur",
    "euro",
    "euros",
    "usd",
    "gbp",
    "chf",
    "cad",
    "aud",
    "jpy",
    "dollars",
    "ht",
    "ttc",
    "incl",
    "including",
    "ivato",
    "ivata",
    "lordo",
    "hors",
    "taxe",
    "taxes",
    "excl",
    "excluding",
    "tax",
    "net",
    "iva",
    "esclusa",
    "utc",
    "in",
    "en",
    "the",
    "le",
    "la",
    "il",
    "di",
    "de",
    "du",
    "des",
    "of",
}
_CURRENCY_WORDS = {"eur", "euro", "euros", "usd", "gbp", "chf", "cad", "aud", "jpy", "dollars"}
_CENTS_TOKENS = {"cents", "cent", "centimes", "centesimi", "pence", "minor"}
_INCL_TAX = re.compile(r"\b(ttc|incl|including|gross|ivato|ivata|iva inclusa|lordo)\b")

#: Synonyms of each canonical role, in normalised form, best first.
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer id",
        "customer",
        "customer code",
        "customer oid",
        "customer number",
        "client id",
        "client",
        "id client",
        "code client",
        "numero client",
        "n client",
        "account code",
        "account id",
        "account",
        "cliente",
        "id cliente",
        "codice cliente",
        "numero cliente",
        "subscriber",
        "abonne",
        "company",
        "societe",
        "azienda",
        "user id",
    ),
    "start": (
        "start",
        "start date",
        "started at",
        "starts at",
        "subscription start",
        "subscription start date",
        "billing start",
        "billing start date",
        "contract start",
        "contract start date",
        "service start",
        "service start date",
        "period start",
        "billing period start",
        "service period start",
        "begin",
        "begins",
        "from",
        "activated at",
        "activation date",
        "date de debut",
        "debut",
        "date debut",
        "debut abonnement",
        "date de souscription",
        "date d abonnement",
        "data inizio",
        "inizio",
        "data di inizio",
        "data attivazione",
        "decorrenza",
    ),
    "end": (
        "end",
        "end date",
        "ended at",
        "ends at",
        "subscription end",
        "subscription end date",
        "billing end",
        "billing end date",
        "contract end",
        "contract end date",
        "service end",
        "service end date",
        "period end",
        "billing period end",
        "service period end",
        "until",
        "to",
        "canceled at",
        "cancelled at",
        "cancellation date",
        "churn date",
        "churned at",
        "date de fin",
        "fin",
        "date fin",
        "fin abonnement",
        "date de resiliation",
        "resiliation",
        "data fine",
        "fine",
        "data di fine",
        "data disdetta",
        "data cessazione",
        "scadenza",
    ),
    "mrr": (
        "mrr",
        "monthly recurring revenue",
        "monthly amount",
        "monthly revenue",
        "monthly price",
        "monthly fee",
        "mensualite",
        "montant mensuel",
        "revenu mensuel",
        "prix mensuel",
        "abonnement mensuel",
        "canone mensile",
        "importo mensile",
        "ricavo mensile",
    ),
    "amount": (
        "amount",
        "price",
        "unit price",
        "plan amount",
        "fee",
        "montant",
        "prix",
        "prix unitaire",
        "tarif",
        "importo",
        "prezzo",
        "prezzo unitario",
        "canone",
        "total",
        "totale",
        "subtotal",
        "sub total",
    ),
    "interval": (
        "interval",
        "billing interval",
        "billing period",
        "billing cycle",
        "billing frequency",
        "period",
        "frequency",
        "plan interval",
        # Stripe's API and Sigma: a price's recurring.interval, flattened.
        "recurring interval",
        "price recurring interval",
        "periodicite",
        "frequence",
        "periode",
        "periodicita",
        "frequenza",
        "periodo",
        "cadence",
    ),
    "interval_count": (
        "interval count",
        "plan interval count",
        "price interval count",
        "recurring interval count",
        "price recurring interval count",
        "every",
        "billing period count",
    ),
    "quantity": (
        "quantity",
        "qty",
        "seats",
        "units",
        "licenses",
        "licences",
        "quantite",
        "nombre",
        "nb licences",
        "quantita",
        "numero licenze",
        "postazioni",
    ),
    "currency": ("currency", "currency code", "devise", "monnaie", "valuta", "divisa"),
    "plan": ("plan", "plan name", "tier", "formule", "offre", "forfait", "piano", "pacchetto"),
    "product": ("product", "product name", "produit", "prodotto"),
    "churn_reason": (
        "churn reason",
        # Stripe's cancellation_details: the customer's feedback says why better than the
        # reason (cancellation_requested, payment_failed...), which then stays an attribute.
        "cancellation feedback",
        "cancellation details feedback",
        "cancellation reason",
        "cancellation details reason",
        "cancel reason",
        "reason",
        "motif de resiliation",
        "motif",
        "raison",
        "motivo disdetta",
        "motivo cessazione",
        "motivo",
    ),
}


#: Columns whose amounts MRR leaves out (issue 14), matched on the whole header (tax words are
#: unit words to the money roles: ``Tax Amount`` must never be read as ``amount``). ``status``
#: and ``type`` (recurring or one-off) are read by value (:mod:`mrrkit.io.meanings`).
DEDUCTION_ROLES = ("tax", "discount", "shipping", "one_off")
VALUE_ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "tax": (
        "tax", "tax amount", "taxes", "total tax", "tax total", "order tax", "sales tax", "vat",
        "vat amount", "gst", "tva", "montant tva", "montant de la tva", "taxe", "iva",
        "importo iva", "imposta", "imposte",
    ),
    "discount": (
        "discount", "discount amount", "discounts", "total discount", "cart discount",
        "coupon amount", "remise", "montant remise", "reduction", "sconto", "importo sconto",
    ),
    "shipping": (
        "shipping", "shipping amount", "shipping cost", "order shipping", "delivery",
        "delivery fee", "frais de port", "livraison", "frais de livraison", "spedizione",
        "spese di spedizione",
    ),
    "one_off": (
        "setup fee", "set up fee", "setup", "one off", "one off fee", "one time", "one time fee",
        "frais de mise en service", "frais d installation", "frais de dossier", "una tantum",
        "costo di attivazione",
    ),
    "status": (
        "status", "state", "subscription status", "subscription state", "invoice status",
        "payment status", "statut", "etat", "statut abonnement", "statut de l abonnement",
        "stato", "stato abbonamento",
    ),
    "type": (
        "type", "line type", "item type", "charge type", "line item type", "kind",
        "type de ligne", "type de facturation", "tipo", "tipo riga",
    ),
}
#: Words of a money header saying its amounts exclude tax (``Montant HT``, ``Net amount``).
_EXCL_TAX = re.compile(
    r"\b(ht|excl|excluding|net|subtotal|sub total|hors taxe|before tax|pre tax|imponibile)\b")


def excludes_tax(header) -> bool:
    """Whether a money header says its amounts are without tax.

    >>> excludes_tax("Montant HT (€)"), excludes_tax("Amount")
    (True, False)
    """
    return bool(_EXCL_TAX.search(normalise(header)))


def includes_tax(header) -> bool:
    """Whether a money header says its amounts include tax (``Total TTC``, ``gross``).

    >>> includes_tax("Total TTC"), includes_tax("Montant HT")
    (True, False)
    """
    return bool(_INCL_TAX.search(normalise(header)))


def normalise(header: str) -> str:
    """Lower case, no accents, words separated by single spaces.

    Examples
    --------
    >>> normalise("Date de début (UTC)")
    'date de debut utc'
    >>> normalise("subscriptions.plan_unit_price")
    'subscriptions plan unit price'
    """
    return _normalised(str(header))


@functools.lru_cache(maxsize=8192)
def _normalised(text: str) -> str:
    # (every header of a file is compared with hundreds of known names, each normalised: the
    # same few hundred texts again and again, 400,000 calls in the upload tests)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _core(header: str) -> str:
    words = normalise(header).split()
    kept = [w for w in words if w not in _UNIT_TOKENS and w not in _CENTS_TOKENS]
    return " ".join(kept) if kept else " ".join(words)


def is_cents(header: str) -> bool:
    """Whether a header says its amounts are in cents (``amount_cents``, ``Montant (centimes)``).

    Examples
    --------
    >>> is_cents("plan_amount_in_cents"), is_cents("Amount")
    (True, False)
    """
    return bool(set(normalise(header).split()) & _CENTS_TOKENS)


def find_column(headers, synonyms, exclude=()) -> str | None:
    """The first header (in synonym order, then column order) whose normalised core is one of
    ``synonyms``; headers saying "tax included" lose to any other match."""
    cores = [
        (h, _core(h), bool(_INCL_TAX.search(normalise(h)))) for h in headers if h not in exclude
    ]
    for taxed in (False, True):
        for syn in synonyms:
            for h, core, incl in cores:
                if incl == taxed and core == syn:
                    return h
    return None


def guess_mapping(headers) -> dict[str, str]:
    """Canonical role -> header for every role some header names.

    Examples
    --------
    >>> guess_mapping(["Client", "Date de début", "Date de fin", "Mensualité (€)", "Formule"])
    {'customer_id': 'Client', 'start': 'Date de début', 'end': 'Date de fin', 'mrr': 'Mensualité (€)', 'plan': 'Formule'}
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    # Tax, discount, shipping, status... first, on whole headers: "Tax Amount" is no amount.
    by_norm = {}
    for h in headers:
        by_norm.setdefault(" ".join(w for w in normalise(h).split() if w not in _CURRENCY_WORDS),
                           h)
    for role, synonyms in VALUE_ROLE_SYNONYMS.items():
        found = next((by_norm[syn] for syn in synonyms if syn in by_norm), None)
        if found is not None:
            mapping[role] = found
            used.add(found)
    for role, synonyms in ROLE_SYNONYMS.items():
        found = find_column(headers, synonyms, exclude=used)
        if found is not None:
            mapping[role] = found
            used.add(found)
    return mapping


#: Customer attributes the app knows by name, with their usual headers.
ATTRIBUTE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "industry": ("industry", "sector", "vertical", "secteur", "secteur d activite", "settore"),
    "company_size": (
        "company size",
        "size",
        "employees",
        "headcount",
        "taille",
        "effectif",
        "taille entreprise",
        "dimensione",
        "dimensione azienda",
        "dipendenti",
    ),
    "channel": (
        "channel",
        "acquisition channel",
        "source",
        "canal",
        "canal d acquisition",
        "canale",
        "canale di acquisizione",
    ),
    "country": ("country", "pays", "paese", "nazione", "country code"),
    "churn_reason": ROLE_SYNONYMS["churn_reason"],
    # What a customer wrote when cancelling: kept, never a segment (mrrkit.views.segments.NOTE_COLUMNS).
    "churn_comment": (
        "churn comment",
        "cancellation comment",
        "cancellation details comment",
        "cancellation reason text",
        "cancel comment",
        "commentaire de resiliation",
        "commento disdetta",
    ),
    "plan": ROLE_SYNONYMS["plan"],
    "product": ROLE_SYNONYMS["product"],
    # A customer's name and email: shown next to its id and searched, never segments
    # (mrrkit.views.segments.IDENTITY_COLUMNS). No bare "name": a file's "Name" may be a plan's.
    "customer_name": (
        "customer name",
        "customer description",
        "client name",
        "company name",
        "account name",
        "nom client",
        "raison sociale",
        "nome cliente",
        "nome del cliente",
        "ragione sociale",
        "denominazione",
    ),
    "email": (
        "email",
        "e mail",
        "customer email",
        "client email",
        "account email",
        "billing email",
        "user email",
        "courriel",
        "adresse email",
        "adresse e mail",
        "email client",
        "indirizzo email",
        "indirizzo e mail",
        "email cliente",
    ),
}


def attribute_name(header: str) -> str:
    """The canonical attribute name of a header the app knows (``Pays`` -> ``country``), else
    the header itself.

    Examples
    --------
    >>> attribute_name("Secteur d'activité"), attribute_name("Account manager")
    ('industry', 'Account manager')
    >>> attribute_name("Adresse e-mail"), attribute_name("Nom du client")
    ('email', 'customer_name')
    """
    core = _core(header)
    for name, synonyms in ATTRIBUTE_SYNONYMS.items():
        if core in synonyms:
            return name
    return header


def column(headers, *candidates: str) -> str | None:
    """The first header equal, once normalised, to one of ``candidates``.

    >>> column(["Customer ID", "Amount (cents)"], "customer", "Customer ID")
    'Customer ID'
    """
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise(h), h)
    for c in candidates:
        found = by_norm.get(normalise(c))
        if found is not None:
            return found
    return None


def columns(headers, *candidates: str) -> tuple[str, ...]:
    """Every header matching one of ``candidates``, in candidate order.

    >>> columns(["Start", "Created (UTC)"], "Start Date", "Created (UTC)", "Start")
    ('Created (UTC)', 'Start')
    """
    out = []
    for c in candidates:
        found = column(headers, c)
        if found is not None and found not in out:
            out.append(found)
    return tuple(out)


def dedupe(headers: list) -> tuple[list[str], list[Note]]:
    """A file's headers as column names: stripped, an empty one named by its position
    (``column 3``), a repeated one numbered (``plan (2)``, with a note).

    >>> names, notes = dedupe(["plan", " ", "plan"])
    >>> names, notes[0].code
    (['plan', 'column 2', 'plan (2)'], 'duplicated_header')
    """
    seen: dict[str, int] = {}
    out, notes = [], []
    for i, h in enumerate(headers):
        h = (h if isinstance(h, str) else ("" if h is None else str(h))).strip().lstrip("\ufeff")
        base = h or f"column {i + 1}"
        name = base
        k = 1
        while name in seen:
            k += 1
            name = f"{base} ({k})"
        if name != base:
            notes.append(note("duplicated_header", header=base, position=i + 1, name=name))
        seen[name] = i
        out.append(name)
    return out, notes
