"""Frustration cues: the quick paths (lower-cased trigger scan, capitals check) find what the plain patterns find."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heard.text.frustration import _ANY, ALL_CAPS, TRIGGERS, Cue, find_cues, literal_trie

REPEAT = "This is the Third time I've called about it."
CANCEL_UNICODE = "I want to CANCEL — now, café or not."
SHOUTING = "I am SO ANGRY about this bill."
QUIET = "I need to pay a bill today."


PLAIN_TRIGGER = re.compile("|".join(map(re.escape, TRIGGERS)), re.I)   # a flat alternation, not the trie


def plain_cues(text: str) -> list[Cue]:
    """find_cues without earlier questions, written the slow, obvious way: every pattern case-insensitive."""
    found = [Cue(str(m.lastgroup), m.span(), m.group(0)) for m in _ANY.finditer(text)] \
        if PLAIN_TRIGGER.search(text) else []
    found += [Cue("all_caps", m.span(), m.group(0)) for m in ALL_CAPS.finditer(text)
              if max(len(w.strip("!?.")) for w in m.group(0).split()) >= 4]
    return sorted(found, key=lambda c: c.span)


@pytest.mark.parametrize(("text", "kinds"), [
    (REPEAT, ["repeat_contact"]), (CANCEL_UNICODE, ["cancel_threat"]), (SHOUTING, ["all_caps"]), (QUIET, []),
])
def test_frustration_cues_named_examples(text: str, kinds: list[str]) -> None:
    assert [c.kind for c in find_cues(text)] == kinds
    assert find_cues(text) == plain_cues(text)


# Words that trip the triggers, in any case, with filler, punctuation and a few non-ASCII letters (the long s folds to s
# only case-insensitively, which a lower-cased scan would miss; the Kelvin sign lower-cases to k).
WORDS = st.sampled_from([*TRIGGERS, "fed up", "this is the second time", "i called yesterday", "speak to a manager",
                         "the", "bill", "ok", "SO", "ANGRY", "NOW", "café", "ſick of it", "a jo\u212ae", "?", ".", "!"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(WORDS, st.sampled_from([str.lower, str.upper, str.title])), max_size=12))
def test_frustration_quick_paths_match_the_plain_patterns(parts: list[tuple[str, object]]) -> None:
    text = " ".join(case(word) for word, case in parts)  # type: ignore[operator]
    assert find_cues(text) == plain_cues(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="abc d.", min_size=1, max_size=5), min_size=1, max_size=8),
       st.text(alphabet="abc d.xA", max_size=40))
def test_frustration_literal_trie_finds_what_the_alternation_finds(words: list[str], text: str) -> None:
    """Words sharing prefixes, words that are prefixes of others, regex metacharacters: the trie is found exactly
    where some word is."""
    trie = re.compile(literal_trie(words))
    flat = re.compile("|".join(map(re.escape, words)))
    found, expected = trie.search(text), flat.search(text)
    assert (found is None) == (expected is None)
    if found is not None and expected is not None:
        assert found.start() == expected.start()   # the same leftmost place
