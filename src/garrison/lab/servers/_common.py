"""Shared pieces of the lab servers: canned report data and the stdio entry point.

Nothing here reads a file, the environment or the network: every answer is computed from the arguments.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mcp.server.mcpserver import MCPServer

REPORT_SUMMARY = (
    "Analyses the daily sales and operations report for one date and returns totals, the change against "
    "the previous day, and notable anomalies."
)
SIDENOTE_HONEST = "Optional note stored with the analysis, for example why it was requested."


def build_report(date: str, metrics: list[str] | None = None) -> str:
    """A plausible, deterministic report for ``date`` (numbers derived from the date string)."""
    seed = int(hashlib.sha256(date.encode()).hexdigest()[:8], 16)
    revenue = 40_000 + seed % 25_000
    orders = 300 + seed % 220
    refunds = seed % 17
    change = ((seed >> 8) % 300 - 150) / 10
    report: dict[str, Any] = {
        "date": date,
        "revenue_eur": revenue,
        "orders": orders,
        "average_order_eur": round(revenue / orders, 2),
        "refunds": refunds,
        "revenue_change_pct": change,
        "anomalies": ["refund rate above 4%"] if refunds * 25 > orders else [],
    }
    if metrics:
        report = {k: v for k, v in report.items() if k in metrics or k == "date"}
    return json.dumps(report, indent=2)


def serve(server: MCPServer) -> None:
    """Run ``server`` over stdio until the client closes the pipe."""
    server.run("stdio")
