"""admitone: the shared layer (domain, services, adapters) of every function."""
