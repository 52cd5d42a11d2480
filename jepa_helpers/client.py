"""One switch between the real API and the local server: ``make_client``.

``mode="auto"`` is online only when ``OPENAI_API_KEY`` is set and
``JEPA_OFFLINE`` is not (``settings.resolve_mode``); otherwise the local
OpenAI-compatible server (``offline.shared_server()``) is started and the
official SDK is pointed at it with a dummy key. Both modes run the very
same SDK code. Online, the SDK reads the key and ``OPENAI_BASE_URL`` from
the environment, so any OpenAI-compatible server works.

``describe()`` says which mode was chosen and never shows the key, the
port or the URL.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import openai

from . import settings

#: The model the series is written for.
DEFAULT_MODEL = "gpt-5.1"
#: The key sent to the local server (it checks none).
OFFLINE_KEY = "offline-no-key-needed"


@dataclass(frozen=True)
class Client:
    """The SDK client plus what the agent loop needs to know about it.

    ``sdk``: the ``openai.OpenAI`` client; ``mode``: ``"online"`` or
    ``"offline"``; ``model``: the model name sent with each request
    (offline the local narrator answers whatever is asked and reports its
    own id in ``response.model``).

    Introduced in 06_gpt51_agent_loop.
    """

    sdk: openai.OpenAI
    mode: str
    model: str = DEFAULT_MODEL

    def describe(self) -> str:
        """``mode: offline (local server)`` or ``mode: online``."""
        if self.mode == "offline":
            return "mode: offline (local server)"
        return "mode: online"

    def close(self) -> None:
        """Close the SDK's connections (a script's exit then need not wait
        for the local server's idle keep-alive connections)."""
        self.sdk.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.describe()!r}, model={self.model!r})"


def make_client(
    mode: str = "auto",
    *,
    model: str = DEFAULT_MODEL,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> Client:
    """Build the client for ``mode`` (``auto``, ``online``, ``offline``).

    ``timeout`` (seconds) and ``max_retries`` go to the SDK (tests use a
    short timeout and ``max_retries=0``; the SDK's defaults are 600 s and
    2 retries). A forced ``online`` without a key raises a one-line
    ``RuntimeError`` saying how to set it.

    Introduced in 06_gpt51_agent_loop.
    """
    chosen = settings.resolve_mode(mode)
    kwargs: dict = {}
    if timeout is not None:
        kwargs["timeout"] = timeout
    if max_retries is not None:
        kwargs["max_retries"] = max_retries
    if chosen == "offline":
        from .offline import shared_server

        sdk = openai.OpenAI(
            base_url=shared_server().base_url, api_key=OFFLINE_KEY, **kwargs
        )
    else:
        sdk = openai.OpenAI(**kwargs)
    return Client(sdk, chosen, model)
