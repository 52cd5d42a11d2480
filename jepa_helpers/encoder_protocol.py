"""What every sentence encoder promises, and the one error it raises.

An encoder maps ``n`` texts to ``float32 [n, d]`` rows of unit L2 norm
and carries ``name`` (what made the vectors, used as a cache key) and
``dim`` (``d``). Introduced in 02_gpt_embeddings.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class SentenceEncoder(Protocol):
    """``encode(texts) -> float32 [n, d]``, each row with ``||s|| = 1``.

    Introduced in 02_gpt_embeddings.
    """

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` (``n`` strings) as ``float32 [n, dim]``."""
        ...

    def describe(self) -> str:
        """One line saying what this encoder is (no key, no URL)."""
        ...


class EncoderError(RuntimeError):
    """An encoder could not produce vectors (API error, bad response).

    ``status_code`` is the HTTP status when there was one, else ``None``.
    Introduced in 02_gpt_embeddings.
    """

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows divided by their L2 norm: ``v / max(||v||, 1e-12)``.

    ``[n, d] -> float32 [n, d]``. Introduced in 02_gpt_embeddings.
    """
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norms, np.float32(1e-12))


def check_texts(texts: list[str]) -> list[str]:
    """Return ``texts`` as a list, or raise ``TypeError`` naming the index.

    A bare ``str`` is refused (it would be embedded letter by letter).
    Introduced in 02_gpt_embeddings.
    """
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of strings, not one string")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be str, got {type(t).__name__}")
    return texts
