"""mrrkit: subscription revenue analytics. Run with `make run` (or `streamlit run app.py`).

The entry point of every page: Streamlit's navigation picks the page from the URL path (the
Overview is ``/``, ``pages/1_Movements.py`` is ``/Movements``...), the frame every page shares is
built here once per run -- the access gate, a shared view to open, the URL state, the sidebar
(menu, data source, "as of" day, period, filters, language, link, Share) -- then the page script
runs and reads what was built (``shell.context()``; see :mod:`ui.shell`).
"""

from ui import shell, state

info, page = shell.navigation()
with state.batched():  # the URL written once per run: one browser history entry (ui.state)
    shell.build(info)
    page.run()
