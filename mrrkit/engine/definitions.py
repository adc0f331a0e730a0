"""The choices where subscription-analytics tools count differently, in one object (issue 15).

:class:`Definitions` holds every switch; its defaults are mrrkit's own definitions
(docs/definitions.md), so ``Definitions()`` changes no figure. :meth:`Definitions.preset` gives
the definitions another tool reports with -- ChartMogul, Baremetrics, ProfitWell, Stripe Billing
analytics, Maxio, Fincome -- each switch taken from the vendor's own help page (the addresses
are in :data:`SOURCES`); where a vendor publishes no rule, mrrkit's choice is kept and
:data:`SOURCES` says "not published".

The switches act at three stages:

- on the **lines** (:func:`mrrkit.engine.adjust.adjust_lines`): when a cancelled subscription
  churns (``churn_at``), whether a paused one keeps its MRR (``pauses``), when a delinquent one
  churns (``delinquency``);
- on the **movements** (:func:`mrrkit.movements`): a customer returning after a long gap
  (``reactivation_window``), what a reactivation is reported as (``reactivation_as``), event
  level or month snapshots (``grain``);
- on the **rates** (:func:`mrrkit.monthly`, :func:`mrrkit.ltv`): the customer churn rate's base
  and whether customers who join and leave within the month count (``churn_rate_base``,
  ``same_month_churn``), the quick ratio's numerator (``quick_ratio_reactivation``), NRR/GRR
  customer-level or from the movements (``retention``), the LTV's churn and window.

The movements record the definitions that made them (``Movements.definitions``), and every view
computed from them follows those, so two definitions never mix in one figure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from types import MappingProxyType

__all__ = ["DEFINITION_PRESETS", "Definitions", "SOURCES"]

_CHOICES = {
    "reactivation_as": ("reactivation", "new", "expansion"),
    "grain": ("event", "month"),
    "churn_at": ("end", "request"),
    "pauses": ("zero", "keep", "state"),
    "churn_rate_base": ("start", "average", "start_plus_new"),
    "same_month_churn": ("count", "exclude", "ignore"),
    "retention": ("customers", "movements"),
    "ltv_churn": ("customer", "revenue"),
    "discounts": ("all", "recurring", "none"),
}


@dataclass(frozen=True)
class Definitions:
    """Every choice where subscription-analytics tools differ; the defaults are mrrkit's.

    Parameters
    ----------
    reactivation_window : int or None, default None
        Days after its churn past which a returning customer counts as **new** again (Maxio:
        90); None: a returning customer is always a reactivation.
    reactivation_as : {"reactivation", "new", "expansion"}, default "reactivation"
        What a reactivation is reported as: its own movement, new business, or expansion
        (Stripe's expansion-MRR article, seed 000).
    grain : {"event", "month"}, default "event"
        ``"event"``: every day a customer's MRR changes is a movement (ChartMogul, mrrkit);
        ``"month"``: month-end snapshots are compared (Fincome, the dbt mrr-playbook): changes
        within a month net out (an upgrade and a downgrade, a gap of a few days between two
        invoices), dated the month's last day (or the as-of day).
    churn_at : {"end", "request"}, default "end"
        A cancelled subscription churns at the end of its paid period (the line's ``end``) or
        when the cancellation was asked (its ``canceled_at``, where the export gives it).
    pauses : {"zero", "keep", "state"}, default "zero"
        A paused subscription (``billing_status`` paused, ended by its ``paused_at``) drops to
        0 from its pause (a churn, and its resumption a reactivation), keeps its MRR
        (ChartMogul, Maxio), or drops to 0 in a state of its own (ProfitWell's "downgrade to
        $0"): the pause is a contraction, the resumption an expansion, the customer neither
        paying nor churned meanwhile.
    delinquency : "as_read", "keep" or int, default "as_read"
        A delinquent subscription (a renewal not paid, ``billing_status`` delinquent): as the
        export's reader ends it (past due counts; Stripe's ``unpaid`` ends where its unpaid
        period began), ``"keep"`` counted until it is cancelled (ChartMogul's default), or a
        number of days: delinquent for longer than that on the as-of day, it churned from its
        last paid period (``delinquent_since``; Baremetrics: 30).
    churn_rate_base : {"start", "average", "start_plus_new"}, default "start"
        The customer churn rate's denominator: customers at the end of the previous month, the
        average of that and the month's end, or the previous month's plus the month's new
        customers (Stripe's rolling rate).
    same_month_churn : {"count", "exclude", "ignore"}, default "count"
        A customer who joins (or returns) and churns within the month: counted in the churn
        rate, left out of it (ChartMogul's B2B rate), or ignored entirely, its movements of
        that month left out of new business and churn too (ProfitWell: "we ignore them from
        your metrics entirely to not inflate new + churn").
    quick_ratio_reactivation : bool, default True
        Whether reactivation counts in the quick ratio's numerator (Baremetrics: no).
    retention : {"customers", "movements"}, default "customers"
        NRR/GRR of a month: customer-level (the customers paying at the previous month's end) or
        from the movements, ``1 - net`` / ``1 - gross MRR churn rate`` (Baremetrics).
    ltv_churn : {"customer", "revenue"}, default "customer"
        The LTV's churn rate: customers' (seed 004) or revenue's (gross MRR churn).
    ltv_months : int, default 6
        Months the LTV's churn rate is averaged over.
    ltv_current_month : bool, default True
        Whether those months end with the month itself (mrrkit) or with the month before
        (ChartMogul's six-month trailing average leaves the current month out).
    gross_margin : float, default 1.0
        Multiplies the LTV (1: revenue LTV).
    discounts : {"all", "recurring", "none"}, default "all"
        Which discounts MRR is net of, where the lines carry them
        (:data:`mrrkit.engine.lines.LINE_DISCOUNTS`): all of them (the amounts as billed), the
        recurring ones only (Fincome's "permanent discounts only": a promotion for some months
        is added back), or none (list prices).

    Examples
    --------
    >>> Definitions() == Definitions.preset("mrrkit")
    True
    >>> cm = Definitions.preset("chartmogul")
    >>> cm.same_month_churn, cm.pauses, cm.name
    ('exclude', 'keep', 'chartmogul')
    >>> sorted(cm.changes())[:3]
    ['delinquency', 'ltv_current_month', 'pauses']
    >>> dataclasses.replace(cm, grain="month").name
    'custom'
    """

    reactivation_window: int | None = None
    reactivation_as: str = "reactivation"
    grain: str = "event"
    churn_at: str = "end"
    pauses: str = "zero"
    delinquency: int | str = "as_read"
    churn_rate_base: str = "start"
    same_month_churn: str = "count"
    quick_ratio_reactivation: bool = True
    retention: str = "customers"
    ltv_churn: str = "customer"
    ltv_months: int = 6
    ltv_current_month: bool = True
    gross_margin: float = 1.0
    discounts: str = "all"

    def __post_init__(self):
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"Definitions.{name} is one of {allowed}, not "
                                 f"{getattr(self, name)!r}")
        window = self.reactivation_window
        if window is not None and (isinstance(window, bool) or not isinstance(window, int)
                                   or window < 0):
            raise ValueError("Definitions.reactivation_window is a number of days (0 or more) "
                             f"or None, not {window!r}")
        d = self.delinquency
        if d not in ("as_read", "keep") and (isinstance(d, bool) or not isinstance(d, int)
                                             or d < 0):
            raise ValueError("Definitions.delinquency is 'as_read', 'keep' or a number of days "
                             f"(0 or more), not {d!r}")
        if isinstance(self.ltv_months, bool) or not isinstance(self.ltv_months, int) or not (
                1 <= self.ltv_months <= 36):
            raise ValueError(f"Definitions.ltv_months is 1 to 36, not {self.ltv_months!r}")
        if not 0 < float(self.gross_margin) <= 1:
            raise ValueError("Definitions.gross_margin is a share above 0 and at most 1, not "
                             f"{self.gross_margin!r}")
        for name in ("quick_ratio_reactivation", "ltv_current_month"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"Definitions.{name} is True or False")

    @classmethod
    def preset(cls, name: str) -> Definitions:
        """The definitions of a tool: one of :data:`DEFINITION_PRESETS`."""
        try:
            return DEFINITION_PRESETS[name]
        except KeyError:
            raise ValueError(f"no preset {name!r}: one of {list(DEFINITION_PRESETS)}") from None

    @property
    def name(self) -> str:
        """The preset these are (``"mrrkit"``, ``"chartmogul"``...), or ``"custom"``."""
        for name, preset in DEFINITION_PRESETS.items():
            if preset == self:
                return name
        return "custom"

    def changes(self, base: Definitions | None = None) -> dict[str, tuple]:
        """The switches set otherwise than in ``base`` (mrrkit's by default): name -> (base's
        value, this one's)."""
        base = Definitions() if base is None else base
        return {f.name: (getattr(base, f.name), getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) != getattr(base, f.name)}

    @property
    def moves_lines(self) -> bool:
        """Whether these definitions change the lines before the movements are computed."""
        return (self.churn_at != "end" or self.pauses != "zero"
                or self.delinquency != "as_read" or self.discounts != "all")


#: What each preset sets and where the vendor says so: preset -> switch -> (value, source).
#: A switch a vendor publishes no rule for keeps mrrkit's value, with "not published".
SOURCES = MappingProxyType({
    "chartmogul": {
        "reactivation_window": (None, "https://help.chartmogul.com/hc/en-us/articles/203299912"
                                " (a previously paying customer that had churned, no window)"),
        "churn_at": ("end", "https://help.chartmogul.com/hc/en-us/articles/203176581-Churn-"
                     "Recognition (end of the service period, the default)"),
        "pauses": ("keep", "https://help.chartmogul.com/hc/en-us/articles/360015688860-Handling-"
                   "paused-subscriptions-in-ChartMogul (Stripe, Chargebee: past due, the "
                   "subscription continues to generate MRR)"),
        "delinquency": ("keep", "https://help.chartmogul.com/article/303-handling-past-due-"
                        "subscriptions (past due until explicitly cancelled, the default)"),
        "same_month_churn": ("exclude", "https://help.chartmogul.com/hc/en-us/articles/"
                             "203359321-Metric-Customer-Churn-rate (excluding customers who both"
                             " joined and churned in the period)"),
        "churn_rate_base": ("start", "same page (customers at start of period)"),
        "quick_ratio_reactivation": (True, "not published (mrrkit's)"),
        "retention": ("customers", "https://help.chartmogul.com/hc/en-us/articles/203359411-"
                      "Cohort-Net-MRR-Retention (a cohort of customers)"),
        "grain": ("event", "https://help.chartmogul.com/hc/en-us/articles/4416682609426-"
                  "Understanding-MRR-movements"),
        "ltv_current_month": (False, "https://help.chartmogul.com/hc/en-us/articles/"
                              "203359061-Chart-Customer-Lifetime-Value-LTV (ARPA / six-month "
                              "trailing average of customer churn, the current month left out)"),
    },
    "baremetrics": {
        "reactivation_window": (None, "https://baremetrics.com/blog/reactivating-subscriptions-"
                                "reactivating-and-resuming-metrics-for-your-subscriptions"),
        "delinquency": (30, "https://help.baremetrics.com/en/articles/5380330-monthly-recurring"
                        "-revenue (delinquent for more than 30 days: churned)"),
        "same_month_churn": ("count", "https://changelog.baremetrics.com/churn-update-4pqo9O "
                             "(sign-up and cancel within the window included)"),
        "churn_rate_base": ("start", "https://help.baremetrics.com/en/articles/5380347-user-and-"
                            "revenue-churn (active customers 30 days ago)"),
        "quick_ratio_reactivation": (False, "https://changelog.baremetrics.com/new-quick-ratio-"
                                     "metric-4ohZDy ((new + expansion) / (contraction + churn))"),
        "retention": ("movements", "https://changelog.baremetrics.com/new-metric-net-revenue-"
                      "retention-2BOJIA (100% - net revenue churn)"),
        "ltv_months": (1, "https://help.baremetrics.com/know-your-metrics/lifetime-value (ARPU /"
                       " user churn rate)"),
        "discounts": ("all", "https://help.baremetrics.com/en/articles/5380330-monthly-recurring-"
                      "revenue (a coupon's amount is removed from MRR)"),
        "churn_at": ("end", "not published (mrrkit's)"),
        "pauses": ("zero", "not published (mrrkit's)"),
    },
    "profitwell": {
        "reactivation_window": (None, "https://www.paddle.com/help/profitwell-metrics/setup/"
                                "configure/csv-export-glossary (churned at some point, then "
                                "signed back up)"),
        "churn_at": ("end", "https://paddle.com/help/profitwell-metrics/measure/subscription-"
                     "retention/churn (MRR recognised until the end of the billing cycle)"),
        "same_month_churn": ("ignore", "https://www.paddle.com/help/profitwell-metrics/measure/"
                             "subscription-retention/are-cancellations-in-the-first-month-"
                             "counted-as-churn (new and churned in the same calendar month: "
                             "ignored from the metrics entirely)"),
        "quick_ratio_reactivation": (False, "ProfitWell's quick ratio article, as copied at "
                                     "http://bssubs.net (new + expansion over churn + "
                                     "contraction)"),
        "pauses": ("state", "https://paddle.com/help/profitwell-metrics/measure/compare/"
                   "profitwell-vs-chargify (on hold: downgraded to $0, not churned)"),
        "retention": ("customers", "not published (mrrkit's)"),
        "ltv_months": (1, "https://learn.profitwell.com/article/xJx5sQX95w-life-time-value "
                       "(roughly ARPU / (1 - retention); its smoothing is not published)"),
    },
    "stripe": {
        "churn_at": ("request", "https://support.stripe.com/questions/impact-of-subscription-"
                     "cancellations-on-monthly-recurring-revenue-mrr-in-billing (no longer counts "
                     "after the time of the API call, not at the end of the period)"),
        "delinquency": ("as_read", "https://docs.stripe.com/billing/subscriptions/analytics/"
                        "glossary (past_due counts; unpaid is churn)"),
        "churn_rate_base": ("start_plus_new", "https://support.stripe.com/questions/calculating"
                            "-subscriber-churn-rate-in-billing (active 30 days ago plus new in "
                            "the 30 days)"),
        "same_month_churn": ("count", "same page (counted in numerator and denominator)"),
        "reactivation_window": (None, "not published (mrrkit's)"),
        "ltv_months": (1, "https://support.stripe.com/questions/calculating-subscriber-lifetime-"
                       "value-in-billing (ARPS / subscriber churn rate)"),
        "grain": ("event", "https://docs.stripe.com/billing/subscriptions/view-metrics (an event"
                  " log of every MRR change)"),
        "discounts": ("recurring", "https://support.stripe.com/questions/impact-of-discounts-"
                      "and-coupons-on-monthly-recurring-revenue-mrr-in-billing (a forever coupon "
                      "applies to MRR, a finite one leaves it unaffected; a newer version of the "
                      "page makes it a setting)"),
    },
    "maxio": {
        "reactivation_window": (90, "https://www.paddle.com/help/profitwell-metrics/measure/"
                                "compare/profitwell-vs-maxio (ProfitWell on Maxio: back within "
                                "90 days a reactivation, after that new)"),
        "churn_at": ("request", "same page (MRR removed at the time of cancellation)"),
        "pauses": ("keep", "same page (on hold: continues to impact MRR as is)"),
        "churn_rate_base": ("start", "https://help.chargify.com/reports/churn-analytics.html "
                            "(churn count / start of period count)"),
        "same_month_churn": ("count", "same page"),
        "retention": ("movements", "same page (net churn MRR over the period's start MRR)"),
    },
    "fincome": {
        "churn_at": ("end", "https://help.fincome.co/en/avancees/framing-revenues-and-mrr-arr/"
                     "manage-calculation-options (end of the last billed period, the default)"),
        "grain": ("month", "https://help.fincome.co/en/understanding-the-numbers/intra-period-"
                  "netting (a snapshot at the period's end; changes within it net out)"),
        "reactivation_window": (None, "https://help.fincome.co/en/understanding-the-numbers/mrr-"
                                "arr-movements (a previously lost customer resumes)"),
        "retention": ("movements", "seed 004 (fincome.co/blog: NRR = (start - downsell - churn +"
                      " upsell) / start)"),
        "churn_rate_base": ("start", "https://help.fincome.co/en/article/churn-recognition-"
                            "1tazl6m/ (customers at the start)"),
        "discounts": ("all", "https://help.fincome.co/en/avancees/framing-revenues-and-mrr-arr/"
                      "manage-calculation-options (all discounts, the default; permanent only is"
                      " a setting)"),
    },
})


def _preset(name: str) -> Definitions:
    values = {k: v for k, (v, _) in SOURCES[name].items()}
    return Definitions(**values)


#: The presets: mrrkit's own definitions and those of the tools users reconcile with.
DEFINITION_PRESETS = MappingProxyType({
    "mrrkit": Definitions(),
    **{name: _preset(name) for name in SOURCES},
})

if len(set(DEFINITION_PRESETS.values())) != len(DEFINITION_PRESETS):  # pragma: no cover
    raise RuntimeError("two presets are the same definitions: name() could not tell them apart")
