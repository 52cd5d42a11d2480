"""What a notebook's setup cell prints, and a throw-away cache folder.

Introduced in 00_overview.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import __version__

#: Packages whose versions every setup cell prints (STYLE.md a, Cookbook).
PACKAGES = ("numpy", "matplotlib", "ipywidgets", "openai")


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """``{name: version}``: Python, ``jepa_helpers``, then ``packages``.

    A package that is not installed shows as ``"not installed"``.
    Introduced in 00_overview.
    """
    out = {
        "python": platform.python_version(),
        "jepa_helpers": __version__,
    }
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def versions_line(packages: tuple[str, ...] = PACKAGES) -> str:
    """``versions: python 3.11.9, jepa_helpers 0.1.0, numpy …`` (one line).

    Introduced in 00_overview.
    """
    parts = [f"{k} {v}" for k, v in versions(packages).items()]
    return "versions: " + ", ".join(parts)


@contextmanager
def temporary_cache() -> Iterator[Path]:
    """Point ``$JEPA_CACHE_DIR`` at a fresh temporary folder for a block.

    Everything cached inside the block (GloVe binaries, sentence vectors)
    goes there and is deleted on exit; the previous value of the variable
    is restored. Lets a notebook show a cache filling up from empty
    without touching the user's real cache. Yields the folder.

    Introduced in 01_tokenising_and_loading_glove.
    """
    before = os.environ.get("JEPA_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="jepa-cache-") as tmp:
        os.environ["JEPA_CACHE_DIR"] = tmp
        try:
            yield Path(tmp)
        finally:
            if before is None:
                os.environ.pop("JEPA_CACHE_DIR", None)
            else:
                os.environ["JEPA_CACHE_DIR"] = before
