"""Host tooling that builds, tests and publishes the Monasca images."""

__version__ = "0.1.0"
