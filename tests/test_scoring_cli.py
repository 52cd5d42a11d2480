"""The seed's tool results and the ``score`` command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from jepa_helpers import energy as E
from jepa_helpers.__main__ import SEED_CANDIDATE, SEED_CONTEXT, main
from jepa_helpers.scoring import NeedsSentenceEncoder, Scorer

SEED_SOFTMAX_KEYS = {
    "context", "candidate", "energy", "energy_definition",
    "joint_cosine_similarity", "glove_cosine_similarity",
    "gpt_cosine_similarity", "legacy_joint_energy", "glove_tokens_context",
    "glove_tokens_candidate", "glove_dim", "gpt_embedding_dim",
    "token_pair_contributions_topk", "interpretation", "norms",
    "token_matrix_shapes",
}  # fmt: skip
SEED_PAIRWISE_KEYS = {
    "energy", "mean_pairwise_similarity", "gpt_global_similarity",
    "top_contributors", "interpretation", "debug_info",
}  # fmt: skip


@pytest.fixture(scope="module")
def scorer(glove):
    return Scorer(glove)


def test_softmax_payload_has_the_seed_keys(scorer, glove):
    r = scorer.score(SEED_CONTEXT, SEED_CANDIDATE, "softmax", verbose=True)
    assert SEED_SOFTMAX_KEYS <= set(r)
    assert r["glove_tokens_context"][:4] == ["a", "child", "is", "playing"]
    assert len(r["token_pair_contributions_topk"]) == 20
    H = glove.lookup(r["glove_tokens_context"]).matrix
    K = glove.lookup(r["glove_tokens_candidate"]).matrix
    assert r["energy"] == E.softmax_pairwise_energy(H, K, 0.5).value
    top = r["token_pair_contributions_topk"][0]
    assert {"context_token", "candidate_token", "phi_cosine", "weight",
            "contribution", "indices"} == set(top)  # fmt: skip
    i, j = top["indices"]["i"], top["indices"]["j"]
    assert r["glove_tokens_context"][i] == top["context_token"]
    assert r["glove_tokens_candidate"][j] == top["candidate_token"]
    assert r["norms"]["glove_context_norm"] == pytest.approx(
        float(np.linalg.norm(H.mean(0)))
    )
    json.dumps(r)  # JSON-ready


def test_pairwise_payload_for_a_text_with_no_known_word(scorer):
    r = scorer.score("#", SEED_CANDIDATE, "pairwise")
    assert SEED_PAIRWISE_KEYS <= set(r)
    assert (r["energy"], r["mean_pairwise_similarity"]) == (1.0, 0.0)
    assert r["top_contributors"] == []
    assert r["debug_info"]["matrix_shape"] == [0, 11]


def test_joint_needs_an_encoder(scorer):
    with pytest.raises(NeedsSentenceEncoder, match="sentence encoder"):
        scorer.score("a", "b", "joint")


class FakeSentence:
    """A deterministic sentence view: GloVe mean of the reversed text."""

    name, dim = "fake", 50

    def __init__(self, glove):
        self.glove = glove

    def encode(self, texts):
        from jepa_helpers.text import tokenize

        out = [E.mean_vector(self.glove.lookup(tokenize(t)[::-1]).matrix)
               + 0.1 for t in texts]  # fmt: skip
        return E.unit_rows(np.stack(out))


def test_joint_payload_with_an_encoder(glove):
    s = Scorer(glove, FakeSentence(glove))
    r = s.score(SEED_CONTEXT, SEED_CANDIDATE, "joint", verbose=True)
    assert r["joint_cosine_similarity"] == pytest.approx(
        (r["glove_cosine_similarity"] + r["gpt_cosine_similarity"]) / 2
    )
    assert r["energy"] == pytest.approx(1 - r["joint_cosine_similarity"])
    assert r["sentence_encoder"] == "fake" and r["gpt_embedding_dim"] == 50
    cut = Scorer(glove, FakeSentence(glove), match_dims=True)
    assert cut.score("a b", "c d", "joint")["gpt_embedding_dim"] == 50


@pytest.mark.parametrize("energy", ["softmax", "pairwise", "joint"])
def test_rank_equals_single_scores(glove, energy):
    s = Scorer(glove, FakeSentence(glove))
    cands = [SEED_CANDIDATE, "stock markets fell sharply", "#", "a red ball"]
    ranked = s.rank(SEED_CONTEXT, cands, energy)
    singles = {c: s.score(SEED_CONTEXT, c, energy)["energy"] for c in cands}
    for row in ranked["ranking"]:
        assert row["energy"] == pytest.approx(singles[row["candidate"]],
                                              abs=1e-6)  # fmt: skip
    energies = [row["energy"] for row in ranked["ranking"]]
    assert energies == sorted(energies)
    assert ranked["best_candidate"] == ranked["ranking"][0]["candidate"]


# ---------------------------------------------------------------- CLI


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_single_pair(capsys):
    code, out, _ = run_cli(capsys, "score", "--context", SEED_CONTEXT,
                           "--candidate", SEED_CANDIDATE, "--encoder",
                           "none", "--top-k", "3")  # fmt: skip
    assert code == 0
    r = json.loads(out)
    assert r["energy_name"] == "softmax"
    assert len(r["token_pair_contributions_topk"]) == 3


def test_cli_pairs_tsv_and_jsonl(tmp_path, capsys):
    tsv = tmp_path / "p.tsv"
    tsv.write_text(f"{SEED_CONTEXT}\t{SEED_CANDIDATE}\n\n#\tx y\n")
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(
        json.dumps({"context": SEED_CONTEXT, "candidate": SEED_CANDIDATE})
        + "\n" + json.dumps({"context": "#", "candidate": "x y"}) + "\n"
    )  # fmt: skip
    outs = []
    for f in (tsv, jsonl):
        code, out, _ = run_cli(
            capsys,
            "score",
            "--pairs",
            str(f),
            "--energy",
            "pairwise",
            "--encoder",
            "none",
        )
        assert code == 0
        outs.append([json.loads(line) for line in out.splitlines()])
    assert outs[0] == outs[1] and len(outs[0]) == 2
    assert outs[0][1]["energy"] == 1.0


@pytest.mark.parametrize(
    "content,match",
    [
        ("only one field\n", "p.txt, line 1: expected 'context<TAB>"),
        ('a\tb\n{"context": 1}\n', "p.txt, line 2: expected a JSON"),
        ("a\tb\tc\n", "found 3 field"),
    ],
)
def test_cli_bad_pairs_file(tmp_path, capsys, content, match):
    f = tmp_path / "p.txt"
    f.write_text(content)
    code, out, err = run_cli(capsys, "score", "--pairs", str(f),
                             "--encoder", "none")  # fmt: skip
    assert code == 2 and out == ""
    assert match in err


def test_cli_errors_are_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "score", "--context", "a")
    assert code == 2 and "give --context and --candidate" in err
    code, _, err = run_cli(
        capsys,
        "score",
        "--context",
        "a",
        "--candidate",
        "b",
        "--temperature",
        "0",
        "--encoder",
        "none",
    )
    assert code == 2 and "temperature" in err
    code, _, err = run_cli(capsys, "score", "--pairs",
                           str(tmp_path / "missing.tsv"))  # fmt: skip
    assert code == 2 and "not found" in err


def test_cli_list_energies(capsys):
    code, out, _ = run_cli(capsys, "score", "--list-energies")
    rows = [json.loads(line) for line in out.splitlines()]
    names = {r["name"]: r["views"] for r in rows}
    assert names["softmax"] == ["glove"]
    assert names["joint"] == ["glove", "sentence"]


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "jepa_helpers", "score", "--context", "#",
         "--candidate", "ball", "--energy", "pairwise", "--encoder", "none"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["energy"] == 1.0
