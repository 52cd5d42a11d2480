"""A word -> row table that lives in numpy arrays (memory-mappable).

A Python dict of GloVe's 400 000 words costs about 50 MB and a second to
build on every start; this table is three arrays written once into the
cache and memory-mapped afterwards, so opening it costs milliseconds and
almost no resident memory. Looked-up words are memoised in a small dict,
so repeated lookups run at dict speed.

Layout: ``blob`` (uint8, all words UTF-8 encoded back to back),
``offsets`` ``[V + 1]`` (word ``r`` is ``blob[offsets[r]:offsets[r+1]]``)
and ``slots`` ``[S]`` (open addressing with linear probing on
``crc32(word)``, ``-1`` = empty, ``S`` a power of two >= 2V).

Introduced in 01_tokenising_and_loading_glove.
"""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np

_MEMO_LIMIT = 1_000_000


def first_occurrences(words: Sequence[str]) -> np.ndarray:
    """Indices of the first occurrence of each distinct word, in order.

    glove.840B repeats some words; the first row of a word wins, as in
    gensim and in the seed's dict loader (which kept the *last* one; the
    first is the more frequent in a frequency-ordered file).
    """
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        seen.setdefault(w, i)
    if len(seen) == len(words):
        return np.arange(len(words), dtype=np.int64)
    return np.fromiter(seen.values(), dtype=np.int64, count=len(seen))


def build_arrays(words: Sequence[str]):
    """Build ``(blob, offsets, slots)`` for distinct ``words``.

    Word ``r`` of the list maps to matrix row ``r``. Returns numpy arrays
    ready to save.
    """
    encoded = [w.encode("utf-8") for w in words]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(words))
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    hashes = np.fromiter(
        (zlib.crc32(b) for b in encoded), dtype=np.int64, count=len(words)
    )
    size = 1 << max(4, int(2 * len(words)).bit_length())
    return blob, offsets, _place(hashes, size)


def _place(hashes: np.ndarray, size: int) -> np.ndarray:
    """Vectorised linear probing: insert every key in rounds.

    In each round every pending key tries its next slot; among the keys
    that hit a free slot, one per slot wins, the rest probe further. A key
    placed at probe offset ``p`` saw slots ``h .. h+p-1`` taken, so a
    lookup that probes from ``h`` finds it before any empty slot.
    """
    mask = size - 1
    slots = np.full(size, -1, dtype=np.int64)
    pending = np.arange(hashes.size)
    offset = np.zeros(hashes.size, dtype=np.int64)
    while pending.size:
        want = (hashes[pending] + offset[pending]) & mask
        free = slots[want] == -1
        _, first = np.unique(want[free], return_index=True)
        winners = pending[free][first]
        slots[want[free][first]] = winners
        placed = np.zeros(hashes.size, dtype=bool)
        placed[winners] = True
        pending = pending[~placed[pending]]
        offset[pending] += 1
    return slots


class Vocabulary:
    """Word -> row lookups over ``(blob, offsets, slots)`` arrays."""

    def __init__(
        self, blob: np.ndarray, offsets: np.ndarray, slots: np.ndarray
    ) -> None:
        self._blob = blob
        self._offsets = offsets
        self._slots = slots
        self._mask = slots.size - 1
        self._memo: dict[str, int] = {}

    def __len__(self) -> int:
        return int(self._offsets.size - 1)

    def _bytes(self, r: int) -> bytes:
        return self._blob[self._offsets[r] : self._offsets[r + 1]].tobytes()

    def row(self, word: str) -> int:
        """Row of ``word``, or ``-1`` when it is not in the table."""
        hit = self._memo.get(word)
        if hit is not None:
            return hit
        key = word.encode("utf-8", "surrogatepass")
        slot = zlib.crc32(key) & self._mask
        found = -1
        while True:
            r = int(self._slots[slot])
            if r == -1:
                break
            if self._bytes(r) == key:
                found = r
                break
            slot = (slot + 1) & self._mask
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[word] = found
        return found

    def rows_of(self, words: Sequence[str]) -> np.ndarray:
        """Rows of ``words`` as int64 ``[len(words)]``, ``-1`` if unknown."""
        row = self.row
        out = list(map(self._memo.get, words))
        for n, r in enumerate(out):
            if r is None:
                out[n] = row(words[n])
        return np.asarray(out, dtype=np.int64)

    def word(self, r: int) -> str:
        """The word at row ``r``."""
        return self._bytes(r).decode("utf-8")

    def words(self, start: int = 0, stop: int | None = None) -> list[str]:
        """Words of rows ``start..stop`` as strings."""
        stop = len(self) if stop is None else min(stop, len(self))
        b = self._blob[self._offsets[start] : self._offsets[stop]].tobytes()
        cuts = self._offsets[start : stop + 1] - self._offsets[start]
        cuts = cuts.tolist()
        return [b[a:z].decode("utf-8") for a, z in zip(cuts, cuts[1:])]
