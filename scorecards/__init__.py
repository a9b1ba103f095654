"""Earnings scorecards: YAML in, HTML and PDF out."""

__version__ = "0.1.0"
