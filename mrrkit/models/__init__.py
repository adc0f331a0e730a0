"""Models: the shifted-beta-geometric retention model, its per-cohort and per-segment fits,
the MRR forecast and the what-if scenarios built on it."""
