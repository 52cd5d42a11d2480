"""Settings read from the environment (DESIGN.md, "Settings").

``JEPA_CACHE_DIR`` (default: the platform's user cache dir),
``JEPA_GLOVE_PATH``, ``JEPA_OFFLINE``. Nothing here prints a key.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "jepa-helpers"


def cache_dir(sub: str = "") -> Path:
    """Return (and create) the cache directory, or a sub-folder of it.

    ``$JEPA_CACHE_DIR`` wins; else ``platformdirs.user_cache_dir``.
    """
    root = os.environ.get("JEPA_CACHE_DIR") or platformdirs.user_cache_dir(
        APP_NAME
    )
    path = Path(root).expanduser() / sub if sub else Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def offline_forced() -> bool:
    """True when ``JEPA_OFFLINE`` is set to a true-ish value."""
    value = os.environ.get("JEPA_OFFLINE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def resolve_mode(mode: str = "auto") -> str:
    """Resolve ``"auto" | "online" | "offline"`` to ``"online" | "offline"``.

    ``auto`` is online only when ``OPENAI_API_KEY`` is set and
    ``JEPA_OFFLINE`` is not (STYLE.md d.1). A forced ``online`` without a
    key raises a one-line ``RuntimeError`` saying how to set it.
    """
    if mode not in ("auto", "online", "offline"):
        raise ValueError(
            f"mode must be 'auto', 'online' or 'offline', got {mode!r}"
        )
    has_key = bool(os.environ.get("OPENAI_API_KEY", "").strip())
    if mode == "offline":
        return "offline"
    if mode == "online":
        if not has_key:
            raise RuntimeError(
                "online mode needs an API key: export OPENAI_API_KEY=... "
                "(or put it in a .env file that git ignores)"
            )
        return "online"
    return "online" if has_key and not offline_forced() else "offline"
