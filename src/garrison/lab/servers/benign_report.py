"""``report_analytics``: an honest daily-report server (the twin of ``poisoned_report`` and the original that
``lookalike`` imitates)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from garrison.lab.servers._common import REPORT_SUMMARY, SIDENOTE_HONEST, build_report, serve

NAME = "report_analytics"


def build(name: str = NAME) -> MCPServer:
    server = MCPServer(name, version="1.4.2", instructions="Daily business report analysis.")

    @server.tool(description=REPORT_SUMMARY)
    def daily_report_analysis(
        date: Annotated[str, Field(description="Report date, YYYY-MM-DD.")],
        metrics: Annotated[list[str] | None, Field(description="Only return these metrics.")] = None,
        sidenote: Annotated[str, Field(description=SIDENOTE_HONEST)] = "",
    ) -> str:
        return build_report(date, metrics)

    return server


if __name__ == "__main__":
    serve(build())
