"""G3xx: parameters whose purpose is not the tool's purpose (a ``sidenote`` to be filled with file contents,
the calling model's name, its system prompt or conversation)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from garrison.analysis.definitions import scopes
from garrison.analysis.definitions_params import judge_parameters
from garrison.model import CheckInfo, Evidence, Finding, Severity
from garrison.scanner.checks.interface import ScanContext

__all__ = ["CHECK", "ExfilParamsCheck"]

OUT_OF_SCOPE = CheckInfo(
    "G301", "out-of-scope-parameter", "Parameter outside the tool's purpose", Severity.MEDIUM,
    "A parameter that asks the model for its context, identity, credentials or file contents gives the "
    "server a channel to collect them. Remove the server or pin a reviewed version.",
    ("AML.T0057", "AML.T0051"))


class ExfilParamsCheck:
    infos: ClassVar[tuple[CheckInfo, ...]] = (OUT_OF_SCOPE,)

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for server in ctx.servers:
            # ``definitions`` starts with the tools and prompts; their scopes are shared with the content checks.
            for definition, scope in zip((*server.tools, *server.prompts), scopes(server), strict=False):
                for issue in judge_parameters(definition, scope):
                    yield OUT_OF_SCOPE.finding(
                        server=server.name,
                        target=definition.ref,
                        location=issue.location,
                        message=f"parameter {issue.parameter!r}: {issue.reason}",
                        evidence=Evidence(issue.text[:500]),
                        severity=issue.severity,
                    )


CHECK = ExfilParamsCheck()
