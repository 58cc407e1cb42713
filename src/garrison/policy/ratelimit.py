"""Rate-limit counters: sliding windows and token buckets over an injected clock (pure, deterministic).

:class:`RateState` is the only mutable part of rate limiting. The engine first asks :meth:`RateState.allows`
for every limit that applies, and only when the call goes ahead does it :meth:`RateState.take` one unit from
each, so a refused call never uses up the budget. A clock that goes backwards never refills a bucket or
empties a window early. The number of counters is bounded; when the bound is reached, idle counters are
dropped, and if none is idle new keys are refused (fail closed) rather than old ones forgotten.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from garrison.policy.spec import RateLimit

__all__ = ["MAX_COUNTERS", "RateState"]

MAX_COUNTERS = 65_536
RateKey = tuple[str, ...]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


@dataclass(slots=True)
class RateState:
    """Counters keyed by limit name and the limit's ``per`` values. Share one across sessions to limit an
    identity or a server as a whole; give each session its own to limit per session."""

    windows: dict[RateKey, deque[float]] = field(default_factory=dict)
    buckets: dict[RateKey, _Bucket] = field(default_factory=dict)
    max_counters: int = MAX_COUNTERS

    @staticmethod
    def key(limit: RateLimit, server: str, tool: str, identity: str) -> RateKey:
        parts = {"server": server, "tool": tool, "identity": identity}
        return (limit.name, *(parts[p] for p in limit.per))

    def _full(self, now: float, limits_by_name: dict[str, RateLimit]) -> bool:
        if len(self.windows) + len(self.buckets) < self.max_counters:
            return False
        for key in [k for k, times in self.windows.items() if _idle(times, limits_by_name.get(k[0]), now)]:
            del self.windows[key]
        for key in [k for k, b in self.buckets.items() if _refilled(b, limits_by_name.get(k[0]), now)]:
            del self.buckets[key]
        return len(self.windows) + len(self.buckets) >= self.max_counters

    def allows(self, limit: RateLimit, key: RateKey, now: float, limits_by_name: dict[str, RateLimit]) -> bool:
        """Whether one more call fits. Does not change the counts (except to forget expired entries)."""
        if limit.algorithm == "token_bucket":
            bucket = self.buckets.get(key)
            if bucket is None:
                return not self._full(now, limits_by_name)
            return _level(bucket, limit, now) >= 1.0
        times = self.windows.get(key)
        if times is None:
            return not self._full(now, limits_by_name)
        while times and times[0] <= now - limit.window:
            times.popleft()
        return len(times) < limit.calls

    def take(self, limit: RateLimit, key: RateKey, now: float) -> None:
        """Count one call (after :meth:`allows` said it fits)."""
        if limit.algorithm == "token_bucket":
            bucket = self.buckets.get(key)
            level = _capacity(limit) if bucket is None else _level(bucket, limit, now)
            stamp = now if bucket is None else max(now, bucket.stamp)
            self.buckets[key] = _Bucket(level - 1.0, stamp)
            return
        times = self.windows.setdefault(key, deque(maxlen=limit.calls))
        times.append(max(now, times[-1]) if times else now)

    def reset(self) -> None:
        self.windows.clear()
        self.buckets.clear()


def _capacity(limit: RateLimit) -> float:
    return float(limit.burst if limit.burst is not None else limit.calls)


def _level(bucket: _Bucket, limit: RateLimit, now: float) -> float:
    elapsed = max(0.0, now - bucket.stamp)
    return min(_capacity(limit), bucket.tokens + elapsed * limit.calls / limit.window)


def _refilled(bucket: _Bucket, limit: RateLimit | None, now: float) -> bool:
    return limit is None or _level(bucket, limit, now) >= _capacity(limit)



def _idle(times: deque[float], limit: RateLimit | None, now: float) -> bool:
    return limit is None or not times or times[-1] <= now - limit.window
