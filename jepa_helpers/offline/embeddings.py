"""``POST /v1/embeddings`` served by the local MiniLM sentence encoder.

Input: a string or a list of strings (token arrays get a 400: the local
encoder has its own WordPiece tokenizer, so OpenAI token ids mean
nothing to it). ``dimensions`` keeps the first d components and
renormalises (Matryoshka-style truncation, as text-embedding-3 does);
``encoding_format`` is ``float`` or ``base64`` (little-endian float32,
what the SDK asks for by default). The body's ``model`` names the
encoder that really made the vectors, whatever the request asked for.
Without the encoder the endpoint answers 503.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import base64
import re
import threading
from typing import Any

import numpy as np

from . import errors

KNOWN = frozenset(("model", "input", "dimensions", "encoding_format", "user"))
MAX_INPUTS = 2048
MAX_TOKENS = 8192
_TOKEN = re.compile(r"\w+|[^\w\s]")
_load_lock = threading.Lock()
_encode_lock = threading.Lock()
_encoder: Any = None


def load_encoder() -> Any:
    """The process-wide MiniLM encoder (imported lazily), or 503.

    Introduced in 06_gpt51_agent_loop.
    """
    global _encoder
    with _load_lock:
        if _encoder is None:
            try:
                from jepa_helpers.encoders import MiniLMEncoder
            except (ImportError, AttributeError) as exc:
                raise errors.encoder_unavailable(
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            _encoder = MiniLMEncoder()
        return _encoder


def encoder_info() -> tuple[str, int] | None:
    """``(name, dim)`` of the encoder if it can be imported, else None."""
    try:
        enc = load_encoder()
    except errors.ApiError:
        return None
    return str(enc.name), int(enc.dim)


def _invalid_input() -> errors.ApiError:
    return errors.ApiError(
        400,
        "'$.input' is invalid. Please check the API reference: "
        "https://platform.openai.com/docs/api-reference.",
        param="input",
    )


def _texts(value: Any) -> list[str]:
    if value is None:
        raise errors.missing("input")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _invalid_input()
    if any(isinstance(v, (int, list)) for v in value):
        raise errors.bad_value(
            "input",
            "The offline embeddings endpoint takes text only: token "
            "arrays are not supported (the local encoder has its own "
            "tokenizer). Send a string or a list of strings.",
        )
    if not all(isinstance(v, str) and v for v in value):
        raise _invalid_input()
    if len(value) > MAX_INPUTS:
        raise errors.bad_value(
            "input",
            f"Invalid 'input': array too long. Expected an array with "
            f"maximum length {MAX_INPUTS}, but got an array with length "
            f"{len(value)} instead.",
        )
    for text in value:
        n = len(_TOKEN.findall(text))
        if n > MAX_TOKENS:
            raise errors.ApiError(
                400,
                f"This model's maximum context length is {MAX_TOKENS} "
                f"tokens, however you requested {n} tokens ({n} in your "
                "prompt; 0 for the completion). Please reduce your "
                "prompt; or completion length.",
                param="input",
            )
    return value


def _encode(enc: Any, texts: list[str]) -> tuple[np.ndarray, int]:
    """Vectors and a token count (the encoder's tokenizer if it has one)."""
    with _encode_lock:  # one forward pass at a time (2 cores)
        if hasattr(enc, "encode_with_info"):
            res = enc.encode_with_info(texts)
            return np.asarray(res.vectors), int(np.sum(res.n_tokens))
        vecs = np.asarray(enc.encode(texts))
    return vecs, sum(len(_TOKEN.findall(t)) for t in texts)


def create_embeddings(body: Any) -> dict[str, Any]:
    """The ``CreateEmbeddingResponse`` body; raises ``ApiError``.

    Introduced in 06_gpt51_agent_loop.
    """
    if not isinstance(body, dict):
        raise errors.invalid_type("body", "an object", body)
    for key in body:
        if key not in KNOWN:
            raise errors.unknown_parameter(key)
    model = body.get("model")
    if model is None:
        raise errors.missing("model")
    if not isinstance(model, str):
        raise errors.invalid_type("model", "a string", model)
    fmt = body.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise errors.invalid_value("encoding_format", fmt, ["float", "base64"])
    texts = _texts(body.get("input"))
    enc = load_encoder()
    dim = int(enc.dim)
    d = body.get("dimensions")
    if d is not None:
        if isinstance(d, bool) or not isinstance(d, int):
            raise errors.invalid_type("dimensions", "an integer", d)
        if not 1 <= d <= dim:
            raise errors.bad_value(
                "dimensions",
                f"Invalid value for 'dimensions' = {d}. The offline "
                f"encoder {enc.name} supports 1 to {dim} dimensions.",
            )
    vecs, n_tokens = _encode(enc, texts)
    vecs = np.asarray(vecs, dtype=np.float32)
    if d is not None and d < dim:
        vecs = vecs[:, :d]
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs = vecs / np.maximum(norms, np.float32(1e-12))
    data = []
    for i, row in enumerate(vecs):
        if fmt == "base64":
            emb: Any = base64.b64encode(row.astype("<f4").tobytes()).decode(
                "ascii"
            )
        else:
            emb = [float(x) for x in row]
        data.append({"object": "embedding", "index": i, "embedding": emb})
    return {
        "object": "list",
        "data": data,
        "model": str(enc.name),
        "usage": {"prompt_tokens": n_tokens, "total_tokens": n_tokens},
    }
