"""Copy the part of OpenAI's OpenAPI spec that the tests need.

Reads ``../shared/openai-openapi/openapi.json`` (relative to the repo
root; override with the first argument) and writes
``tests/spec/openapi_subset.json``: the named component schemas plus the
transitive closure of everything they ``$ref``. The spec is MIT-licensed;
see ``LICENSE-openapi.txt`` next to this file.

Run: ``python tests/spec/extract_openapi_subset.py [path/to/openapi.json]``

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOTS = (
    "Response",
    "ResponseStreamEvent",
    "CreateEmbeddingResponse",
    "ErrorResponse",
    "ListModelsResponse",
    "Model",
    "FunctionTool",
    "CreateResponse",
)
PREFIX = "#/components/schemas/"
HERE = Path(__file__).resolve().parent
DEFAULT_SPEC = HERE.parents[2] / "shared" / "openai-openapi" / "openapi.json"
OUT = HERE / "openapi_subset.json"


def _refs(node: Any) -> set[str]:
    """Every component name that ``node`` references, at any depth."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(PREFIX):
                found.add(ref[len(PREFIX) :])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def closure(schemas: dict[str, Any], roots: tuple[str, ...]) -> list[str]:
    """Names of ``roots`` and all schemas they reach, sorted."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise KeyError(f"component schema {name!r} missing from spec")
        seen.add(name)
        todo.extend(_refs(schemas[name]) - seen)
    return sorted(seen)


def main(argv: list[str]) -> int:
    """Write the subset; print how many schemas it holds."""
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    spec = json.loads(src.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    names = closure(schemas, ROOTS)
    source_note = HERE.parents[2] / "shared" / "openai-openapi" / "SOURCE.txt"
    source = (
        source_note.read_text(encoding="utf-8").strip()
        if source_note.exists()
        else "openai/openai-openapi openapi.json"
    )
    subset = {
        "openapi": spec["openapi"],
        "info": {
            "title": spec["info"]["title"] + " (subset for tests)",
            "version": spec["info"]["version"],
            "license": {"name": "MIT"},
            "x-source": source,
            "x-roots": list(ROOTS),
        },
        "components": {"schemas": {n: schemas[n] for n in names}},
    }
    OUT.write_text(
        json.dumps(subset, indent=1, sort_keys=True, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT.name}: {len(names)} of {len(schemas)} schemas")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
