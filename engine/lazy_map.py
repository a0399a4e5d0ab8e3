"""A read-only mapping whose values are built on first access.

The engine keeps one spaCy pipeline per language, but most processes only ever see one
language: building each on the first text in that language halves start-up. Building is
locked, so two threads asking for the same language build it once.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterator, Mapping, TypeVar

__all__ = ["LazyMap"]

K = TypeVar("K")
V = TypeVar("V")


class LazyMap(Mapping[K, V]):
    """`LazyMap({key: builder})`: `m[key]` calls `builder()` once and keeps the result."""

    def __init__(self, builders: Mapping[K, Callable[[], V]]):
        self._builders = dict(builders)
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: K) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        builder = self._builders[key]  # KeyError for an unknown key, as a dict
        with self._lock:
            if key not in self._values:
                self._values[key] = builder()
        return self._values[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)

    def built(self) -> tuple[K, ...]:
        """Keys whose value exists already (for tests and warm-up checks)."""
        return tuple(self._values)
