"""HTTP edge: the shared resolver and problem+json mapping."""
