"""What the hosted app keeps and decides on the server, without Streamlit (nothing here imports
it; the pages around it are in ``ui``):

- :mod:`server.view_store`: shared views (``?view=<token>`` links) and what a browser keeps,
  stored under unguessable tokens with quotas and expiry;
- :mod:`server.access`: what the access gate enforces (configuration, the shared password's hash
  and check, the OIDC allow-list; ``python -m server.access hash``);
- :mod:`server.throttle`: the lock-out that slows down password guessing;
- :mod:`server.browsers`: what the server remembers per browser (let in lately, so it may
  upload; where it was going before signing in);
- :mod:`server.shared_states`: the bounded per-key states of the server process behind them;
- :mod:`server.environment`: numbers read from environment variables.
"""
