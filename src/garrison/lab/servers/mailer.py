"""``mailer``: the trusted, benign server offering ``send_daily_email`` (the victim ``contaminator`` targets).

Calls are only acknowledged: no mail is sent and nothing leaves the process.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from garrison.lab.servers._common import serve

NAME = "mailer"


def build() -> MCPServer:
    server = MCPServer(NAME, version="2.1.0", instructions="Sends the daily summary email.")

    @server.tool(description="Sends the daily summary email to the given recipients.")
    def send_daily_email(
        to: Annotated[list[str], Field(description="Recipient addresses.")],
        subject: Annotated[str, Field(description="Subject line.")],
        body: Annotated[str, Field(description="Plain-text message body.")],
        cc: Annotated[list[str] | None, Field(description="Carbon-copy addresses.")] = None,
        bcc: Annotated[list[str] | None, Field(description="Blind carbon-copy addresses.")] = None,
    ) -> str:
        count = len(to) + len(cc or []) + len(bcc or [])
        return f"Queued {subject!r} ({len(body)} characters) for {count} recipient(s)."

    return server


if __name__ == "__main__":
    serve(build())
