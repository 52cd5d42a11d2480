"""Validate JSON bodies against OpenAI's official OpenAPI schemas.

The schemas come from ``tests/spec/openapi_subset.json`` (written by
``tests/spec/extract_openapi_subset.py`` from openai/openai-openapi, MIT).
OpenAPI 3.1 schemas are JSON Schema 2020-12, so ``jsonschema`` validates
them directly; ``$ref: #/components/schemas/X`` resolves inside the
subset document through a ``referencing`` registry.

Spec quirks: ``discriminator`` is an OpenAPI-only keyword that JSON Schema
ignores (every union here is ``anyOf``/``oneOf`` over ``type`` enums, so
it is not needed); ``format`` (``unixtime``, ``date``) is annotation-only.
The subset uses no OpenAPI 3.0 ``nullable`` (nullables are spelled
``anyOf: [..., {"type": "null"}]``).

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SUBSET = Path(__file__).resolve().parent / "spec" / "openapi_subset.json"
_URI = "urn:openai-openapi-subset"


@lru_cache(maxsize=1)
def _registry() -> tuple[Registry, dict[str, Any]]:
    spec = json.loads(SUBSET.read_text(encoding="utf-8"))
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return Registry().with_resource(_URI, resource), spec


def schema_names() -> list[str]:
    """Names of the component schemas in the subset."""
    return sorted(_registry()[1]["components"]["schemas"])


@lru_cache(maxsize=None)
def validator(component_name: str) -> jsonschema.Draft202012Validator:
    """A cached 2020-12 validator for ``#/components/schemas/<name>``."""
    registry, spec = _registry()
    if component_name not in spec["components"]["schemas"]:
        raise KeyError(f"no schema {component_name!r} in {SUBSET.name}")
    ref = {"$ref": f"{_URI}#/components/schemas/{component_name}"}
    return jsonschema.Draft202012Validator(ref, registry=registry)


def validate(component_name: str, instance: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``instance`` conforms.

    The error message names the deepest failing path, which is far more
    useful than the top-level ``anyOf`` failure.
    """
    branch = _branch(component_name, instance)
    if branch is not None:  # a clearer message than the union's
        validate(branch, instance)
    v = validator(component_name)
    error = jsonschema.exceptions.best_match(v.iter_errors(instance))
    if error is not None:
        raise error


def _branch(component_name: str, instance: Any) -> str | None:
    """The union member whose ``type`` enum names ``instance["type"]``.

    Stands in for OpenAPI's ``discriminator`` to pick the member whose
    errors are worth reporting.
    """
    if not isinstance(instance, dict) or "type" not in instance:
        return None
    schemas = _registry()[1]["components"]["schemas"]
    node = schemas[component_name]
    for sub in node.get("anyOf") or node.get("oneOf") or []:
        ref = sub.get("$ref", "") if isinstance(sub, dict) else ""
        name = ref.rsplit("/", 1)[-1]
        props = schemas.get(name, {}).get("properties", {})
        if instance["type"] in props.get("type", {}).get("enum", []):
            return name
    return None


def is_valid(component_name: str, instance: Any) -> bool:
    """True when ``instance`` conforms to the named component schema."""
    return validator(component_name).is_valid(instance)
