"""Sentence encoders: one protocol, two models, a disk cache.

Every encoder maps texts to ``float32 [n, d]`` unit rows and has ``name``
and ``dim`` (see ``encoder_protocol``):

* ``MiniLMEncoder`` -- all-MiniLM-L6-v2, 384-d, local, numpy only;
* ``OpenAIEncoder`` -- text-embedding-3-small, 1536-d (or ``dimensions``);
* ``CachedEncoder`` -- either one behind a content-addressed disk cache.

``default_encoder(mode)`` picks one; ``match_dims`` reproduces the seed's
cut of the GPT vector to the GloVe dimension. Introduced in
02_gpt_embeddings.
"""

from __future__ import annotations

import numpy as np

from . import settings
from .embedding_cache import CachedEncoder
from .encoder_protocol import EncoderError, SentenceEncoder, l2_normalise
from .minilm import EncodeResult, MiniLMEncoder
from .openai_encoder import OpenAIEncoder

__all__ = [
    "CachedEncoder",
    "EncodeResult",
    "EncoderError",
    "MiniLMEncoder",
    "OpenAIEncoder",
    "SentenceEncoder",
    "default_encoder",
    "l2_normalise",
    "match_dims",
]


def default_encoder(
    mode: str = "auto", *, cache_dir: str | None = None
) -> CachedEncoder:
    """The series' encoder, behind the disk cache.

    ``settings.resolve_mode(mode)`` decides: ``online`` gives
    ``OpenAIEncoder()`` (key and base URL from the environment), else
    ``MiniLMEncoder()``. The result's ``.name`` and ``.describe()`` say
    which was picked, without key or URL. Introduced in 02_gpt_embeddings.
    """
    if settings.resolve_mode(mode) == "online":
        inner: SentenceEncoder = OpenAIEncoder()
    else:
        inner = MiniLMEncoder()
    return CachedEncoder(inner, directory=cache_dir)


def match_dims(vector: np.ndarray, d: int) -> np.ndarray:
    """The seed's cut: the first ``d`` coordinates, NOT renormalised.

    ``[..., D] -> float32 [..., d]``: ``v[..., :d]`` when ``d <= D``,
    else ``v`` padded with zeros (which changes no norm or cosine). The
    seed cut the 1536-d GPT vector to GloVe's 300, so its norm printed as
    ``||v[:300]|| ~ 0.50``; call ``l2_normalise`` on the result to get a
    unit vector again. Introduced in 02_gpt_embeddings.
    """
    if d < 1:
        raise ValueError(f"d must be >= 1, got {d}")
    v = np.asarray(vector, dtype=np.float32)
    D = v.shape[-1]
    if d <= D:
        return v[..., :d].copy()
    pad = np.zeros(v.shape[:-1] + (d - D,), dtype=np.float32)
    return np.concatenate([v, pad], axis=-1)
