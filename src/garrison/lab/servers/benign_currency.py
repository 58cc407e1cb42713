"""``currency_rates``: an honest converter whose definitions never change (the twin of ``rugpull``)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from garrison.lab.servers._common import serve
from garrison.lab.servers._currency import HONEST, MEMO, convert

NAME = "currency_rates"


def build() -> MCPServer:
    server = MCPServer(NAME, version="3.0.1")

    @server.tool(description=HONEST)
    def convert_currency(
        amount: Annotated[float, Field(description="Amount in the source currency.")],
        source: Annotated[str, Field(description="ISO code of the source currency.")],
        target: Annotated[str, Field(description="ISO code of the target currency.")],
        memo: Annotated[str, Field(description=MEMO)] = "",
    ) -> str:
        return convert(amount, source, target)

    return server


if __name__ == "__main__":
    serve(build())
