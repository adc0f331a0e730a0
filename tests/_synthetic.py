"""A small seeded simulator of subscription lines for the model tests (not the bundled sample).

Customers arrive each month, churn with their own monthly probability drawn from
Beta(alpha, beta) (an sBG population), and while alive may upgrade their plan, add seats, add an
add-on product or downgrade; every change ends the running line and starts a new one the same
day. Lines carry ``plan``, ``product``, ``quantity`` and ``segment`` columns.
"""

from functools import lru_cache

import numpy as np
import pandas as pd

PLANS = {"basic": 50.0, "pro": 150.0, "enterprise": 400.0}
ADDON_PRICE = 30.0


@lru_cache(maxsize=8)  # shared by the test modules of one run; callers must not modify it
def simulate_lines(months=36, new_per_month=40, alpha=0.8, beta=6.0, upgrade_p=0.02,
                   seat_p=0.02, addon_p=0.01, downgrade_p=0.01, growth=0.01,
                   start="2022-01-01", seed=0):
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start)
    end_of_data = first + pd.DateOffset(months=months)
    rows = []
    cid = 0
    for mo in range(months):
        month_start = first + pd.DateOffset(months=mo)
        n = rng.poisson(new_per_month * (1 + growth) ** mo)
        for _ in range(n):
            cid += 1
            name = f"c{cid:05d}"
            theta = rng.beta(alpha, beta)
            segment = rng.choice(["smb", "mid"], p=[0.7, 0.3])
            plan = rng.choice(list(PLANS), p=[0.6, 0.3, 0.1])
            qty = int(rng.integers(1, 4))
            addon = False
            day = month_start + pd.Timedelta(days=int(rng.integers(0, 28)))
            line_start = day
            # monthly renewal steps
            t = day
            while True:
                nxt = t + pd.DateOffset(months=1)
                if nxt > end_of_data:
                    rows.append((name, line_start, None, plan, qty, addon, segment))
                    break
                if rng.random() < theta:
                    rows.append((name, line_start, nxt, plan, qty, addon, segment))
                    break
                changed = False
                new_plan, new_qty, new_addon = plan, qty, addon
                order = list(PLANS)
                if rng.random() < upgrade_p and plan != "enterprise":
                    new_plan = order[order.index(plan) + 1]
                    changed = True
                elif rng.random() < seat_p:
                    new_qty = qty + 1
                    changed = True
                elif rng.random() < addon_p and not addon:
                    new_addon = True
                    changed = True
                elif rng.random() < downgrade_p:
                    if plan != "basic":
                        new_plan = order[order.index(plan) - 1]
                    elif qty > 1:
                        new_qty = qty - 1
                    changed = new_plan != plan or new_qty != qty
                if changed:
                    rows.append((name, line_start, nxt, plan, qty, addon, segment))
                    plan, qty, addon = new_plan, new_qty, new_addon
                    line_start = nxt
                t = nxt
    out = []
    for name, s, e, plan, qty, addon, segment in rows:
        out.append((name, s, e, PLANS[plan] * qty, plan, "core", qty, segment))
        if addon:
            out.append((name, s, e, ADDON_PRICE, "addon", "reports", 1, segment))
    columns = ["customer_id", "start", "end", "mrr", "plan", "product", "quantity", "segment"]
    lines = pd.DataFrame(out, columns=columns)
    lines["start"] = pd.to_datetime(lines["start"])
    lines["end"] = pd.to_datetime(lines["end"])
    return lines, end_of_data - pd.Timedelta(days=1)
