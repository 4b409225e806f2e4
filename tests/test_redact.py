"""Redaction of personal data in transcript text (heard/text/redact.py): each kind, written and spoken, the
question before as context, and what must survive (amounts, times, durations, Luhn-failing numbers)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heard.text.redact import KINDS, Redacted, Span, luhn, redact, redact_turns

# Named examples: (what the customer or agent said, what heard should make of it).
REDACTED = {
    "card digits": ("My card number is 4111 1111 1111 1111.", "My card number is [CARD]."),
    "card dashes": ("It's 5500-0000-0000-0004, thanks.", "It's [CARD], thanks."),
    "card digit words": ("four one one one, one one one one, one one one one, one one one one",
                         "[CARD]"),
    "card then expiry and code": ("four one one one one one one one one one one one one one one one oh three two six "
                                  "one two three", "[CARD]"),
    "security code": ("and the security code is seven three one", "and the security code is [CARD]"),
    "expiry": ("expiry 12/26", "expiry [CARD]"),
    "last four digits": ("the last four digits of the card are four four one nine",
                         "the last four digits of the card are [CARD]"),
    "uk mobile": ("call me on 07700 900123 please", "call me on [PHONE] please"),
    "international": ("It's +44 7700 900123.", "It's [PHONE]."),
    "us phone": ("(555) 123-4567 is my cell", "[PHONE] is my cell"),
    "spoken phone with oh and double": ("my mobile is oh seven seven double oh, nine double oh one two three",
                                        "my mobile is [PHONE]"),
    "written email": ("my email is john.smith@example.co.uk", "my email is [EMAIL]"),
    "spoken email": ("it's john dot smith at gmail dot com", "it's [EMAIL]"),
    "spoken email, words": ("my email is john smith at gmail dot com thanks", "my email is [EMAIL] thanks"),
    "spelled email": ("my email is j o h n at hotmail dot co dot uk", "my email is [EMAIL]"),
    "provider first": ("The gmail one, j dot ward eighty-five.", "The gmail one, [EMAIL]."),
    "dob written": ("I was born on the 14th of March 1988.", "I was born on [DOB]."),
    "dob numeric": ("date of birth: 14/03/1988", "date of birth: [DOB]"),
    "dob spoken": ("DOB is fourteenth of March, eighty-eight", "DOB is [DOB]"),
    "dob month first": ("my birthday is March 3rd, 1990", "my birthday is [DOB]"),
    "street and postcode": ("I live at 12 Acacia Avenue, Leeds LS1 4AB.", "I live at [ADDRESS], Leeds [ADDRESS]."),
    "spoken address": ("my address is flat 3, forty two park close, leeds, ls1 4ab",
                       "my address is [ADDRESS], leeds, [ADDRESS]"),
    "account": ("my account number is 12345678", "my account number is [ACCOUNT]"),
    "reference with letters": ("the reference is AB1234567", "the reference is [ACCOUNT]"),
    "account after": ("it's 4421 9087, that's my customer number", "it's [ACCOUNT], that's my customer number"),
    "one-time code": ("the code is four eight one two nine three", "the code is [ACCOUNT]"),
    "my name is": ("My name is Sarah Jones and I'm calling about my bill.",
                   "My name is [NAME] and I'm calling about my bill."),
    "my name is, lower case": ("my name is john smith i was charged twice", "my name is [NAME] i was charged twice"),
    "this is ... speaking": ("this is dave speaking", "this is [NAME] speaking"),
    "agent greeting": ("Northwind Mobile, Ravi speaking, how can I help?",
                       "Northwind Mobile, [NAME] speaking, how can I help?"),
    "this is, comma": ("This is Ana, how can I help?", "This is [NAME], how can I help?"),
    "i'm ... from": ("Hi, I'm Sarah from Northwind.", "Hi, I'm [NAME] from Northwind."),
    "title": ("Thank you, Mrs Patel.", "Thank you, Mrs [NAME]."),
    "thanks name": ("Thank you, Sarah.", "Thank you, [NAME]."),
    "spelt": ("that's spelt S M I T H", "that's spelt [NAME]"),
}

KEPT = {
    "amounts, times, durations": "It costs £45.99 and we'll call back at 2:30 within 24 hours, two working days.",
    "spoken amount": "I see two payments of forty-nine ninety.",
    "luhn-failing card number": "4111 1111 1111 1112 is on my card",
    "luhn-failing spoken": "my card is four one one one one one one one one one one one one one one two",
    "short number near account": "my account has 3 lines and I pay 25 pounds",
    "amount near account": "the account balance is £1,234,567",
    "date not of birth": "The engineer is coming on the 3rd of May between 8 and 12.",
    "question about birth date": "Can I confirm your date of birth first?",
    "oh as a word": "Oh, one more thing, I paid 49.99 pounds",
    "street word in speech": "about 5 miles down the road, one more way round it",
    "this is ...": "this is the third time calling, this is ridiculous",
    "feelings": "I'm Worried here, I was charged twice and my rent is due Friday.",
    "order count": "I ordered 2 phones and 3 cases in 2019, 2020",
    "ms as a unit": "the delay is 200 ms here",
}


@pytest.mark.parametrize("said,expected", list(REDACTED.values()), ids=list(REDACTED))
def test_redact_replaces_personal_data(said: str, expected: str) -> None:
    assert redact(said).text == expected


@pytest.mark.parametrize("said", list(KEPT.values()), ids=list(KEPT))
def test_redact_keeps_what_is_not_personal(said: str) -> None:
    result = redact(said)
    assert result.text == said
    assert result.spans == ()


@pytest.mark.parametrize("context,said,expected", [
    ("Can I have your account number please?", "It's seven seven two, three one nine, zero five.", "It's [ACCOUNT]."),
    ("For security, can you confirm your date of birth?", "Fourteenth of March, eighty-eight.", "[DOB]."),
    ("Can I take your order number?", "N W seven seven four one two.", "[ACCOUNT]."),
    ("What's the best number to call you back on?", "five five five, one two three four", "[PHONE]"),
])
def test_redact_reads_the_question_before(context: str, said: str, expected: str) -> None:
    assert redact(said, context=context).text == expected
    assert redact(said).text == said   # alone, the answer is only a number or a date
    assert redact_turns([context, said])[1].text == expected


@pytest.mark.parametrize("said", ["I'd like to pay 1234 5678 9012 please"])
def test_redact_twelve_digits_without_a_keyword_are_kept(said: str) -> None:
    assert redact(said).text == said


@pytest.mark.parametrize("digits,valid", [("4111111111111111", True), ("4111111111111112", False),
                                          ("79927398713", True), ("378282246310005", True)])
def test_redact_luhn(digits: str, valid: bool) -> None:
    assert luhn(digits) is valid


@pytest.mark.parametrize("said", ["Call 07700 900123 or email jo@example.com, I'm at 12 Acacia Avenue."])
def test_redact_spans_point_into_the_original(said: str) -> None:
    result = redact(said)
    assert [s.kind for s in result.spans] == ["PHONE", "EMAIL", "ADDRESS"]
    assert [said[s.start:s.end] for s in result.spans] == ["07700 900123", "jo@example.com", "12 Acacia Avenue"]
    assert result.counts() == {"PHONE": 1, "EMAIL": 1, "ADDRESS": 1}
    assert result.text == "Call [PHONE] or email [EMAIL], I'm at [ADDRESS]."
    # A piece of the original, redacted: a range that cuts into personal data shows its placeholder whole.
    assert result.part(0, 8) == "Call [PHONE]"
    assert result.part(said.index("email"), said.index(",")) == "email [EMAIL]"


@pytest.mark.parametrize("said", ["Thanks, Bye.", "Hello? Are you still there?", "Three to five working days."])
def test_redact_common_call_lines_untouched(said: str) -> None:
    assert redact(said).text == said


@pytest.mark.parametrize("kinds", [KINDS])
def test_redact_kinds_are_the_documented_placeholders(kinds: tuple[str, ...]) -> None:
    assert kinds == ("CARD", "PHONE", "EMAIL", "DOB", "ADDRESS", "ACCOUNT", "NAME")
    assert Span(0, 1, "CARD").placeholder == "[CARD]"


PIECES = st.sampled_from([
    "4111 1111 1111 1111", "four one one one", "oh", "double", "seven", "at", "gmail", "dot", "com", "my name is",
    "this is", "speaking", "Mrs", "born", "date of birth", "14th of March", "account", "12", "Acacia", "Avenue",
    "LS1 4AB", "£45.99", "2:30", "+44", "(", ")", "-", ",", ".", "\n", "spelt", "S M I T H", "@", "x@y.co",
    "Thank you,", "Sarah", "N W", "code", "'", "’", "é", "ß", "0", "99999999999999999999", "²", "٣", "½",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=40).map(" ".join), st.text(max_size=40))
def test_redact_fuzz_never_raises_and_spans_stay_inside(text: str, context: str) -> None:
    result = redact(text, context=context)
    assert isinstance(result, Redacted)
    last = 0
    for span in result.spans:
        assert 0 <= last <= span.start < span.end <= len(text)
        assert span.kind in KINDS
        last = span.end
    # Outside the spans, the text is the original; each span became its placeholder.
    rebuilt, at = [], 0
    for span in result.spans:
        rebuilt += [text[at:span.start], span.placeholder]
        at = span.end
    rebuilt.append(text[at:])
    assert result.text == "".join(rebuilt)
    assert result.part(0, len(text)) == result.text
