"""Billing systems' exports: one module per export, each giving a ``VENDOR`` record.

A module's ``VENDOR`` is a :class:`~mrrkit.io.vendors.common.Vendor` (an export mrrkit reads:
which columns it writes, what its statuses mean, the vendor's page documenting it) or a
:class:`~mrrkit.io.vendors.common.RefusedExport` (an export recognised and refused, with the
export to upload instead). Every module of this package is found here: adding a vendor is one
new module, its messages in :mod:`mrrkit.io.messages` and their translations in the app.

Where an export names the customer or gives its email (Stripe's ``Customer Name`` or
``Customer Description`` and ``Customer Email``, Chargebee's ``customers.company`` and
``customers.email``, Recurly's ``company_name`` and ``email``, Paddle's ``business_name`` and
``customer_email`` or ``user_email``, Baremetrics' ``customer_name`` and ``customer_email``),
they are kept as the attributes ``customer_name`` and ``email``: shown next to the customer's
id and searched, never segments (:data:`mrrkit.views.segments.IDENTITY_COLUMNS`).
"""

from __future__ import annotations

import importlib
import pkgutil

from .common import RefusedExport, Vendor

__all__ = ["REFUSED", "VENDORS", "RefusedExport", "Vendor"]


def _records() -> tuple[dict[str, Vendor], dict[str, RefusedExport]]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        record = getattr(importlib.import_module(f"{__name__}.{info.name}"), "VENDOR", None)
        if record is not None:
            found.append(record)
    vendors = sorted(
        (r for r in found if isinstance(r, Vendor)), key=lambda v: (v.priority, v.name)
    )
    refused = sorted((r for r in found if isinstance(r, RefusedExport)), key=lambda r: r.name)
    return {v.name: v for v in vendors}, {r.name: r for r in refused}


#: The exports read (name -> Vendor), in the order auto-detection tries them; and the exports
#: recognised and refused (name -> RefusedExport).
VENDORS, REFUSED = _records()
