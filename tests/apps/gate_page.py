"""A minimal page behind the access gate, driven by tests/server/test_gate.py through AppTest.

The guard keeps pytest's doctest collection (which imports every module under tests/) from
running it; Streamlit runs scripts as ``__main__``.
"""

if __name__ == "__main__":
    import streamlit as st

    from ui.gate import logout_button, require_access

    require_access()
    with st.sidebar:
        logout_button()
    st.write("secret")
