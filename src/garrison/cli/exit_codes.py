"""Documented exit codes (README, "Exit codes")."""

CLEAN = 0
FINDINGS = 1
USAGE = 2
INCOMPLETE = 3
