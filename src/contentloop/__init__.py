"""contentloop: an Instagram account's content production as one autonomous, measurable loop."""

__version__ = "0.1.0"
