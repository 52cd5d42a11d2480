"""Explain a tool result payload in plain words (the narrator's voice).

Reads whatever keys a tool result carries (joint, mean pairwise, softmax
pairwise, ranking, error) and says what the energy's sign and size mean,
quotes the views' cosines and the top token pairs. Numbers are rounded
to 4 decimals (``E = -0.4229``) so the text is deterministic.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import json
from typing import Any

NAME = "offline scripted narrator"
BANNER = f"[{NAME} \u2014 not a language model]"
TOP_PAIRS = 5


def fmt(x: Any) -> str:
    """A number with 4 decimals, never ``-0.0000``."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    s = f"{v:.4f}"
    return "0.0000" if s == "-0.0000" else s


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _softmax_style(payload: dict, args: dict) -> bool:
    """True for energies of the form -sum w*phi (more negative = better)."""
    if "energy_definition" in payload or "token_pair_contributions_topk" in (
        payload
    ):
        return True
    name = str(payload.get("energy_name") or args.get("energy") or "")
    if "softmax" in name.lower():
        return True
    e = payload.get("energy")
    return _is_number(e) and e < 0


def _meaning(e: float, softmax: bool) -> str:
    """What the sign and size of an energy mean (lower = compatible)."""
    if softmax:
        scale = (
            "E = -\u03a3 w\u00b7\u03c6 lies in [-1, 1]; more negative "
            "means more compatible"
        )
        if e <= -0.5:
            verdict = "a strong aggregate token match"
        elif e <= -0.2:
            verdict = "a moderate token match"
        elif e < 0:
            verdict = "a weak token match"
        else:
            verdict = "no support: the weighted pairs point away"
    else:
        scale = (
            "E = 1 - cos lies in [0, 2]; 0 means the same direction, "
            "1 orthogonal (unrelated), 2 opposite"
        )
        if e < 0.3:
            verdict = "highly compatible"
        elif e < 0.6:
            verdict = "related"
        elif e < 0.9:
            verdict = "weakly related"
        elif e <= 1.1:
            verdict = "about unrelated"
        else:
            verdict = "pointing in opposite directions"
    return f"{verdict} ({scale})"


def _cosines(payload: dict) -> list[str]:
    out = []
    for key, value in payload.items():
        if _is_number(value) and "similarity" in key:
            label = key.replace("_", " ")
            out.append(f"{label} {fmt(value)}")
    return out


def _pairs(payload: dict) -> list[str]:
    rows = payload.get("token_pair_contributions_topk")
    kind = "contribution"
    if not isinstance(rows, list):
        rows, kind = payload.get("top_contributors"), "similarity"
    if not isinstance(rows, list):
        return []
    out = []
    for row in rows[:TOP_PAIRS]:
        if not isinstance(row, dict):
            continue
        a, b = row.get("context_token"), row.get("candidate_token")
        value = row.get(kind)
        if value is None:
            value = row.get("phi_cosine", row.get("similarity"))
        extra = ""
        if kind == "contribution" and _is_number(row.get("phi_cosine")):
            extra = (
                f" (\u03c6 {fmt(row['phi_cosine'])}, "
                f"w {fmt(row.get('weight'))})"
            )
        out.append(f"({a!s}, {b!s}) {kind} {fmt(value)}{extra}")
    return out


def _explain_error(err: Any) -> str:
    if isinstance(err, dict):
        kind = err.get("type") or "error"
        msg = err.get("message") or json.dumps(err, sort_keys=True)
        return f"The tool reported an error ({kind}): {msg}"
    return f"The tool reported an error: {err}"


def _explain_ranking(payload: dict) -> str:
    lines = []
    name = payload.get("energy_name")
    head = "Ranking of the candidates, lowest energy first"
    lines.append(head + (f" ({name} energy):" if name else ":"))
    for row in payload.get("ranking") or []:
        if isinstance(row, dict):
            lines.append(
                f"  {row.get('rank', '?')}. E = {fmt(row.get('energy'))}"
                f"  {row.get('candidate')!s}"
            )
    best = payload.get("best_candidate")
    if best is not None:
        lines.append(
            f"The best candidate is {best!s}: lower energy means more "
            "compatible with the context."
        )
    return "\n".join(lines)


def explain(name: str, arguments: str, output: Any) -> str:
    """One paragraph explaining the output of one function call.

    Introduced in 06_gpt51_agent_loop.
    """
    try:
        args = json.loads(arguments) if arguments else {}
    except ValueError:
        args = {}
    if not isinstance(args, dict):
        args = {}
    if isinstance(output, list):  # content parts
        output = "".join(
            str(p.get("text", "")) for p in output if isinstance(p, dict)
        )
    try:
        payload = json.loads(output) if isinstance(output, str) else output
    except ValueError:
        payload = None
    head = f"Tool `{name}`"
    if not isinstance(payload, dict):
        text = str(output)
        short = text[:200] + ("\u2026" if len(text) > 200 else "")
        return f"{head} returned text that is not a JSON object: {short}"
    if "error" in payload and "energy" not in payload:
        return f"{head}: {_explain_error(payload['error'])}"
    if isinstance(payload.get("ranking"), list):
        return f"{head}: {_explain_ranking(payload)}"
    e = payload.get("energy")
    if not _is_number(e):
        keys = ", ".join(sorted(payload)) or "no keys"
        return f"{head} returned no numeric energy (keys: {keys})."
    soft = _softmax_style(payload, args)
    lines = [
        f"{head}: E = {fmt(e)}, {_meaning(float(e), soft)}.",
    ]
    cos = _cosines(payload)
    if cos:
        lines.append("Cosines of the views: " + "; ".join(cos) + ".")
    pairs = _pairs(payload)
    if pairs:
        lines.append("Top token pairs: " + "; ".join(pairs) + ".")
    elif isinstance(payload.get("top_contributors"), list):
        lines.append("No token pair contributed (no known word on one side).")
    return "\n".join(lines)
