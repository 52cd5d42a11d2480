"""OpenAI embeddings (text-embedding-3-small by default) as an encoder.

``client.embeddings.create(model=..., input=[...])`` in batches of at most
2048 inputs (and at most 300 000 UTF-8 bytes, which bounds the API's
300 000-token limit per request, since a token is at least one byte).
Every API failure becomes one ``EncoderError`` with the HTTP status and
OpenAI's message; the key is never shown. Introduced in 02_gpt_embeddings.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .encoder_protocol import EncoderError, check_texts, l2_normalise

if TYPE_CHECKING:
    import openai

MODEL_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
MAX_INPUTS = 2048
MAX_BYTES = 300_000
_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}")


def _batches(texts: list[str], size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of <= ``size`` texts, <= MAX_BYTES each."""
    out, start, nbytes = [], 0, 0
    for i, t in enumerate(texts):
        b = len(t.encode("utf-8"))
        if i > start and (i - start >= size or nbytes + b > MAX_BYTES):
            out.append((start, i))
            start, nbytes = i, 0
        nbytes += b
    if start < len(texts):
        out.append((start, len(texts)))
    return out


def _as_vector(embedding: Any) -> np.ndarray:
    """A float list, or base64 of little-endian float32, as ``[d]``."""
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding), dtype="<f4")
    return np.asarray(embedding, dtype=np.float32)


class OpenAIEncoder:
    """text-embedding-3-small (1536-d) or a shortened ``dimensions``-d one.

    ``dimensions`` asks the API for a Matryoshka prefix; rows are
    renormalised here as well, ``s = v / ||v||``. ``encoding_format=None``
    keeps the SDK's default (base64 on the wire, decoded by the SDK);
    ``"float"`` or ``"base64"`` are sent as asked and decoded here.
    ``max_retries`` / ``timeout`` (seconds) override the client's.
    Empty strings are refused (``ValueError`` naming the indices) because
    the API rejects them. Introduced in 02_gpt_embeddings.
    """

    def __init__(
        self,
        client: openai.OpenAI | None = None,
        *,
        model: str = "text-embedding-3-small",
        dimensions: int | None = None,
        encoding_format: Literal["float", "base64"] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        batch_size: int = MAX_INPUTS,
    ) -> None:
        if not 1 <= batch_size <= MAX_INPUTS:
            raise ValueError(f"batch_size must be in 1..{MAX_INPUTS}")
        if dimensions is not None and dimensions < 1:
            raise ValueError(f"dimensions must be >= 1, got {dimensions}")
        if dimensions is None and model not in MODEL_DIMS:
            raise ValueError(
                f"unknown dimension for model {model!r}: pass dimensions="
            )
        if encoding_format not in (None, "float", "base64"):
            raise ValueError("encoding_format must be None, float or base64")
        self.model = model
        self.dimensions = dimensions
        self.dim = dimensions or MODEL_DIMS[model]
        self.name = f"openai:{model}" + (
            f"@{dimensions}" if dimensions else ""
        )
        self.encoding_format = encoding_format
        self.batch_size = batch_size
        self.requests = 0  # HTTP calls that returned vectors
        options: dict[str, Any] = {}
        if max_retries is not None:
            options["max_retries"] = max_retries
        if timeout is not None:
            options["timeout"] = timeout
        if client is None:
            import openai

            try:
                client = openai.OpenAI(**options)
            except openai.OpenAIError as e:  # no key in the environment
                raise EncoderError(
                    f"cannot build an OpenAI client: {_clean(str(e), None)}"
                ) from None
        elif options:
            client = client.with_options(**options)
        self._client = client

    def describe(self) -> str:
        """One line naming the model and size (no key, no URL)."""
        return f"OpenAI {self.model} ({self.dim}-d, API)"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` -> float32 ``[n, dim]``, L2-normalised rows.

        One request per batch of <= ``batch_size`` texts.
        Introduced in 02_gpt_embeddings.
        """
        texts = check_texts(texts)
        empty = [i for i, t in enumerate(texts) if t == ""]
        if empty:
            raise ValueError(
                f"the OpenAI embeddings API rejects empty strings; "
                f"empty texts at indices {empty[:10]}"
                + (" ..." if len(empty) > 10 else "")
            )
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start, stop in _batches(texts, self.batch_size):
            out[start:stop] = self._request(texts[start:stop])
        return out

    def _request(self, batch: list[str]) -> np.ndarray:
        """One ``embeddings.create`` call -> ``[len(batch), dim]``."""
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "input": batch}
        if self.dimensions is not None:
            kwargs["dimensions"] = self.dimensions
        if self.encoding_format is not None:
            kwargs["encoding_format"] = self.encoding_format
        key = getattr(self._client, "api_key", None)
        try:
            resp = self._client.embeddings.create(**kwargs)
        except openai.APIStatusError as e:
            raise EncoderError(
                f"OpenAI embeddings request failed: HTTP {e.status_code} "
                f"({type(e).__name__}): {_clean(_api_message(e), key)}",
                status_code=e.status_code,
            ) from None
        except openai.APITimeoutError:
            raise EncoderError(
                "OpenAI embeddings request timed out "
                f"(timeout {self._client.timeout}s, "
                f"max_retries {self._client.max_retries})"
            ) from None
        except openai.APIConnectionError as e:
            raise EncoderError(
                "OpenAI embeddings request failed: cannot connect "
                f"({_clean(str(e), key)})"
            ) from None
        except (openai.OpenAIError, ValueError) as e:
            raise EncoderError(
                f"OpenAI embeddings request failed: {_clean(str(e), key)}"
            ) from None
        self.requests += 1
        data = sorted(resp.data, key=lambda item: item.index)
        if len(data) != len(batch):
            raise EncoderError(
                f"OpenAI returned {len(data)} embeddings for {len(batch)} "
                "inputs"
            )
        rows = [_as_vector(item.embedding) for item in data]
        bad = [i for i, r in enumerate(rows) if r.shape != (self.dim,)]
        if bad:
            raise EncoderError(
                f"OpenAI returned {rows[bad[0]].shape[0]}-d vectors, "
                f"expected {self.dim}-d (model {self.model!r})"
            )
        return l2_normalise(np.stack(rows))


def _api_message(e: Any) -> str:
    """OpenAI's own ``error.message`` if the body has one, else str(e)."""
    body = getattr(e, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return getattr(e, "message", None) or str(e)


def _clean(message: str, key: str | None) -> str:
    """Remove the API key (and anything key-like) from ``message``."""
    if key:
        message = message.replace(key, "***")
    return _KEY_LIKE.sub("sk-***", message)
