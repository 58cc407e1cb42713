"""Garrison: an offline-first security platform for the Model Context Protocol."""

__version__ = "0.1.0"
