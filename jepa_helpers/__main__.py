"""Command line: ``python -m jepa_helpers {score,demo,serve}``.

- ``score``: one pair (``--context``/``--candidate``) or a file of pairs
  (``--pairs FILE``: TSV ``context<TAB>candidate`` or JSONL objects with
  ``context`` and ``candidate``), JSON out; ``--list-energies``.
- ``demo``: the seed programs' run end to end.
- ``serve``: the local OpenAI-compatible server.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterator, Sequence

from . import __version__
from .scoring import ENERGIES

SEED_CONTEXT = "A child is playing with a red ball in the park."
SEED_CANDIDATE = (
    "The kid happily throws the bright red ball across the playground."
)


class UsageError(Exception):
    """Bad command-line input; printed as one line, exit status 2."""


# ------------------------------------------------------------------ parts


def make_scorer(
    glove_path: str | None, encoder: str, match_dims: bool, energy: str
):
    """Build a ``Scorer`` with the GloVe file and sentence encoder asked."""
    from .glove import load_glove
    from .scoring import Scorer

    return Scorer(
        load_glove(glove_path), _encoder(encoder, energy), match_dims
    )


def _encoder(choice: str, energy: str):
    if choice == "none":
        return None
    try:
        from . import encoders
    except ImportError:
        if "sentence" in ENERGIES[energy]:
            raise UsageError(
                f"--energy {energy} needs a sentence encoder, and "
                "jepa_helpers.encoders is not available"
            ) from None
        return None
    if choice == "auto":
        return encoders.default_encoder()
    if choice == "minilm":
        return encoders.CachedEncoder(encoders.MiniLMEncoder())
    return encoders.CachedEncoder(encoders.OpenAIEncoder())


def read_pairs(path: Path) -> Iterator[tuple[str, str]]:
    """Pairs from a TSV or JSONL file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"pairs file not found: {path}") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not UTF-8 text ({err.reason})") from None
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                obj = json.loads(line)
                x, y = obj["context"], obj["candidate"]
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise UsageError(
                    f"{path.name}, line {n}: expected a JSON object with "
                    f"string fields 'context' and 'candidate' ({err})"
                ) from None
            if not isinstance(x, str) or not isinstance(y, str):
                raise UsageError(
                    f"{path.name}, line {n}: 'context' and "
                    "'candidate' must be strings"
                )
        else:
            cells = line.split("\t")
            if len(cells) != 2:
                raise UsageError(
                    f"{path.name}, line {n}: expected 'context<TAB>"
                    f"candidate', found {len(cells)} field(s)"
                )
            x, y = cells
        yield x, y


# --------------------------------------------------------------- commands


def cmd_score(args: argparse.Namespace) -> int:
    if args.list_energies:
        from .scoring import ENERGY_SPECS

        for name, views in ENERGIES.items():
            row = {"name": name, "views": list(views)}
            row["description"] = ENERGY_SPECS[name].description
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if args.pairs is None and (args.context is None or args.candidate is None):
        raise UsageError("give --context and --candidate, or --pairs FILE")
    if args.pairs is not None and (args.context or args.candidate):
        raise UsageError(
            "--pairs cannot be combined with --context or " "--candidate"
        )
    scorer = make_scorer(
        args.glove, args.encoder, args.match_dims, args.energy
    )
    opts = dict(
        energy=args.energy,
        tau=args.temperature,
        top_k=args.top_k,
        alpha=args.alpha,
        verbose=args.verbose,
    )
    if args.pairs is None:
        result = scorer.score(args.context, args.candidate, **opts)
        print(json.dumps(result, indent=2))
        return 0
    pairs = list(read_pairs(Path(args.pairs)))
    batch = 512
    for a in range(0, len(pairs), batch):
        for result in scorer.score_many(pairs[a : a + batch], **opts):
            sys.stdout.write(json.dumps(result) + "\n")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import main_demo

    return main_demo(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from .offline import serve

    serve(host="127.0.0.1", port=args.port)
    return 0


# ------------------------------------------------------------------ parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jepa_helpers",
        description="fake-jepa-ebm: energies between a context and a "
        "candidate, as tools for GPT-5.1 (offline by default).",
    )
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--energy", choices=sorted(ENERGIES), default="softmax")
        q.add_argument(
            "--temperature",
            "--tau",
            type=float,
            default=None,
            dest="temperature",
            help="softmax temperature tau (default: the energy's own, "
            "0.5 for softmax)",
        )
        q.add_argument("--top-k", type=_positive_int, default=20)
        q.add_argument(
            "--alpha",
            type=float,
            default=None,
            help="weight of the GloVe view in the joint energies "
            "(default: the energy's own, 0.5 for joint)",
        )
        q.add_argument(
            "--glove",
            default=None,
            help="a GloVe text file (default: $JEPA_GLOVE_PATH "
            "or the embedded glove.6B.50d)",
        )
        q.add_argument(
            "--encoder",
            default="auto",
            choices=["auto", "minilm", "openai", "none"],
            help="sentence encoder (auto: OpenAI online, " "MiniLM offline)",
        )
        q.add_argument(
            "--match-dims",
            action="store_true",
            help="cut the sentence vector to the GloVe "
            "dimension, as the seed did",
        )
        q.add_argument("--verbose", action="store_true")

    s = sub.add_parser("score", help="score pairs, JSON out")
    s.add_argument("--context")
    s.add_argument("--candidate")
    s.add_argument("--pairs", help="TSV or JSONL file of pairs")
    s.add_argument("--list-energies", action="store_true")
    common(s)
    s.set_defaults(func=cmd_score)

    d = sub.add_parser(
        "demo",
        help="the seed programs' run, end to end",
        description="Runs the seed's main.py (joint), pairwise.py and "
        "main2.py (softmax) in order, or one --energy: the model calls "
        "the energy tool and explains it. Offline unless OPENAI_API_KEY "
        "is set. Prompts (Enter = default) only when stdin is a terminal "
        "and no --context/--candidate is given.",
    )
    d.add_argument("--context")
    d.add_argument("--candidate")
    d.add_argument(
        "--mode", choices=["auto", "online", "offline"], default="auto"
    )
    d.add_argument(
        "--max-turns",
        type=_positive_int,
        default=6,
        help="responses per run before giving up (default 6)",
    )
    d.add_argument(
        "--stream", action="store_true", help="stream the explanation"
    )
    common(d)
    # demo: no energy = the three seed programs; unset options = null
    d.set_defaults(
        func=cmd_demo,
        energy=None,
        temperature=None,
        top_k=None,
        alpha=None,
        verbose=True,
    )

    v = sub.add_parser(
        "serve", help="run the local OpenAI-compatible " "server"
    )
    v.add_argument("--port", type=_positive_int, default=0)
    v.set_defaults(func=cmd_serve)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .glove import GloVeFormatError

    try:
        return args.func(args)
    except (
        UsageError,
        GloVeFormatError,
        FileNotFoundError,
        IsADirectoryError,
        ValueError,
        RuntimeError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
