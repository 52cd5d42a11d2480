"""The main job, ``make demo``: the seed programs' runs, end to end.

``python -m jepa_helpers demo`` runs the seed's three programs in order,
each a real agent loop (the model calls the energy tool through the
Responses API and explains the result):

1. ``main.py``: ``--energy joint`` (joint cosine energy);
2. ``pairwise.py``: ``--energy pairwise`` (mean pairwise energy);
3. ``main2.py``: ``--energy softmax`` (softmax pairwise energy).

``--energy NAME`` runs one energy (any name in ``scoring.ENERGIES``).
Offline by default (the local scripted narrator, through the real SDK);
online when ``OPENAI_API_KEY`` is set (or ``--mode online``).

Input: ``--context``/``--candidate`` run with no prompt. Otherwise, when
standard input is a terminal, each program prompts like the seed,
``Context   ['<default>']: ``, and Enter takes the default (the seed's
pairwise run took ``"#"`` instead); when it is not a terminal the seed's
defaults are used with no prompt. Ctrl-C ends the demo with status 130,
a closed standard input (Ctrl-D) with status 0, one line each.

Output: the seed's transcript lines (``[DEBUG] Model requested tool``,
``[INFO] Loading GloVe embeddings from:``, ``[DEBUG] Raw tool result:``,
the explanation between banner lines); no key, URL, port or absolute path.
Exit status 1 if a run stopped at the turn limit without an answer.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from . import tools
from .agent import Event, build_prompt, run_agent
from .client import Client, make_client

SEED_CONTEXT = "A child is playing with a red ball in the park."
SEED_CANDIDATE = (
    "The kid happily throws the bright red ball across the playground."
)
TITLE = "JEPA + EBM MODEL EXPLANATION"


@dataclass(frozen=True)
class Program:
    """One seed program: its file, energy, intro and banner wording."""

    script: str
    energy: str
    intro: str
    result_label: str = "Raw tool result:"
    title: str = TITLE


SEED_PROGRAMS = (
    Program(
        "main.py",
        "joint",
        "JEPA-style joint embedding + energy-based model demo "
        "(joint cosine energy).",
    ),
    Program(
        "pairwise.py",
        "pairwise",
        "JEPA-style PAIRWISE energy model demo.\n"
        "This demo calculates energy based on all token-token "
        "interactions.",
        result_label="Tool Output (Pairwise Contributors):",
        title="PAIRWISE ENERGY EXPLANATION",
    ),
    Program(
        "main2.py",
        "softmax",
        "JEPA-style joint embedding + energy-based model demo "
        "(softmax pairwise energy).",
    ),
)


def programs_for(energy: str | None) -> list[Program]:
    """The seed's three programs, or the one for ``energy`` (a new
    energy gets a generic program)."""
    if energy is None:
        return list(SEED_PROGRAMS)
    for p in SEED_PROGRAMS:
        if p.energy == energy:
            return [p]
    return [
        Program(
            "demo", energy, f"JEPA-style energy model demo ({energy} energy)."
        )
    ]


def read_line(prompt: str) -> str:
    """``input(prompt)`` that a Ctrl-C always interrupts.

    A Ctrl-C may be delivered to any thread of the process (the local
    server's, BLAS workers); ``input()`` then keeps blocking in ``read()``
    and only the main thread could raise ``KeyboardInterrupt``. Waiting in
    short ``select`` slices lets the main thread run Python between them
    and raise it at once. Raises ``EOFError`` on a closed standard input.
    """
    if os.name != "posix" or not sys.stdin.isatty():
        return input(prompt)
    import select

    sys.stdout.write(prompt)
    sys.stdout.flush()
    while not select.select([sys.stdin], [], [], 0.1)[0]:
        pass
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def ask(
    label: str, default: str, read: Callable[[str], str] = read_line
) -> str:
    """The seed's prompt: ``Context   ['<default>']: ``; Enter = default.

    Raises ``EOFError`` when standard input is closed.
    """
    answer = read(f"{label:<10}[{default!r}]: ").strip()
    return answer or default


def glove_source() -> str:
    """Where GloVe comes from, without any folder (file name only)."""
    from .glove import EMBEDDED_NAME

    path = os.environ.get("JEPA_GLOVE_PATH")
    return Path(path).name if path else EMBEDDED_NAME


class Printer:
    """``on_event`` for the command line: the seed's transcript lines.

    Builds the tools' scorer on the first tool call, printing the GloVe
    loading lines as the seed's tool did.
    """

    def __init__(
        self,
        program: Program,
        make_scorer: Callable[[], object],
        out: TextIO = sys.stdout,
    ) -> None:
        self.program = program
        self.make_scorer = make_scorer
        self.out = out
        self.streamed = False

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def header(self) -> str:
        return f"{'=' * 16} {self.program.title} {'=' * 16}"

    def __call__(self, event: Event) -> None:
        if event.kind == "tool_call":
            self.say(f"[DEBUG] Model requested tool `{event.name}` with args:")
            self.say(_pretty(event.arguments or ""))
            self._load()
        elif event.kind == "tool_result":
            self.say(f"[DEBUG] {self.program.result_label}")
            self.say(_pretty(event.output or ""))
            self.say()
        elif event.kind == "text_delta":
            if not self.streamed:
                self.say(self.header() + "\n")
                self.streamed = True
            print(event.text, end="", file=self.out, flush=True)

    def _load(self) -> None:
        if tools.scorer_loaded():
            return
        self.say(f"[INFO] Loading GloVe embeddings from: {glove_source()}")
        scorer = self.make_scorer()
        tools.set_scorer(scorer)
        glove = scorer.glove
        self.say(
            f"[INFO] Loaded {len(glove)} GloVe vectors of dim {glove.dim}."
        )
        self.say()

    def answer(self, text: str) -> None:
        """The explanation between the seed's banner lines."""
        if self.streamed:
            self.say()
        else:
            self.say(self.header() + "\n")
            self.say(text)
        self.say()
        self.say("=" * len(self.header()))


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def run_demo(args: argparse.Namespace, client: Client) -> int:
    """The ``demo`` sub-command (see the module docstring)."""
    from .__main__ import make_scorer

    print(client.describe(), flush=True)
    interactive = (
        args.context is None and args.candidate is None and sys.stdin.isatty()
    )
    encoder = args.encoder
    if encoder == "auto":
        encoder = "minilm" if client.mode == "offline" else "openai"
    status = 0
    for n, program in enumerate(programs_for(args.energy), start=1):
        if n > 1:
            print()
        print(f"$ python {program.script}")
        print(program.intro)
        if interactive:
            print("Press Enter for defaults if you don't feel like typing.")
            print()
            context = ask("Context", SEED_CONTEXT)
            candidate = ask("Candidate", SEED_CANDIDATE)
        else:
            print()
            context = args.context or SEED_CONTEXT
            candidate = args.candidate or SEED_CANDIDATE
            print(f"{'Context':<10}: {context}")
            print(f"{'Candidate':<10}: {candidate}")
        print(flush=True)
        printer = Printer(
            program,
            lambda: make_scorer(
                args.glove, encoder, args.match_dims, program.energy
            ),
        )
        prompt = build_prompt(
            context,
            candidate,
            energy=program.energy,
            verbose=args.verbose,
            temperature=args.temperature,
            top_k=args.top_k,
            alpha=args.alpha,
        )
        transcript = run_agent(
            client,
            prompt,
            max_turns=args.max_turns,
            stream=args.stream,
            on_event=printer,
        )
        printer.answer(transcript.final_text)
        if transcript.stop_reason == "turn_limit":
            print(f"[WARN] {transcript.final_text}")
            status = 1
    return status


def main_demo(args: argparse.Namespace) -> int:
    """``run_demo`` with a clean end on a closed standard input."""
    try:
        with make_client(args.mode) as client:
            return run_demo(args, client)
    except EOFError:
        print("\n[INFO] standard input closed: demo ended.")
        return 0


__all__ = [
    "SEED_CANDIDATE",
    "SEED_CONTEXT",
    "SEED_PROGRAMS",
    "ask",
    "main_demo",
    "programs_for",
    "run_demo",
]
