"""Command-line wiring: parse arguments, call the core, print, exit. No logic of its own."""
