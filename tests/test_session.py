"""The setup cell's helpers: versions, and the temporary cache."""

from __future__ import annotations

import os

import jepa_helpers
from jepa_helpers import session, settings


def test_versions_line_names_python_and_the_package():
    line = session.versions_line()
    assert line.startswith("versions: python ")
    assert f"jepa_helpers {jepa_helpers.__version__}" in line
    assert session.versions(("no-such-package-xyz",))[
        "no-such-package-xyz"
    ] == ("not installed")


def test_temporary_cache_redirects_and_restores(monkeypatch, tmp_path):
    monkeypatch.setenv("JEPA_CACHE_DIR", str(tmp_path / "before"))
    with session.temporary_cache() as folder:
        assert settings.cache_dir() == folder
        (settings.cache_dir("glove") / "x").write_text("x")
    assert not folder.exists()
    assert os.environ["JEPA_CACHE_DIR"] == str(tmp_path / "before")


def test_temporary_cache_unsets_when_unset_before(monkeypatch):
    monkeypatch.delenv("JEPA_CACHE_DIR", raising=False)
    try:
        with session.temporary_cache():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert "JEPA_CACHE_DIR" not in os.environ
