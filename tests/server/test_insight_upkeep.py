"""The insight upkeep job (server/insight_upkeep.py): it runs the service's maintain again and
again, and a failure does not end it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from rooms.insight.insight import Insight
from server.api.contexts import Contexts
from server.insight_upkeep import maintain_forever


class FlakyInsight:
    def __init__(self) -> None:
        self.calls = 0
        self.third = asyncio.Event()

    async def maintain(self) -> dict[str, float]:
        self.calls += 1
        if self.calls == 3:
            self.third.set()
        if self.calls == 1:
            raise RuntimeError("the database went away for a moment")
        return {"rollup_s": 0.0}


async def test_the_job_keeps_maintaining_after_a_failure() -> None:
    insight = FlakyInsight()
    contexts = Contexts(insight=cast(Insight, cast(Any, insight)))
    job = asyncio.create_task(maintain_forever(contexts, first_after=0, interval=0))
    await asyncio.wait_for(insight.third.wait(), timeout=10)
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job
    assert insight.calls >= 3
