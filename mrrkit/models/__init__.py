"""Models: the shifted-beta-geometric retention model (:mod:`.sbg`), its fit to the data
(:mod:`.retention_fit`) and per segment (:mod:`.segment_fits`), the MRR forecast (its inputs
estimated once in :mod:`.forecast_inputs`, projected in :mod:`.forecast`) and the what-if
scenarios built on it (:mod:`.scenarios`)."""
