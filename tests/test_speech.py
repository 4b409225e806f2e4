"""Speech helpers: a backchannel is a short listening signal, decided the same way by the quick path as by its rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heard.model import Role, Turn
from heard.text.speech import AGENT, BACKCHANNEL_MAX_SECONDS, BACKCHANNEL_MAX_WORDS, CUSTOMER, is_backchannel, tokens


def rule(turn: Turn) -> bool:
    """The backchannel rule, plainly: at most 1.5 s (when timed), 3 pieces between spaces and 3 words."""
    duration = turn.duration
    return ((duration is None or duration <= BACKCHANNEL_MAX_SECONDS)
            and len(turn.text.split()) <= BACKCHANNEL_MAX_WORDS and len(tokens(turn.text)) <= BACKCHANNEL_MAX_WORDS)


@pytest.mark.parametrize(("text", "start", "end", "expected"), [
    ("Mhm.", 3.0, 3.4, True),
    ("Right, yeah, okay.", 3.0, 4.0, True),
    ("right,yeah,sure,ok", 3.0, 4.0, False),     # one piece between spaces, four words
    ("Mhm.", 3.0, 5.0, False),                   # too long to be a backchannel
    ("Okay.", None, None, True),                 # no times: the words decide
])
def test_speech_is_backchannel(text: str, start: float | None, end: float | None, expected: bool) -> None:
    turn = Turn(speaker=Role.CUSTOMER, start=start, end=end, text=text)
    assert is_backchannel(turn) is expected
    assert rule(turn) is expected


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("ab ,.'’-\t"), min_size=1, max_size=20).filter(str.strip),
       st.one_of(st.none(), st.tuples(st.floats(0, 10), st.floats(0, 3))))
def test_speech_is_backchannel_follows_the_rule(text: str, times: tuple[float, float] | None) -> None:
    start, end = (times[0], times[0] + times[1]) if times else (None, None)
    turn = Turn(speaker=Role.AGENT, start=start, end=end, text=text)
    assert is_backchannel(turn) == rule(turn)


def test_speech_party_names_are_the_roles() -> None:
    assert (AGENT, CUSTOMER) == (Role.AGENT, Role.CUSTOMER)
