"""streamconf: a Git-backed compiler for event stream configuration."""

__version__ = "0.1.0"
GENERATOR = f"streamconf {__version__}"
