"""Sentences of spoken text: punctuation where it exists, spoken sentence openers where it does not."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heard.text.sentences import sentences, split

RUN_ON = ("okay so i can see that here it looks like the payment retried after a timeout so that is why you got "
          "two charges let me go ahead and put in that refund for you and you should see it in three to five days")


@pytest.mark.parametrize(("text", "expected"), [
    ("Thank you for calling Northwind, this is Sam. How can I help?",
     ["Thank you for calling Northwind, this is Sam.", "How can I help?"]),
    ("It costs $3.50 per month. Mr. Smith will call you.", ["It costs $3.50 per month.", "Mr. Smith will call you."]),
    ("sorry?", ["sorry?"]),
    ("mhm", ["mhm"]),
    (RUN_ON, ["okay so i can see that here", "it looks like the payment retried after a timeout",
              "so that is why you got two charges", "let me go ahead and put in that refund for you",
              "and you should see it in three to five days"]),
    ("alright perfect so what i'm gonna do is send you a text with the tracking number does that sound okay",
     ["alright perfect so what i'm gonna do is send you a text with the tracking number", "does that sound okay"]),
])
def test_sentences_of_speech(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize("text", ["i can see that", "let me check", "so you were charged twice"])
def test_sentences_short_text_stays_whole(text: str) -> None:
    assert sentences(text) == [text]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"abc .,?!'3", "so ", "let me ", "can you ", "i'll ", "Mr. ", "word "]),
                max_size=60).map("".join))
def test_sentences_spans_are_ordered_and_cover_every_word(text: str) -> None:
    spans = split(text)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))
    covered = set().union(*(range(a, b) for a, b in spans)) if spans else set()
    assert all(i in covered for i, ch in enumerate(text) if re.match(r"\w", ch))
