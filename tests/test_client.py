"""``make_client``: which mode, what it says, what it never shows."""

from __future__ import annotations

import pytest

from jepa_helpers.client import DEFAULT_MODEL, make_client

FAKE_KEY = "sk-test-" + "x" * 24


def test_offline_by_default_without_a_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("JEPA_OFFLINE", raising=False)
    with make_client(timeout=5, max_retries=0) as client:
        assert client.mode == "offline"
        assert client.describe() == "mode: offline (local server)"
        assert client.model == DEFAULT_MODEL
        assert str(client.sdk.base_url).startswith("http://127.0.0.1:")
        assert client.sdk.max_retries == 0 and client.sdk.timeout == 5
        ids = [m.id for m in client.sdk.models.list()]
        assert "offline-scripted-narrator" in ids
        shown = client.describe() + repr(client)
        assert "127.0.0.1" not in shown and "http" not in shown


def test_online_with_a_key_and_base_url(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.delenv("JEPA_OFFLINE", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    client = make_client()
    assert client.mode == "online" and client.describe() == "mode: online"
    assert str(client.sdk.base_url) == "http://127.0.0.1:9/v1/"
    assert FAKE_KEY not in repr(client) + client.describe()


def test_jepa_offline_wins_over_a_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("JEPA_OFFLINE", "1")
    with make_client() as client:
        assert client.mode == "offline"
        assert client.sdk.api_key != FAKE_KEY


def test_forced_online_without_a_key_is_one_line(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(RuntimeError) as err:
        make_client("online")
    text = str(err.value)
    assert "OPENAI_API_KEY" in text and "\n" not in text


def test_bad_mode(monkeypatch):
    with pytest.raises(ValueError, match="mode must be"):
        make_client("cloud")
