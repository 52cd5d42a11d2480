"""Shared fixtures: the embedded GloVe once per session, private caches."""

from __future__ import annotations

import pytest

from jepa_helpers.glove import load_glove


@pytest.fixture(scope="session")
def glove():
    """The embedded glove.6B.50d (400 000 words), memory-mapped."""
    return load_glove(None)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private, empty ``$JEPA_CACHE_DIR`` for one test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("JEPA_CACHE_DIR", str(folder))
    return folder
