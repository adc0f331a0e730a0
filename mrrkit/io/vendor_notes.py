"""The notes the vendors' readers give (:mod:`mrrkit.io.vendors`): code -> English template, part
of :data:`mrrkit.io.messages.NOTES` (kept here so that the catalog stays readable).
"""

from __future__ import annotations

__all__ = ["VENDOR_NOTES"]

#: A vendor reader's note: code -> English template (placeholders as in
#: :data:`mrrkit.io.messages.NOTES`).
VENDOR_NOTES = {
    # Stripe
    "woo_rules": (
        "WooCommerce rules: active counts, pending-cancel and on-hold until their end (else "
        "their next payment date), cancelled, expired and switched end at end_date; MRR from "
        "order_total without order_tax, order_shipping and order_shipping_tax"
    ),
    "stripe_api_rules": (
        "Stripe rules, API names: active and past_due count, trials from trial_end, unpaid and "
        "paused count until current_period_start, churn at ended_at; amounts in cents"
    ),
    "stripe_rules": (
        "Stripe rules: active and past_due count, trials from their end, unpaid and paused "
        "count until their current period began, churn at Ended At"
    ),
    "stripe_whole_numbers": (
        "every {column!r} is a whole number with no decimals (e.g. {example}): read as major "
        "units, as the Dashboard writes them (49.00). If they are cents, as Stripe's API gives "
        "them, rename the column {renamed!r} and read it again"
    ),
    "stripe_coupon": (
        "{count} subscription(s) carry a coupon ({column!r}) whose amount the subscriptions "
        "export does not give: their MRR is before the discount. The invoice line items export "
        "gives discounted MRR"
    ),
    "stripe_coupon_limited": (
        "{count} subscription(s) carry a coupon for a limited time or applied after they began "
        "({column!r} once or repeating): it covers part of their line only, so their MRR is "
        "before it, as Stripe's own MRR leaves finite coupons out. The invoice line items "
        "export gives each period's discounted MRR"
    ),
    "stripe_invoices": (
        "Stripe invoices: each paid subscription line is a line over its service period, "
        "MRR = amount / months"
    ),
    "stripe_no_customer": (
        "no customer column: each subscription ({column!r}) is read as its own customer; join "
        "the invoices' customer to the lines for customer-level figures"
    ),
    "stripe_no_status": (
        "no invoice status column (line item tables such as Stripe Sigma's invoice_line_items "
        "have none): every line is read as paid, including lines of draft, open, void or "
        "uncollectible invoices. Keep only the lines of paid invoices (join the invoices' "
        "status on the invoice id) for exact MRR"
    ),
    "stripe_invoice_total": (
        "invoice revenue = {total!r} minus tax ({columns}): after every discount, tax excluded "
        "(Stripe's subtotal already has item discounts taken off: subtotal minus the total "
        "discount amount would take them off twice)"
    ),
    "stripe_api_cents": "{column!r} read in cents (Stripe API/Sigma column names)",
    "stripe_dashboard_units": (
        "amounts read in major units, taxes excluded (Stripe Dashboard export)"
    ),
    # ChartMogul
    "chartmogul_rules": (
        "ChartMogul import rules: each subscription line is a line over its service period (its "
        "end the first day not served), MRR = (amount in cents - tax amount) / months in the "
        "period, as ChartMogul computes it; discounts are already out of the amount; one_time "
        "and trial lines are not MRR"
    ),
    "chartmogul_no_customer": (
        "no customer column (ChartMogul's line items file has none: the customer and the "
        "currency are on its invoices file): each subscription ({column!r}) is read as its own "
        "customer. Join the invoices file's 'Customer external ID' and 'Currency' to the lines "
        "on 'Invoice external ID' for customer-level figures"
    ),
    "chartmogul_statuses": (
        "invoice statuses ({column!r}): paid, open and refunded count, as in ChartMogul (an "
        "invoice counts whether or not its payment went through; a refund is cash, not MRR); "
        "voided and written_off are not MRR"
    ),
    "chartmogul_transactions": (
        "transactions ({column!r}) change no MRR, as in ChartMogul: a failed payment still "
        "counts and a refund is not churn (a credit is a negative line)"
    ),
    # Chargebee
    "chargebee_rules": (
        "Chargebee rules: active and non-renewing count (non-renewing until their cancel "
        "date), trials from their end, cancelled at cancelled_at, paused at pause_date; prices "
        "read in major units"
    ),
    "chargebee_no_currency": (
        "no currency column: every amount read as one currency, the site's. A Chargebee site "
        "billing in several currencies must export one file per currency, or add a column "
        "'subscriptions.currency_code'"
    ),
    # Recurly
    "recurly_rules": (
        "Recurly rules: active counts, canceled counts until expires_at, expired ends at "
        "expires_at"
    ),
    "recurly_tax_inclusive": (
        "{count} row(s) with tax-inclusive prices ({column!r}): their MRR includes the tax, as "
        "the export gives no tax rate to take it out"
    ),
    # Baremetrics
    "baremetrics_rules": (
        "Baremetrics template: plan_amount in cents, churn at subscription_canceled_at"
    ),
    # Paddle Billing
    "paddle_rules": (
        "Paddle rules: active and past_due count, trials from next_billed_at, churn at "
        "canceled_at (paused at paused_at); unit prices read in the lowest denomination (cents)"
    ),
    "paddle_transactions": (
        "Paddle transactions report: each billed subscription transaction is a line over its "
        "billing period, MRR = (subtotal - discount, tax excluded) / months in the period"
    ),
    "paddle_email": "{count} row(s) without {column!r}: customer read from {email!r}",
    "paddle_no_status": "no status column: every transaction read as billed",
    "paddle_origins": "origins not documented by Paddle, read like the others: {origins}",
    "paddle_no_discount": "no discount column: {column!r} read as the amount after discount",
    "paddle_total_tax": "amount = {total!r} - {tax!r} (no subtotal column)",
    "paddle_cents": (
        "every amount is a whole number (e.g. {column!r} {example}): read in the lowest "
        "denomination (cents; whole units for zero-decimal currencies such as JPY), as Paddle's "
        "API writes amounts. Had they been whole currency units, every MRR would be 100 times "
        "too small"
    ),
    "paddle_decimals": "amounts written with decimals: read in currency units",
    "paddle_zero": (
        "{count} transaction(s) worth 0 (trials, 100% discounts) kept as lines worth 0"
    ),
    "paddle_prorated": (
        "{count} prorated change(s) (origin subscription_update) read as the change in MRR "
        "over their billing period: Paddle puts the credit for removed items on the same "
        "transaction"
    ),
    "paddle_adjustments": (
        "refunds, credits and chargebacks are in Paddle's adjustments report, which is not "
        "read: a refunded transaction still counts here"
    ),
    # Paddle Classic
    "paddle_classic_rules": (
        "Paddle Classic rules: active and past_due count, trials from the next payment date, "
        "paused at paused_from (else paused_at), deleted at their cancellation date"
    ),
    "paddle_classic_price": "MRR from {column!r} x quantity, read in currency units",
    "paddle_classic_payments": (
        "the file gives no plan price: MRR from the payments it lists ({columns}, the first "
        "filled one per row), read in currency units as charged. They may include sales tax or "
        "VAT and a prorated first payment: for exact MRR add a column 'recurring_price' with "
        "each plan's price before tax"
    ),
    "paddle_classic_deleted": (
        "{count} deleted subscription(s) rejected: Paddle Classic's user list gives no "
        "cancellation date. Add a column 'cancellation_effective_date' (from the "
        "subscription_cancelled webhooks or the dashboard) to date their churn"
    ),
}
