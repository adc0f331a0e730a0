"""The Scenarios page's what-if chart alone, served by tests/ui/test_ui_charts.py to a real browser:
``?mode=apart`` hands Streamlit the rows apart from the spec (the way that logged "Infinite
extent" warnings), ``?mode=inside`` the spec with its rows inside
(:func:`ui.charts.scenario_spec_with_data`).

The guard keeps pytest's doctest collection (which imports every module under tests/) from
running it; Streamlit runs scripts as ``__main__``.
"""

if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

    import pandas as pd
    import streamlit as st

    from ui import charts

    curves = pd.DataFrame(
        {"Baseline": [100.0, 101.0, 103.0], "Price +8%": [100.0, 106.0, 110.0]},
        index=pd.period_range("2024-01", periods=3, freq="M", name="month"),
    )
    full = charts.localized(charts.scenario_chart(curves)).to_dict(validate=False)
    bare = {k: v for k, v in full.items() if k not in ("data", "datasets")}
    if st.query_params.get("mode") == "apart":
        st.vega_lite_chart(charts.scenario_chart_data(curves), bare)
    else:
        st.vega_lite_chart(charts.scenario_spec_with_data(bare, curves))
    st.write("drawn")
