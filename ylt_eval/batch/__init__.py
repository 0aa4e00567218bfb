"""Batch rendering: plan, execute each report in its own warm forked process (locally or on
Dask), write outputs atomically, keep a manifest for resuming, and build the index page."""
