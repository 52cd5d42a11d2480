"""A local OpenAI-compatible server whose "model" is a scripted narrator.

It speaks the Responses API (plain and streamed, function calls,
reasoning items, ``previous_response_id``), embeddings (local MiniLM) and
models, with errors in OpenAI's shape, so the unmodified ``openai`` SDK
works offline. The narrator is no language model and says so in every
reply: it calls the offered energy tool with the texts named in the
request and then reads the tool's result back.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

from .narrator import MODEL_ID
from .server import OfflineServer, serve, shared_server

__all__ = ["MODEL_ID", "OfflineServer", "serve", "shared_server"]
