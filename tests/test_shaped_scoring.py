"""The shaped energies as named energies of the scorer and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jepa_helpers import shaping as S
from jepa_helpers.__main__ import SEED_CANDIDATE, SEED_CONTEXT, main
from jepa_helpers.scoring import (
    ENERGIES,
    ENERGY_SPECS,
    NeedsSentenceEncoder,
    Scorer,
)
from jepa_helpers.shaped_scoring import SHAPED_SPECS
from jepa_helpers.stopwords import STOPWORDS
from jepa_helpers.text import tokenize

GLOVE_ONLY = [n for n, s in SHAPED_SPECS.items() if s.views == ("glove",)]
CANDIDATES = [
    SEED_CANDIDATE,
    "stock markets fell sharply",
    "#",
    "the a of",
    "a red ball",
    "The child is not playing; the park is closed and the ball is lost "
    "somewhere under the old wooden bench near the gate.",
]


class FakeSentence:
    """A deterministic sentence view: GloVe mean of the reversed text."""

    name, dim = "fake", 50

    def __init__(self, glove):
        self.glove = glove

    def encode(self, texts):
        out = []
        for t in texts:
            M = self.glove.lookup(tokenize(t)[::-1]).matrix
            out.append(M.sum(0) if len(M) else np.zeros(50))
        return np.asarray(out, dtype=np.float32) + 0.1


@pytest.fixture(scope="module")
def scorer(glove):
    return Scorer(glove, FakeSentence(glove))


def test_every_shaped_energy_is_registered_with_its_views():
    for name, spec in SHAPED_SPECS.items():
        assert ENERGIES[name] == spec.views
        assert ENERGY_SPECS[name] is spec
        assert "E" in spec.description or "energy" in spec.description
    assert {"softmax", "pairwise", "joint"} <= set(ENERGIES)


@pytest.mark.parametrize("energy", list(SHAPED_SPECS))
def test_batched_energies_equal_single_scores(scorer, energy):
    batch = scorer.energies(SEED_CONTEXT, CANDIDATES, energy)
    for c, E_c in zip(CANDIDATES, batch):
        one = scorer.score(SEED_CONTEXT, c, energy)["energy"]
        assert E_c == pytest.approx(one, abs=1e-6), c
    ranked = scorer.rank(SEED_CONTEXT, CANDIDATES, energy)
    assert [r["energy"] for r in ranked["ranking"]] == sorted(batch)


@pytest.mark.parametrize("energy", GLOVE_ONLY)
def test_empty_context_gives_the_documented_energy(scorer, energy):
    got = scorer.energies("#", ["a red ball", "#"], energy)
    one = scorer.score("#", "a red ball", energy)["energy"]
    assert got[0] == pytest.approx(one) and got[1] == pytest.approx(one)


@pytest.mark.parametrize("energy", GLOVE_ONLY)
def test_payload_is_json_and_indices_point_at_tokens(scorer, energy):
    r = scorer.score(SEED_CONTEXT, SEED_CANDIDATE, energy, verbose=True)
    assert r["energy_name"] == energy
    assert r["energy_definition"] == SHAPED_SPECS[energy].description
    tx, ty = r["glove_tokens_context"], r["glove_tokens_candidate"]
    assert len(r["token_weights_context"]) == len(tx)
    assert 0 < len(r["token_pair_contributions_topk"]) <= 20
    for pair in r["token_pair_contributions_topk"]:
        assert tx[pair["indices"]["i"]] == pair["context_token"]
        assert ty[pair["indices"]["j"]] == pair["candidate_token"]
    json.dumps(r, allow_nan=False)


def test_stopword_masking_names_the_masked_tokens(scorer):
    r = scorer.score(SEED_CONTEXT, SEED_CANDIDATE, "stopword_softmax")
    assert r["masked_tokens_context"] == ["a", "is", "with", "a", "in", "the"]
    assert set(r["masked_tokens_candidate"]) <= STOPWORDS
    for pair in r["token_pair_contributions_topk"]:
        assert pair["context_token"] not in STOPWORDS
    assert r["temperature"] == SHAPED_SPECS["stopword_softmax"].tau


def test_sif_weights_follow_the_vocabulary_rank(scorer, glove):
    w = scorer.vocab_weights
    rows = glove.ids(["the", "ball", "playground"])
    assert rows[0] < rows[1] < rows[2]
    sif = w.of_rows(rows, "sif")
    assert sif[0] < sif[1] < sif[2]
    p = S.zipf_probabilities(len(glove))
    assert np.allclose(sif, S.sif_weights(p[rows]))


def test_greedy_energy_of_a_text_with_itself_is_zero(scorer):
    e = scorer.score(SEED_CONTEXT, SEED_CONTEXT, "greedy")["energy"]
    assert e == pytest.approx(0.0, abs=1e-6)


def test_joint_sif_combines_the_two_cosines(scorer):
    r = scorer.score(SEED_CONTEXT, SEED_CANDIDATE, "joint_sif", alpha=0.3)
    want = 1 - (0.3 * r["sif_cosine_similarity"]
                + 0.7 * r["gpt_cosine_similarity"])  # fmt: skip
    assert r["energy"] == pytest.approx(want)
    sif = scorer.score(SEED_CONTEXT, SEED_CANDIDATE, "sif")["energy"]
    assert r["sif_cosine_similarity"] == pytest.approx(1 - sif)
    default = scorer.score(SEED_CONTEXT, SEED_CANDIDATE, "joint_sif")
    assert default["alpha"] == SHAPED_SPECS["joint_sif"].alpha


def test_joint_sif_needs_an_encoder(glove):
    with pytest.raises(NeedsSentenceEncoder, match="joint_sif"):
        Scorer(glove).score("a", "b", "joint_sif")
    with pytest.raises(NeedsSentenceEncoder, match="joint_sif"):
        Scorer(glove).energies("a", ["b"], "joint_sif")


def test_seed_defaults_are_unchanged(scorer):
    r = scorer.score(SEED_CONTEXT, SEED_CANDIDATE, "softmax")
    assert r["temperature"] == 0.5
    assert scorer.score("a", "b", "joint")["alpha"] == 0.5


# ---------------------------------------------------------------- CLI


def test_cli_lists_every_energy_with_views_and_description(capsys):
    assert main(["score", "--list-energies"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows] == list(ENERGIES)
    for r in rows:
        assert r["views"] == list(ENERGIES[r["name"]])
        assert r["description"] == ENERGY_SPECS[r["name"]].description


@pytest.mark.parametrize("energy", GLOVE_ONLY + ["softmax", "pairwise"])
def test_cli_scores_a_pairs_file_with_every_glove_energy(
    tmp_path, capsys, glove, energy
):
    f = tmp_path / "pairs.jsonl"
    rows = [{"context": SEED_CONTEXT, "candidate": c} for c in CANDIDATES]
    f.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code = main(["score", "--pairs", str(f), "--energy", energy,
                 "--encoder", "none"])  # fmt: skip
    assert code == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == len(CANDIDATES)
    scorer = Scorer(glove)
    want = scorer.energies(SEED_CONTEXT, CANDIDATES, energy)
    assert np.allclose([o["energy"] for o in out], want, atol=1e-6)
