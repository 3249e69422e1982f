"""Use cases: one module per use case, driven by handlers and jobs."""
