"""Adapters: the only modules that talk to AWS, Stripe or the filesystem."""
