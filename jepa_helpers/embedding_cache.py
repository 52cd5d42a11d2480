"""A content-addressed disk cache around any sentence encoder.

One file per vector, named by ``sha256(encoder name, model, dim, text)``.
A file holds ``magic | dim | float32 [dim] | sha256`` (the checksum also
covers the key), is written to a temp file in the same folder and then
``os.replace``-d into place, so readers and concurrent writers only ever
see whole entries. An entry that fails any check (size, magic, dim,
checksum, NaN/inf) is recomputed and rewritten, never returned.
Introduced in 02_gpt_embeddings.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from . import settings
from .encoder_protocol import EncoderError, SentenceEncoder, check_texts

MAGIC = b"JEPAEMB1"
_HEADER = struct.Struct("<8sI")  # magic, dim


def cache_key(encoder: SentenceEncoder, text: str) -> str:
    """Hex ``sha256`` of ``[name, model, dim, text]`` as JSON.

    Introduced in 02_gpt_embeddings.
    """
    model = getattr(encoder, "model", encoder.name)
    payload = json.dumps(
        [encoder.name, model, int(encoder.dim), text], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _pack(key: str, vector: np.ndarray) -> bytes:
    body = (
        _HEADER.pack(MAGIC, vector.shape[0]) + vector.astype("<f4").tobytes()
    )
    return body + hashlib.sha256(key.encode() + body).digest()


def _unpack(key: str, raw: bytes, dim: int) -> np.ndarray | None:
    """The stored ``[dim]`` vector, or ``None`` if the entry is damaged."""
    if len(raw) != _HEADER.size + 4 * dim + 32:
        return None
    body, digest = raw[:-32], raw[-32:]
    magic, stored_dim = _HEADER.unpack_from(body)
    if magic != MAGIC or stored_dim != dim:
        return None
    if hashlib.sha256(key.encode() + body).digest() != digest:
        return None
    v = np.frombuffer(body, dtype="<f4", offset=_HEADER.size)
    if not np.all(np.isfinite(v)):
        return None
    return v.astype(np.float32)


class CachedEncoder:
    """``encoder`` plus a disk cache; only misses reach ``encoder``.

    Per ``encode`` call the distinct texts are looked up; the misses go to
    ``encoder.encode`` in ONE call (which batches its own requests).
    Counters: ``hits`` and ``misses`` (distinct texts), ``damaged``
    (entries found broken and recomputed), ``calls`` (calls made to the
    wrapped encoder). Introduced in 02_gpt_embeddings.
    """

    def __init__(
        self, encoder: SentenceEncoder, directory: str | Path | None = None
    ) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.dim = encoder.dim
        self.model = getattr(encoder, "model", encoder.name)
        self.directory = (
            Path(directory)
            if directory is not None
            else settings.cache_dir("embeddings")
        )
        self.hits = self.misses = self.damaged = self.calls = 0

    def describe(self) -> str:
        """The wrapped encoder's line, plus ``, disk cache``."""
        return f"{self.encoder.describe()}, disk cache"

    def stats(self) -> dict[str, int]:
        """``{"hits", "misses", "damaged", "calls"}`` so far."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "damaged": self.damaged,
            "calls": self.calls,
        }

    def path_for(self, text: str) -> Path:
        """Where the vector of ``text`` lives (``<dir>/ab/abcd….emb``)."""
        key = cache_key(self.encoder, text)
        return self.directory / key[:2] / f"{key}.emb"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` -> float32 ``[n, dim]``, reading/writing the cache.

        Introduced in 02_gpt_embeddings.
        """
        texts = check_texts(texts)
        found: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            v = self._read(text)
            if v is None:
                missing.append(text)
            else:
                found[text] = v
        self.hits += len(found)
        self.misses += len(missing)
        if missing:
            self.calls += 1
            fresh = np.asarray(self.encoder.encode(missing), dtype=np.float32)
            if fresh.shape != (len(missing), self.dim):
                raise EncoderError(
                    f"{self.name} returned shape {fresh.shape}, expected "
                    f"{(len(missing), self.dim)}"
                )
            for text, v in zip(missing, fresh, strict=True):
                self._write(text, v)
                found[text] = v
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = found[text]
        return out

    def _read(self, text: str) -> np.ndarray | None:
        path = self.path_for(text)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        v = _unpack(path.stem, raw, self.dim)
        if v is None:
            self.damaged += 1
        return v

    def _write(self, text: str, vector: np.ndarray) -> None:
        """Write atomically: temp file in the same folder, then replace."""
        path = self.path_for(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=".tmp-", suffix=".emb"
        )
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_pack(path.stem, vector))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
