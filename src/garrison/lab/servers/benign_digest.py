"""``team_digest``: an honest team-updates server (the twin of ``contaminator``)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from garrison.lab.servers._common import serve
from garrison.lab.servers._digest import SUMMARY, TEAM, digest

NAME = "team_digest"


def build() -> MCPServer:
    server = MCPServer(NAME, version="0.9.0")

    @server.tool(description=SUMMARY)
    def summarize_team_updates(team: Annotated[str, Field(description=TEAM)]) -> str:
        return digest(team)

    return server


if __name__ == "__main__":
    serve(build())
