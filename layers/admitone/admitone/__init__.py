"""admitone: the shared layer (domain, services, adapters) of every function."""

# The project's version (pyproject.toml; tests/contract keeps the two equal): the
# release errors are reported under unless the deployment names one.
__version__ = "0.1.0"
