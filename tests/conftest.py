"""Shared test settings.

``MRRKIT_TODAY`` pins the app's "today" (the default "as of" day of an upload that does not say
when it was exported) to the bundled sample's own day, so that the in-process page tests show
the same figures whatever the day they run. A test that needs another day sets it itself.
"""

import os

#: The sample's export day (its last date); see ``ui.data.today``.
TODAY = "2026-10-31"
os.environ["MRRKIT_TODAY"] = TODAY

#: Small apps the browser and gate tests serve (one raises on purpose): not test modules.
collect_ignore_glob = ["apps/*.py"]
