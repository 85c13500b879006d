"""Cheap scalar draws for the per-event Python loops of the simulation.

numpy's ``Generator`` is fast for arrays but slow for single values (``integers`` and
``choice(p=…)`` cost microseconds each, and the large demo makes millions of them).
``Stream`` pre-draws blocks of uniforms from a seeded generator and hands them out one
by one, so a scalar draw costs about as much as a list lookup. The stream is as
deterministic as the generator it wraps: same seed, same sequence.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

import numpy as np

BLOCK = 1 << 16


def cumulative(probs: Sequence[float]) -> list[float]:
    total = float(sum(probs))
    return [float(c) / total for c in accumulate(probs)]


class Stream:
    """Scalar uniform, integer, categorical and normal draws from pre-drawn blocks."""

    __slots__ = ("gen", "_next", "_cum")

    def __init__(self, gen: np.random.Generator) -> None:
        self.gen = gen
        self._next = iter(()).__next__
        self._cum: dict[Any, list[float]] = {}

    def random(self) -> float:
        try:
            return self._next()
        except StopIteration:
            self._next = iter(self.gen.random(BLOCK).tolist()).__next__
            return self._next()

    def integers(self, low: int, high: int | None = None) -> int:
        """An integer in ``[low, high)`` (``[0, low)`` with one argument)."""
        if high is None:
            return int(self.random() * low)
        return low + int(self.random() * (high - low))

    def below(self, n: int) -> int:
        """An index in ``[0, n)``."""
        return int(self.random() * n)

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def weighted(self, probs: tuple[float, ...]) -> int:
        """An index drawn with the given probabilities (a short tuple: its cumulative sums are cached)."""
        cum = self._cum.get(probs)
        if cum is None:
            cum = self._cum[probs] = cumulative(probs)
        return min(bisect_right(cum, self.random()), len(cum) - 1)

    def draw(self, cum: list[float]) -> int:
        """An index drawn from cumulative probabilities made by ``cumulative``."""
        return min(bisect_right(cum, self.random()), len(cum) - 1)

    def weighted_sample(self, weights: Sequence[float], k: int) -> list[int]:
        """``k`` distinct indexes drawn one after the other with probabilities proportional to ``weights``."""
        w = [float(x) for x in weights]
        out: list[int] = []
        for _ in range(min(k, len(w))):
            u = self.random() * sum(w)
            j, acc = 0, w[0]
            while acc <= u and j < len(w) - 1:
                j += 1
                acc += w[j]
            while w[j] == 0.0:  # rounding at the end of the list
                j -= 1
            out.append(j)
            w[j] = 0.0
        return out

    def sample(self, n: int, k: int) -> list[int]:
        """``k`` distinct indexes of ``range(n)`` in random order."""
        k = min(k, n)
        if 3 * k >= n:
            idx = list(range(n))
            for j in range(k):
                t = j + int(self.random() * (n - j))
                idx[j], idx[t] = idx[t], idx[j]
            return idx[:k]
        seen: set[int] = set()
        out: list[int] = []
        while len(out) < k:
            t = int(self.random() * n)
            if t not in seen:
                seen.add(t)
                out.append(t)
        return out

    def poisson(self, lam: float) -> int:
        if lam > 30:
            return int(self.gen.poisson(lam))
        limit, k, prod = math.exp(-lam), 0, self.random()
        while prod > limit:
            k += 1
            prod *= self.random()
        return k

    def normal(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        # Box–Muller on two uniforms (1 - u keeps the logarithm finite).
        u1, u2 = 1.0 - self.random(), self.random()
        return mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def lognormal(self, mu: float, sigma: float) -> float:
        return math.exp(self.normal(mu, sigma))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()
