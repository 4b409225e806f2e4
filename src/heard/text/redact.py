"""Personal data out of transcript text: card numbers, phone numbers, emails, dates of birth, addresses, account
numbers and introduced names become typed placeholders ([CARD], [PHONE], [EMAIL], [DOB], [ADDRESS], [ACCOUNT],
[NAME]).

Pure: `redact(text)` returns `Redacted(text, spans)`, the spans saying where in the original text each piece
was and of which kind (a later issue maps them to word times to redact audio too). Written for what
speech-to-text produces as well as what people type: digits said as words ("four one one one ...", "oh" for
zero, "double seven", "forty-nine"), "john dot smith at gmail dot com", "the fourteenth of March, eighty-eight".

Conservative about false positives: a number is personal data only when its shape or the words near it say
so. A card number must pass the Luhn check; an account number needs "account", "reference", "customer number"
... close by; a date needs "born", "date of birth", "DOB" ...; an amount ("£45.99", "49 pounds"), a time
("2:30") or a duration ("24 hours", "two working days") never counts. The question just before counts as near:
pass it as `context` (the agent asks "Can I take your account number?", the customer answers "seven seven
two, three one nine, zero five"); nothing in the context is redacted or returned.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from heard.text.speech import STOPWORDS

KINDS = ("CARD", "PHONE", "EMAIL", "DOB", "ADDRESS", "ACCOUNT", "NAME")
NAMES = {"CARD": "card details", "PHONE": "phone number", "EMAIL": "email address", "DOB": "date of birth",
         "ADDRESS": "address", "ACCOUNT": "account or reference number", "NAME": "name"}   # for people to read
PRIORITY = {kind: rank for rank, kind in enumerate(("EMAIL", "CARD", "DOB", "PHONE", "ACCOUNT", "ADDRESS", "NAME"))}
NEAR_BEFORE = 40   # characters between a keyword and the number it names
NEAR_AFTER = 30    # "12345678, that's my account number"


@dataclass(frozen=True)
class Span:
    """One piece of personal data: where it was in the original text, and its kind (one of KINDS)."""

    start: int
    end: int
    kind: str

    @property
    def placeholder(self) -> str:
        return f"[{self.kind}]"


class Placed(Protocol):
    """Anything found at [start, end) of a text that a placeholder replaces."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def placeholder(self) -> str: ...


def splice(text: str, spans: Iterable[Placed]) -> str:
    """`text` with each of the sorted, non-overlapping `spans` replaced by its placeholder."""
    pieces: list[str] = []
    at = 0
    for span in spans:
        pieces += [text[at:span.start], span.placeholder]
        at = span.end
    pieces.append(text[at:])
    return "".join(pieces)


@dataclass(frozen=True)
class Redacted:
    """The text with each piece of personal data replaced by its placeholder, and where the pieces were."""

    text: str
    spans: tuple[Span, ...] = ()

    def position(self, offset: int) -> int:
        """Where an offset of the original text (not inside a span) is in the redacted text."""
        shift = 0
        for s in self.spans:
            if s.start >= offset:
                break
            shift += len(s.placeholder) - (s.end - s.start)
        return offset + shift

    def part(self, start: int, end: int) -> str:
        """The redacted form of the original text's [start, end): a piece of personal data that the range cuts
        into is replaced whole, so no part of it shows."""
        for s in self.spans:
            if s.start < end and start < s.end:
                start, end = min(start, s.start), max(end, s.end)
        return self.text[self.position(start):self.position(end)]

    def counts(self) -> dict[str, int]:
        """How many pieces of each kind were replaced."""
        out: dict[str, int] = {}
        for s in self.spans:
            out[s.kind] = out.get(s.kind, 0) + 1
        return out


def redact(text: str, *, context: str = "") -> Redacted:
    """`text` with personal data replaced by typed placeholders. `context` is what was said just before (the
    question this text answers): its words count as near the start of `text`, and nothing in it is redacted."""
    lead = f"{context}\n" if context else ""
    full = lead + text
    base = len(lead)
    found = _find(full)
    chosen: list[Span] = []   # in text order, never overlapping: the higher-priority kind wins a conflict
    starts: list[int] = []
    for span in sorted(found, key=lambda s: (PRIORITY[s.kind], s.start, -(s.end - s.start))):
        if span.end <= base or span.end <= span.start:
            continue
        span = Span(max(span.start, base) - base, span.end - base, span.kind)
        i = bisect_right(starts, span.start)
        if (i and chosen[i - 1].end > span.start) or (i < len(chosen) and chosen[i].start < span.end):
            continue
        chosen.insert(i, span)
        starts.insert(i, span.start)
    return Redacted(splice(text, chosen), tuple(chosen))


def redact_turns(texts: Sequence[str]) -> list[Redacted]:
    """Each text redacted with the one before it as its context (the turns of a call, in order)."""
    return [redact(text, context=texts[i - 1] if i else "") for i, text in enumerate(texts)]


def _find(text: str) -> list[Span]:
    return [*_emails(text), *_numbers(text), *_dates_of_birth(text), *_addresses(text), *_names(text)]


# --- numbers: card, phone, account (and spoken dates of birth) ---------------------------------------------

UNITS = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4",
         "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
TEENS = {"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
         "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19"}
TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7", "eighty": "8",
        "ninety": "9"}
REPEAT = {"double": 2, "triple": 3}
TOKEN = re.compile(r"\+?[0-9]+|[^\W\d_]+(?:['’][^\W\d_]+)*")
JOIN = re.compile(r"[ \t]*(?:[,\-–—()][ \t]*){0,2}")   # between the groups of one spoken or written number
HYPHEN = re.compile(r"[ \t]*-?[ \t]*")
AMOUNT_BEFORE = re.compile(r"[£$€¥][ \t]*$")
AMOUNT_AFTER = re.compile(
    r"^[ \t]*(?:%|percent\b|per ?cent\b|pounds?\b|pence\b|p\b|quid\b|dollars?\b|cents?\b|euros?\b|bucks\b|k\b|"
    r"grand\b|gb\b|mb\b|minutes?\b|mins?\b|hours?\b|hrs?\b|days?\b|weeks?\b|months?\b|years?\b|times\b|"
    r"seconds?\b|secs?\b|miles?\b|km\b|calls?\b|texts?\b|items?\b)", re.I)
KEYWORDS = re.compile(
    r"\b(?:(?P<ACCOUNT>account|acct|a/c|reference|ref|customer (?:number|no|id)|member(?:ship)? (?:number|no|id)|"
    r"policy|order (?:number|no|id)|booking|case (?:number|no)|ticket (?:number|no)|invoice|sort code|iban|"
    r"meter (?:number|reading)|serial|contract (?:number|no)|id number)"
    r"|(?P<SECRET>pin|passcode|password|pass code|security answer|memorable (?:word|number)|(?:one[- ]time |"
    r"verification |access |pac |porting |authori[sz]ation )?code|digits)"
    r"|(?P<ZIP>post ?code|zip(?: code)?)"
    r"|(?P<PHONE>phone|mobile|cell|landline|telephone|tel|number to call|call(?:back| back) number|"
    r"call (?:me|you) (?:back )?on|ring (?:me )?on|reach me|text me|whats ?app|extension)"
    r"|(?P<DOB>born|date of birth|d\.?o\.?b|birth ?date|birthday)"
    r"|(?P<CARD>cvv|cvc|cv2|security code|security number|three digits|expiry|expiration|expires|valid until|"
    r"card))\b",
    re.I)


@dataclass
class _Run:
    """A stretch of digits, written or spoken, as one number."""

    start: int
    end: int
    digits: str
    cuts: list[tuple[int, int]]   # after each group: (digits so far, end offset)
    plus: bool = False


def _value(tokens: list[re.Match[str]], i: int, text: str) -> tuple[str, int] | None:
    """The digits the token at `i` says, and how many tokens that took; None when it says no digits."""
    raw = tokens[i].group(0)
    if raw.lstrip("+").isascii() and raw.lstrip("+").isdigit():   # "²" is a digit to isdigit(), not to int()
        return raw.lstrip("+"), 1
    word = raw.lower()
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    gap = text[tokens[i].end():nxt.start()] if nxt is not None else ""
    if word in UNITS:
        return UNITS[word], 1
    if word in TEENS:
        return TEENS[word], 1
    if word in TENS:
        if nxt is not None and HYPHEN.fullmatch(gap) and nxt.group(0).lower() in UNITS and \
                UNITS[nxt.group(0).lower()] != "0":
            return TENS[word] + UNITS[nxt.group(0).lower()], 2
        return TENS[word] + "0", 1
    if word in REPEAT and nxt is not None and gap.strip() == "":
        inner = _value(tokens, i + 1, text)
        if inner is not None and len(inner[0]) == 1:
            return inner[0] * REPEAT[word], 1 + inner[1]
    return None


def _starts_number(tokens: list[re.Match[str]], i: int, text: str) -> bool:
    """Whether the token at `i` says digits and follows the one before it as part of one number."""
    return i < len(tokens) and _value(tokens, i, text) is not None and \
        re.fullmatch(r"[ \t]*-?[ \t]*", text[tokens[i - 1].end():tokens[i].start()]) is not None


def _runs(text: str) -> list[_Run]:
    tokens = list(TOKEN.finditer(text))
    runs: list[_Run] = []
    current: _Run | None = None
    i = 0
    while i < len(tokens):
        got = _value(tokens, i, text)
        if got is None:
            current = None
            i += 1
            continue
        digits, used = got
        start, end = tokens[i].start(), tokens[i + used - 1].end()
        if current is None and tokens[i].group(0).lower() in ("oh", "o") and not _starts_number(tokens, i + 1, text):
            i += 1   # "Oh, I see" and "O'Brien" are not a zero
            continue
        if current is not None and JOIN.fullmatch(text[current.end:start]) and "\n" not in text[current.end:start]:
            current.digits += digits
            current.end = end
            current.cuts.append((len(current.digits), end))
        else:
            begin = start - 1 if start and text[start - 1] == "(" else start
            current = _Run(begin, end, digits, [(len(digits), end)], tokens[i].group(0).startswith("+"))
            runs.append(current)
        i += used
    return runs


def luhn(digits: str) -> bool:
    """The Luhn check every payment card number passes."""
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch)
        if k % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _near(keys: list[tuple[int, int, str]], ends: list[int], start: int, end: int) -> list[str]:
    """The kinds of the keywords near a number: those before it (ending within NEAR_BEFORE) nearest first, then
    those just after it. `keys` are in text order, `ends` their ends."""
    lo, hi = bisect_left(ends, start - NEAR_BEFORE), bisect_right(ends, start)
    before = [keys[i][2] for i in range(hi - 1, lo - 1, -1)]
    after = []
    for i in range(bisect_left(ends, end), len(keys)):
        if keys[i][0] > end + NEAR_AFTER:
            break
        if keys[i][0] >= end:
            after.append(keys[i][2])
    return before + after


def _within(ends: list[int], at: int, distance: int) -> bool:
    """Whether one of the sorted offsets `ends` lies in [at - distance, at]."""
    i = bisect_right(ends, at)
    return i > 0 and ends[i - 1] >= at - distance


def _card_prefix(run: _Run) -> int | None:
    """A long run that starts with a card number (then the expiry or security code): where the card ends."""
    n = len(run.digits)
    if n < 17:
        return None
    for length in (16, 15, 14, 13, 19, 18, 17):
        for count, end in run.cuts:
            if count == length and count < n and luhn(run.digits[:count]):
                return end if n - count > 8 else run.end
    return None


def _kind(run: _Run, near: list[str], letters: int) -> str | None:
    """What a number that is not a card number is, from its length, its shape and the keywords near it (the
    nearest that fits wins). `letters`: how many spelled letters come just before it ("N W seven seven ...")."""
    n = len(run.digits)
    for key in near:
        if key == "DOB" and 4 <= n <= 8:
            return "DOB"
        if key == "CARD" and 3 <= n <= 4:   # the security code, the expiry, the last four digits
            return "CARD"
        if (key == "ACCOUNT" and n + letters >= 6) or (key == "SECRET" and n + letters >= 4):
            return "ACCOUNT"
        if key == "PHONE" and 7 <= n <= 15:
            return "PHONE"
        if key == "ZIP" and n in (5, 9):
            return "ADDRESS"
    if (run.plus and 8 <= n <= 15) or (run.digits.startswith("00") and 11 <= n <= 15) or n in (10, 11):
        return "PHONE"
    return None


def _numbers(text: str) -> Iterator[Span]:
    keys = [(m.start(), m.end(), str(m.lastgroup)) for m in KEYWORDS.finditer(text)]
    ends = [k[1] for k in keys]
    for run in _runs(text):
        if AMOUNT_BEFORE.search(text[max(0, run.start - 3):run.start]) or AMOUNT_AFTER.match(text[run.end:]):
            continue
        n = len(run.digits)
        if 13 <= n <= 19 and luhn(run.digits):
            yield Span(run.start, run.end, "CARD")
            continue
        card_end = _card_prefix(run)
        if card_end is not None:
            yield Span(run.start, card_end, "CARD")
            continue
        spelled = LETTERS_BEFORE.search(text[max(0, run.start - 40):run.start])
        letters = len(re.findall(r"[A-Za-z]", spelled.group(0))) if spelled else 0
        kind = _kind(run, _near(keys, ends, run.start, run.end), letters)
        if kind is not None:
            start, end = run.start, run.end
            if kind == "ACCOUNT" and spelled is not None:
                start -= len(spelled.group(0))
            while start and text[start - 1].isalnum():   # the whole of "AB1234567"
                start -= 1
            while end < len(text) and text[end].isalnum():
                end += 1
            yield Span(start, end, kind)
    for m in EXPIRY.finditer(text):
        yield Span(m.start(1), m.end(1), "CARD")


LETTERS_BEFORE = re.compile(r"(?<![\w'’])(?:[A-Z][ \t]*){1,4}$")   # the "N W " of "N W seven seven four one two"
EXPIRY = re.compile(r"\b(?:expiry|expiration|expires|valid until|exp)\b[^.?!\n\d]{0,20}(\d{1,2}[ \t]*/[ \t]*\d{2,4})\b",
                    re.I)


_UNIT_W = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TEEN_W = r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
_TENS_W = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_NUM_W = rf"(?:{_TENS_W}(?:[- ]{_UNIT_W})?|{_TEEN_W}|{_UNIT_W})"


# --- emails ----------------------------------------------------------------------------------------------

_W = r"[A-Za-z0-9]+"
_J = r"(?:[ \t]*[._\-][ \t]*|[ \t]+(?:dot|underscore|dash|hyphen|point)[ \t]+)"
_DOT = r"(?:[ \t]*\.[ \t]*|[ \t]+dot[ \t]+)"
_TLD = r"(?:com|net|org|co|uk|io|edu|gov|info|biz|me|ie|us|ca|au|de|fr|nl|es|it|in|nz|tv|ai|app|dev|email|online)"
_PROVIDERS = r"(?:gmail|googlemail|hotmail|yahoo|outlook|icloud|aol|btinternet|protonmail|proton|live|msn|sky)"
WRITTEN_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,5}")
SPOKEN_EMAIL = re.compile(
    rf"\b{_W}(?:{_J}{_W}){{0,6}}[ \t]+(?:at|@)[ \t]+(?:{_W}(?:{_DOT}{_W}){{0,3}}{_DOT}{_TLD}|{_PROVIDERS})\b", re.I)
PROVIDER_FIRST = re.compile(   # "the gmail one, j dot ward eighty-five"
    rf"\b{_PROVIDERS}\b[^.?!\n]{{0,20}}?[ \t,:]+(?P<local>{_W}(?:{_J}{_W}){{1,4}}(?:[ \t\-]+(?:\d+|{_NUM_W}))*)\b",
    re.I)
EMAIL_SAID = re.compile(r"\b(?:e-?mail(?: address)?(?: is|'s|:)?|address is)"
                        r"(?P<words>(?:[ \t]+(?!is\b)[A-Za-z0-9]+){1,5})[ \t]*$", re.I)
SPELLED = re.compile(r"(?:(?<![\w'’])(?:[A-Za-z]|\d+|zero|oh|one|two|three|four|five|six|seven|eight|nine)[ \t,]+)"
                     r"{2,}$", re.I)


def _emails(text: str) -> Iterator[Span]:
    for m in WRITTEN_EMAIL.finditer(text):
        yield Span(m.start(), m.end(), "EMAIL")
    for m in SPOKEN_EMAIL.finditer(text):
        start = m.start()
        spelled = SPELLED.search(text[max(0, start - 80):start])   # "j o h n at gmail dot com"
        if spelled is not None and "\n" not in spelled.group(0):
            start -= len(spelled.group(0))
        # "my email is john smith at ...": the words after "email is" (five at most) are the address.
        lead = max(0, start - 60)
        said = EMAIL_SAID.search(text[lead:start])
        if said is not None and "\n" not in said.group("words"):
            words = said.group("words")
            start = lead + said.start("words") + len(words) - len(words.lstrip())
        yield Span(start, m.end(), "EMAIL")
    for m in PROVIDER_FIRST.finditer(text):
        yield Span(m.start("local"), m.end("local"), "EMAIL")


# --- dates of birth --------------------------------------------------------------------------------------

_ORD_UNIT = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
_ORD_W = (rf"(?:(?:twenty|thirty)[- ]?{_ORD_UNIT}|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|"
          rf"seventeenth|eighteenth|nineteenth|twentieth|thirtieth|{_ORD_UNIT})")
_DAY = rf"(?:the[ \t]+)?(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORD_W})"
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b")
_TWO_W = rf"(?:{_TENS_W}(?:[- ]{_UNIT_W})?|{_TEEN_W}|(?:oh|o)[- ]{_UNIT_W})"
_YEAR_STRICT = (rf"(?:(?:19|20)\d{{2}}|(?:nineteen|twenty)[- ](?:{_TWO_W}|hundred)|"
                rf"two[- ]thousand(?:[- ]and)?(?:[- ](?:{_TWO_W}|{_UNIT_W}))?)")
_YEAR = rf"(?:{_YEAR_STRICT}|'?\d{{2}}\b|{_TWO_W})"
_SEP = r"(?:[ \t]*,[ \t]*|[ \t]+)"
DATE = re.compile(
    rf"\b(?:\d{{1,2}}[ \t]*[/.\-][ \t]*\d{{1,2}}[ \t]*[/.\-][ \t]*(?:\d{{4}}|\d{{2}})\b|\d{{4}}-\d{{1,2}}-\d{{1,2}}\b"
    rf"|{_DAY}(?:[ \t]+of)?{_SEP}{_MONTH}(?:{_SEP}(?:in[ \t]+)?{_YEAR})?"
    rf"|{_MONTH}{_SEP}(?:the[ \t]+)?(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORD_W})\b(?:{_SEP}{_YEAR})?"
    rf"|{_MONTH}{_SEP}{_YEAR_STRICT}"
    rf"|'?{_YEAR_STRICT})(?![\w'])", re.I)


def _dates_of_birth(text: str) -> Iterator[Span]:
    for key in KEYWORDS.finditer(text):
        if key.lastgroup != "DOB":
            continue
        window = text[key.end():key.end() + NEAR_BEFORE + 40]
        m = DATE.search(window)
        if m is not None and m.start() <= NEAR_BEFORE and len(window[:m.start()].split()) <= 8:
            yield Span(key.end() + m.start(), key.end() + m.end(), "DOB")


# --- addresses -------------------------------------------------------------------------------------------

STRONG_STREETS = ("street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "crescent", "terrace", "boulevard",
                  "blvd", "gardens", "mews", "parade", "highway", "hwy")
WEAK_STREETS = ("way", "close", "drive", "dr", "walk", "park", "hill", "place", "pl", "court", "ct", "row",
                "square", "sq", "green", "grove", "rise", "view")
STREET = re.compile(
    rf"\b(?:(?:flat|apartment|apt|unit)[ \t]+\w{{1,4}}[ \t]*,?[ \t]*)?(?:\d{{1,4}}[A-Za-z]?|{_NUM_W})[ \t]*,?[ \t]+"
    rf"(?P<name>(?:[A-Za-z][A-Za-z'’\-]*[ \t]+){{1,3}}?)(?P<street>{'|'.join(STRONG_STREETS + WEAK_STREETS)})\b\.?",
    re.I)
ADDRESS_SAID = re.compile(r"\b(?:address|live (?:at|on)|living (?:at|on)|moved (?:to|house)|deliver\w* (?:it )?to|"
                          r"send (?:it )?to|sent to|postcode|post code|zip|house|flat|home is|based at)\b", re.I)
POSTCODE = r"\b(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[ \t]*[0-9][A-Z]{2}\b"
POSTCODE_UPPER = re.compile(POSTCODE)
POSTCODE_ANY = re.compile(POSTCODE, re.I)
NOT_STREET_NAME = frozenset(
    "more other another different easy quick long short better best wrong simple same whole good great little big "
    "small minute minutes mile miles hour hours day days week weeks month months year years second seconds pound "
    "pounds times time step steps last next first few many much lot lots extra free working business calendar "
    "down up along across round around past minute's".split())


def _addresses(text: str) -> Iterator[Span]:
    said = [m.end() for m in ADDRESS_SAID.finditer(text)]
    ends: list[int] = []
    for m in STREET.finditer(text):
        names = m.group("name").split()
        if any(w.lower() in STOPWORDS or w.lower() in NOT_STREET_NAME for w in names):
            continue
        capitalised = all(w[0].isupper() for w in names) and m.group("street")[0].isupper()
        if m.group("street").lower() in WEAK_STREETS and not capitalised and \
                not _within(said, m.start(), 60):
            continue
        end = m.end() - (1 if m.group(0).endswith(".") else 0)
        ends.append(end)
        yield Span(m.start(), end, "ADDRESS")
    for m in POSTCODE_UPPER.finditer(text):
        yield Span(m.start(), m.end(), "ADDRESS")
    near = sorted(said + ends)
    for m in POSTCODE_ANY.finditer(text):
        if _within(near, m.start(), 60):
            yield Span(m.start(), m.end(), "ADDRESS")


# --- names -----------------------------------------------------------------------------------------------

NOT_NAME = STOPWORDS | frozenset(
    "calling ringing phoning speaking here from please thanks thank hi hello hey sorry sure fine good great "
    "happy glad afraid still not trying looking waiting about again everyone all both guys team folks mate love "
    "dear sir madam there customer customers service services support billing sales account accounts manager "
    "someone somebody anyone anybody nobody everybody today tomorrow yesterday morning afternoon evening night "
    "and but or because so then also actually basically literally honestly just only even much very too "
    "worried upset frustrated angry annoyed stressed fed confused calling about regarding ringing the bye goodbye "
    "cheers ta monday tuesday wednesday thursday friday saturday sunday mr mrs ms mx dr miss".split())
INTRO = re.compile(
    r"\b(?:my name(?:'s| is)|name's|the name is|my full name is|name on (?:the )?(?:card|account) is|"
    r"you(?:'re| are) (?:speaking|talking) (?:to|with)|you(?:'re| are) through to|in the name of|"
    r"(?:the )?account holder is)[ \t]+", re.I)
SELF = re.compile(r"\b(?:this is|it's|it is|i'm|i am)[ \t]+", re.I)
SELF_AFTER = frozenset("speaking here calling from with".split())
SPEAKING = re.compile(r"(?:^|(?<=[,.!?]))[ \t]*([A-Z][^\W\d_]+(?:[ \t]+[A-Z][^\W\d_]+)?)[ \t]+speaking\b", re.M)
TITLE = re.compile(r"\b(?:[Mm]rs?|Ms|Mx|Dr|Miss)\.?[ \t]+")
GREETING = re.compile(r"\b(?i:thanks|thank you|hi|hello|hiya|bye|goodbye|cheers)[ \t]*,?[ \t]+(?=[A-Z])")
SPELL = re.compile(r"\b(?:spelt|spelled|spelling|spell it)(?:[ \t]+(?:is|as|like))?[ \t]*[:,\-]?[ \t]*", re.I)
SPACE = re.compile(r"[ \t]+")
AFTER = re.compile(r"[ \t]*([^\W\d_]+)")
LETTERS = re.compile(r"[A-Za-z](?:[ \t,.\-]+[A-Za-z](?![A-Za-z])){1,30}(?![A-Za-z])")
NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'’\-]*(?:['’\-][^\W\d_]+)*")


def _name_words(text: str, at: int, *, capital: bool, limit: int = 3) -> tuple[int, int, str] | None:
    """Up to `limit` name-like words from `at`, one space apart (capitalised if the first is, or if `capital`; two
    at most in lower-case text): their span and the word after them."""
    words: list[re.Match[str]] = []
    pos = at
    while len(words) < limit:
        m = NAME_WORD.match(text, pos)
        if m is None or m.group(0).lower() in NOT_NAME:
            break
        upper = m.group(0)[0].isupper()
        if (capital or (words and words[0].group(0)[0].isupper())) and not upper:
            break
        if len(words) == 2 and not words[0].group(0)[0].isupper():
            break
        words.append(m)
        gap = SPACE.match(text, m.end())
        if gap is None:
            break
        pos = gap.end()
    if not words:
        return None
    after = AFTER.match(text, words[-1].end())
    return words[0].start(), words[-1].end(), after.group(1).lower() if after else ""


def _names(text: str) -> Iterator[Span]:
    for m in INTRO.finditer(text):
        got = _name_words(text, m.end(), capital=False)
        if got is not None:
            yield Span(got[0], got[1], "NAME")
    for m in SELF.finditer(text):   # "this is Sam speaking", "I'm Sam from Northwind"
        got = _name_words(text, m.end(), capital=False)
        if got is None:
            continue
        capital = text[got[0]].isupper()
        introduces = m.group(0).lower().startswith("this") and text[got[1]:got[1] + 1] == ","   # "This is Ana, how"
        if got[2] == "speaking" or (capital and (got[2] in SELF_AFTER or introduces)):
            yield Span(got[0], got[1], "NAME")
    for m in SPEAKING.finditer(text):   # "Northwind Mobile, Ravi speaking"
        yield Span(m.start(1), m.end(1), "NAME")
    for m in TITLE.finditer(text):
        got = _name_words(text, m.end(), capital=m.group(0)[0] == "D", limit=2)
        if got is not None:
            yield Span(got[0], got[1], "NAME")
    for m in GREETING.finditer(text):   # "Thank you, Sarah."
        got = _name_words(text, m.end(), capital=True, limit=2)
        if got is not None and re.match(r"[ \t]*(?:[,.!?]|$)", text[got[1]:]):
            yield Span(got[0], got[1], "NAME")
    for m in SPELL.finditer(text):   # "spelt S M I T H"
        letters = LETTERS.match(text, m.end())
        if letters is not None:
            yield Span(letters.start(), letters.end(), "NAME")
