"""A small English stopword list for masking function words.

Rule (written for this project, not copied from another list): the
closed-class words of English that the tokenizer (``[a-z']+``) can
produce -- articles and determiners, personal, possessive, reflexive,
demonstrative and relative pronouns, the common prepositions and
conjunctions, the forms of "be", "have" and "do", the modal verbs, and
the clitics GloVe stores as separate tokens (``'s``, ``'re`` ...).
Negations (``not``, ``no``, ``never``, ``nor``, ``n't``) and quantifiers
that change meaning (``all``, ``some``, ``few``, ``many``, ``more``,
``most``) and the particles ``up``, ``down``, ``off``, ``out`` are
deliberately *kept out*: masking them would hide the one
word that makes a contradiction.

Why mask at all: almost every pair of English sentences shares ``a`` or
``the``, and function words sit close together in GloVe space, so they
dominate any energy that looks at token pairs (see
07_energy_shaping_and_evaluation).

Introduced in 07_energy_shaping_and_evaluation.
"""

from __future__ import annotations

_GROUPS = {
    "articles and determiners": "a an the this that these those each "
    "every either neither another such",
    "personal pronouns": "i me you he him she her it we us they them",
    "possessives": "my mine your yours his hers its our ours their theirs",
    "reflexives": "myself yourself himself herself itself ourselves "
    "yourselves themselves",
    "relative and interrogative pronouns": "who whom whose which what "
    "that where when whether",
    "prepositions": "of to in on at by for with from into onto upon "
    "about above below over under between among through during before "
    "after against within without across along around behind beside "
    "near toward towards",
    "conjunctions": "and or but if so than then because while although "
    "though as also too",
    "be": "be am is are was were been being",
    "have": "have has had having",
    "do": "do does did doing done",
    "modals": "can could may might must shall should will would",
    "clitics": "'s 's 're 've 'd 'll 'm",
    "other function words": "there here very just",
}

#: The stopwords, lower-case (see the module docstring for the rule).
STOPWORDS: frozenset[str] = frozenset(
    word for words in _GROUPS.values() for word in words.split()
)


def is_stopword(token: str) -> bool:
    """``True`` when ``token`` (lower-case) is in ``STOPWORDS``.

    Introduced in 07_energy_shaping_and_evaluation.
    """
    return token in STOPWORDS
