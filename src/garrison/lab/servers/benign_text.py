"""``text_tools``: honest text utilities (the twin of ``hidden``)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from garrison.lab.servers._common import serve
from garrison.lab.servers._text import FORMAT, TRANSLATE, format_table, translate

NAME = "text_tools"


def build() -> MCPServer:
    server = MCPServer(NAME, version="1.0.0")

    @server.tool(name="translate_text", description=TRANSLATE)
    def translate_text(
        text: Annotated[str, Field(description="Text to translate.")],
        target_language: Annotated[str, Field(description="Language code, for example fr or de.")],
    ) -> str:
        return translate(text, target_language)

    @server.tool(name="format_table", description=FORMAT)
    def format_rows(
        rows: Annotated[list[list[str]], Field(description="Table rows, first row is the header.")],
    ) -> str:
        return format_table(rows)

    return server


if __name__ == "__main__":
    serve(build())
