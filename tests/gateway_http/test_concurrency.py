"""Many client sessions at once over the shared upstream sessions: nothing lost, nothing misrouted.

50 sessions × 100 calls here (the 50 × 1,000 run is ``bench/bench_gateway.py --sessions 50 --calls 1000``).
"""

from __future__ import annotations

import anyio
import pytest
from client import session, text_of
from gateway_http_support import TOKEN, Gateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SESSIONS = 50
CALLS = 100


def test_concurrent_sessions_get_their_own_answers_from_the_right_upstream(two_stdio_one_http: Gateway) -> None:
    wrong: list[tuple[str, str]] = []
    done = [0]

    async def one_session(index: int) -> None:
        async with session(two_stdio_one_http.url, TOKEN) as client:
            for call in range(CALLS):
                server = ("one", "two", "web")[(index + call) % 3]
                token = f"{server}:{index}:{call}"
                got = text_of(await client.call_tool(f"{server}__echo", {"text": token}))
                if got != token:
                    wrong.append((token, got))
                done[0] += 1

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for index in range(SESSIONS):
                tg.start_soon(one_session, index)

    anyio.run(main)
    assert wrong == []
    assert done[0] == SESSIONS * CALLS


def test_each_upstream_served_its_share_once(two_stdio_one_http: Gateway) -> None:
    async def main() -> set[str]:
        async with session(two_stdio_one_http.url, TOKEN) as client:
            async with anyio.create_task_group() as tg:
                seen: set[str] = set()

                async def who(server: str) -> None:
                    seen.add(f"{server}={text_of(await client.call_tool(f'{server}__who', {}))}")

                for server in ("one", "two", "web") * 10:
                    tg.start_soon(who, server)
            return seen

    assert anyio.run(main) == {"one=one", "two=two", "web=web"}
