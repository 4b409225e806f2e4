"""Finding personal data in one transcript text: card numbers, national ids, phone numbers, e-mail addresses,
dates of birth, postal addresses and account numbers, written or spoken.

`find_pii(text)` returns where each identifier is (character offsets into `text`) and of which type;
`redact_text(text)` replaces each with its placeholder ("[CARD]", "[PHONE]", ...). Both are pure.

How each type is recognised (on the text as `heard.redact.spoken.normalise` rewrites it, so "four one one one"
reads as "4 1 1 1"):

- A *number* is a run of digit groups, written or spoken, joined by spaces, dashes, commas or brackets
  ("4111 1111 1111 1111", "four one one one, one one ...", "(201) 555-0123"). A dot joins only written groups
  of three or more ("201.555.0123", not "49.99"); the hours and minutes of a time ("14:05") are never part
  of one. Amounts ("$45", "49.99", "1,250", "30 dollars", "five hundred thousand"), counts with a unit after
  them ("3 items", "20 minutes") and written dates ("2026-03-02") are never personal data; a number said with
  "hundred" ("one eight hundred ...") can only be a phone number.
- CARD: 13 to 19 digits that pass the Luhn check and start as a card scheme's numbers do (13: 4; 14 and 15: 3;
  16: 2 to 6; 17 to 19: 4 to 6). In a longer run, the first 16 (or 15, American Express) digits that make a
  card, with up to 8 digits said straight after it (the expiry, the security code). A run that fails Luhn is a
  card only when a card word names it ("my card number is ...", "visa", "the long number": 12 to 24 digits, as
  speech-to-text gets a digit wrong or adds a group); otherwise it is kept. The security code and the expiry
  date count as CARD too when said after "CVV", "security code", "three digits on the back", "expiry",
  "expires", "valid until" ... (3 or 4 digits, or "09/27").
- NATIONAL_ID: a US social security number written 123-45-6789 or 123 45 6789, or any nine digits said after
  "social security"/"SSN"; a UK National Insurance number (AB 12 34 56 C), spoken or written, after "national
  insurance"/"NI number", or anywhere when written with its final letter.
- PHONE: what the `phonenumbers` library's matcher finds valid for the region in a number's digits (spoken
  digits are joined first), or 7 to 15 digits said after "phone", "mobile", "call me on" ...
- EMAIL: written addresses, and spoken ones: "john dot smith at gmail dot com", "j smith at example dot co dot
  uk" (the words before "at" back to a word such as "is" or "my"), "the gmail one, j dot ward eighty-five" (a
  provider, then a name with a dot or an underscore in it). Not a web address ("... dot com slash help").
- DOB: a date (written, numeric or spoken: "march third nineteen eighty four", "03/04/1984", "the 3rd of March")
  near "date of birth", "born", "DOB" or "birthday". A year alone ("born in 1984") is kept.
- ADDRESS: house number, street name and street word ("221 baker street", "forty two elm avenue"), with a flat
  or unit and a ZIP code or postcode when they follow; a postcode or ZIP said after "postcode"/"zip"; a UK
  postcode written in capitals. The street words that are also common words (way, close, park, hill, ...)
  count only with a capital letter or after "live", "address", "deliver" ...
- ACCOUNT: six or more digits (with letters before them: "AB1234567", "n w 7 7 4 1 2 3") said near "account",
  "policy", "member", "reference", "order", "customer number", "case number", "claim" ...

A word such as "account" names only the first number after it (within eight words), or the number just before
it ("12345678, that's my account number"); another number or a redacted identifier in between breaks the link,
and a word between two numbers names the nearer one ("..., that's my member id, and my number is ...").
`find_pii_in_context` reads the turn before too, so "Can I take your account number?" names the answer.

Speech-to-text edges: "oh" read as a word just after a number ("... two four oh and ...") is tried as a zero,
"one" just before it ("the other one, four one ...") as a word, and "for", "to", "won", "ate" just before it
as the digit they sound like. Placeholders already in the text are never
read again, so redacting a redacted text finds nothing new.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from heard.redact.spoken import MASK, Normalised, normalise
from heard.text.redact import luhn, splice  # the same check the role-play redaction uses


class PiiType(StrEnum):
    CARD = "card"
    NATIONAL_ID = "national_id"
    PHONE = "phone"
    EMAIL = "email"
    DOB = "dob"
    ADDRESS = "address"
    ACCOUNT = "account"


ALL: frozenset[PiiType] = frozenset(PiiType)
# When two identifiers claim the same characters, the earlier type in this list wins.
PRIORITY = (PiiType.EMAIL, PiiType.CARD, PiiType.NATIONAL_ID, PiiType.DOB, PiiType.PHONE, PiiType.ACCOUNT,
            PiiType.ADDRESS)


@dataclass(frozen=True)
class PiiSpan:
    """One identifier: its type and its characters [start, end) in the text it was found in."""

    type: PiiType
    start: int
    end: int

    @property
    def placeholder(self) -> str:
        return placeholder(self.type)


def placeholder(kind: PiiType) -> str:
    """What replaces an identifier of this type: "[CARD]", "[NATIONAL_ID]", ..."""
    return f"[{kind.value.upper()}]"


def find_pii(text: str, *, types: Collection[PiiType] = ALL, region: str = "US") -> list[PiiSpan]:
    """The identifiers in `text`, in order and never overlapping. `region` (ISO 3166 code, e.g. "US", "GB") is
    where phone numbers written without a country code are taken to be from."""
    return find_pii_in_context(text, "", types=types, region=region)


def find_pii_in_context(text: str, context: str, *, types: Collection[PiiType] = ALL,
                        region: str = "US") -> list[PiiSpan]:
    """Like `find_pii`, with `context` (what was said just before, e.g. the agent's question "Can I take your
    account number?") read for its words only: nothing in it is returned."""
    region = check_region(region)
    wanted = frozenset(PiiType(t) for t in types)
    if not wanted or not text:
        return []
    lead = f"{context}\n" if context else ""
    reader = _Reader(lead + text, region)
    spans: list[PiiSpan] = []
    for found in reader.read():
        if found.type not in wanted:
            continue
        start, end = max(found.start - len(lead), 0), found.end - len(lead)
        if end > start:
            spans.append(PiiSpan(found.type, start, end))
    return spans


def redact_text(text: str, *, types: Collection[PiiType] = ALL, region: str = "US") -> tuple[str, list[PiiSpan]]:
    """`text` with each identifier replaced by its placeholder, and the spans (offsets into the original text)."""
    spans = find_pii(text, types=types, region=region)
    return replace(text, spans), spans


def replace(text: str, spans: list[PiiSpan]) -> str:
    """`text` with each of the sorted, non-overlapping `spans` replaced by its placeholder."""
    return splice(text, spans)


def check_region(region: str) -> str:
    """The region code in capitals; a ValueError naming the problem when `phonenumbers` does not know it."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region {region!r}: give a two-letter region code such as 'US', 'GB', 'CA', "
                         "'AU' or 'IE' (the ones the phonenumbers library knows)")
    return code


# --- words that say what a number is -----------------------------------------------------------------------

KEYWORDS = re.compile(
    r"(?<![^\W_])(?:"
    r"(?P<national_id>social security(?: number| no)?|social|ssn|s s n|national insurance(?: number| no)?|"
    r"n i number|ni number|ni no|nino|insurance number)"
    r"|(?P<dob>date of birth|birth ?date|birthday|born|dob|d o b|d\.o\.b)"
    r"|(?P<phone>(?:tele)?phone|mobile|cell(?: ?phone)?|landline|(?:my|your|best|contact|call ?back|home|work) number|"
    r"number to (?:call|reach)|call me|call us|reach me|text me|ring me|whatsapp)"
    r"|(?P<zip>zip(?: ?code)?|post ?code|postal code)"
    r"|(?P<account>(?:accounts?|acct|policy|member(?:ship)?|reference|ref|orders?|customer (?:number|no|id)|"
    r"(?:case|ticket) (?:number|no|id)|booking|confirmation|invoice|claim|tracking|reservation|loyalty|subscriber|"
    r"contract|serial|id number)(?: number| no| id| reference| ref)?)"
    r"|(?P<email>e-?mail|email address)"
    r"|(?P<card>cvv|cvc|cv2|security code|(?:three|3|four|4) digits? on the back|expiry(?: date)?|expiration(?: date)?|"
    r"expires|valid (?:until|thru|through)|exp date)"
    r"|(?P<pan>(?:(?:credit|debit|bank|payment) )?card(?: number| no| details)?|visa|mastercard|amex|american express|"
    r"long number)"
    r")(?![^\W_])")
# "the order number is ..." names what follows; "..., that's my order number" what came before
FORWARD_REFERENCE = re.compile(r"(?:[ ](?:number|no|id|code))?(?:[ ]?:|[ ](?:is|should be|was|will be|it's|its))"
                               r"(?![^\W_])")
BACK_REFERENCE = re.compile(r"(?:that's|thats|that is|it's|its|is|was) (?:my|the|our|his|her|their)(?: [a-z]+)?[ ]$")
WORD = re.compile(r"(?<![0-9])[^\W\d_]+(?:['’][^\W\d_]+)*")   # words ("that's" is one), not the "th" of "11th"
BEFORE_WORDS = 8   # most words between a keyword and the number it names
AFTER_WORDS = 4    # "12345678, that's my account number"

# --- numbers -----------------------------------------------------------------------------------------------

GROUP = re.compile(r"(?<![^\W_])[0-9]+(?![^\W_])")
GAP = re.compile(r"[ ]?(?:[-,.()][ ]?){0,3}")
UNIT_AFTER = re.compile(
    r"[ ]?(?:%|percent|per cent|dollars?|bucks|cents?|pounds?|quid|pence|euros?|grand|minutes?|mins?|hours?|"
    r"hrs?|days?|weeks?|months?|years?|yrs?|times|items?|seconds?|secs?|miles?|units?|calls?|texts?|people|"
    r"o'clock)(?![^\W_])")
CURRENCY_BEFORE = re.compile(r"[$£€¥][ ]?$")
MIXED = re.compile(r"(?<![^\W_])(?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]+(?![^\W_])")
HOMOPHONES = {"for": "4", "to": "2", "too": "2", "won": "1", "ate": "8"}
CARD_16 = re.compile(r"4|5[1-5]|2[2-7]|6011|6[245]|35")
CARD_15 = re.compile(r"3[47]")
# letters before an account number: spelled ("n w 7 7 4 ..."; a lone "a" or "i" is a word), or with a dash
# ("AB-1234567", "p l dash 4 4 9 ...")
LETTERS_BEFORE = re.compile(r"(?:(?<![\w'’])[a-z][ ]){2,3}$|(?<![\w'’])[b-hj-z][ ]$|"
                            r"(?<![\w'’])(?:[a-z0-9]{1,6}|(?:[a-z][ ]){1,3}[a-z])[ ]?-[ ]?$")


@dataclass
class _Found:
    """An identifier found in the normalised text; not `sure` when only "a phone word, then 7 to 15 digits"."""

    type: PiiType
    start: int   # in the normalised text
    end: int
    sure: bool = True


class _Intervals:
    """Intervals [start, end) kept in order of start, so "does anything overlap this?" stays quick on long texts."""

    def __init__(self, intervals: list[tuple[int, int]] | None = None) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.longest = 0
        for start, end in intervals or []:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        self.longest = max(self.longest, end - start)

    def remove(self, start: int, end: int) -> None:
        i = bisect_left(self.starts, start)
        while self.ends[i] != end:
            i += 1
        del self.starts[i], self.ends[i]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, end) - 1
        while i >= 0 and self.starts[i] >= start - self.longest:
            if self.ends[i] > start:
                return True
            i -= 1
        return False


@dataclass
class _Group:
    start: int
    end: int
    digits: str
    spoken: bool


@dataclass
class _Run:
    groups: list[_Group]
    joins: list[str]      # the text between group k and k+1
    plus: bool = False

    @property
    def digits(self) -> str:
        return "".join(g.digits for g in self.groups)

    @property
    def start(self) -> int:
        return self.groups[0].start

    @property
    def end(self) -> int:
        return self.groups[-1].end

    def part(self, first: int, last: int) -> _Run:
        return _Run(self.groups[first:last + 1], self.joins[first:last], self.plus and first == 0)


class _Reader:
    """One pass over one normalised text; `read()` gives the identifiers in original offsets."""

    def __init__(self, text: str, region: str) -> None:
        self.original = text
        self.norm: Normalised = normalise(text)
        self.t = self.norm.text
        self.region = region
        self.found: list[_Found] = []
        self.keywords = [(m.start(), m.end(), str(m.lastgroup)) for m in KEYWORDS.finditer(self.t)]
        self.used: set[int] = set()   # keywords (by start) that already named a date of birth
        self.runs = self._runs()
        # The numbers a keyword may name (runs of 3+ digits that are not amounts, letter-and-digit tokens with 4+
        # digits, placeholders), by start; a run is kept with its groups so a date or an address can cut it.
        # They, and every identifier found (added as they are), break the link between a keyword and what
        # comes after them ("blockers").
        numbers: dict[int, tuple[int, int, _Run | None]] = {m.start(): (m.start(), m.end(), None)
                                                            for m in re.finditer(MASK, self.t)}
        numbers |= {r.start: (r.start, r.end, r) for r in self.runs if self._claims(r)}
        numbers |= {m.start(): (m.start(), m.end(), None) for m in MIXED.finditer(self.t)
                    if sum(c.isdigit() for c in m.group(0)) >= 4}
        self.number_runs = [numbers[k] for k in sorted(numbers)]
        self.numbers = [(a, b) for a, b, _ in self.number_runs]
        self.blockers = _Intervals(self.numbers)
        self.taken = _Intervals()
        self.number_starts = [n[0] for n in self.numbers]
        self.number_ends = [n[1] for n in self.numbers]
        self.keyword_starts = [k[0] for k in self.keywords]
        self.keyword_ends = [k[1] for k in self.keywords]

    # -- the passes, in order: later ones skip characters earlier ones took --

    def read(self) -> list[PiiSpan]:
        self._emails()
        self._dates_of_birth()
        self._national_insurance()
        self._expiry_dates()
        self._addresses()
        for run in self.runs:
            for part in self._untaken(run):
                self._number(part)
        self._references()
        return self._resolve()

    def _add(self, kind: PiiType, start: int, end: int) -> None:
        if end > start and not self._taken(start, end):
            self.found.append(_Found(kind, start, end))
            self.taken.add(start, end)
            self.blockers.add(start, end)
            if kind in (PiiType.DOB, PiiType.ADDRESS, PiiType.EMAIL):
                self._cut_numbers()

    def _taken(self, start: int, end: int) -> bool:
        return self.taken.overlaps(start, end)

    def _resolve(self) -> list[PiiSpan]:
        """The found identifiers in original offsets, trimmed, the higher priority kept where two overlap."""
        spans: list[PiiSpan] = []
        for f in sorted(self.found, key=lambda f: (PRIORITY.index(f.type), f.start)):
            start, end = self.norm.source(f.start, f.end)
            while start < end and (self.original[start].isspace() or self.original[start] in ",;:.!?"):
                start += 1
            while end > start and (self.original[end - 1].isspace() or self.original[end - 1] in ",;:.!?"):
                end -= 1
            if end <= start:
                continue
            if any(s.start < end and start < s.end for s in spans):
                continue
            spans.append(PiiSpan(f.type, start, end))
        return sorted(spans, key=lambda s: s.start)

    # -- keywords --

    def _blocked(self, start: int, end: int) -> bool:
        return self.blockers.overlaps(start, end)

    def _named_as(self, kind: str, start: int, end: int) -> bool:
        """Whether a keyword of `kind` names the thing at [start, end), before it or after it."""
        digits = self._digits(start, end)
        return kind in self._kinds_before(start, digits) or kind in self._kinds_after(end, digits)

    def _kinds(self, start: int, end: int, digits: int) -> set[str]:
        """The kinds of keyword that name the number at [start, end): those before it, else the one after it.
        A keyword names only what it can be ("date of birth" never names 12 digits), and a keyword between two
        numbers names the nearer one, or the one in its own sentence ("5207, that's my member id, and my number
        is ...")."""
        return self._kinds_before(start, digits) or self._kinds_after(end, digits)

    def _kinds_before(self, start: int, digits: int | None) -> set[str]:
        """The keywords before `start` (BEFORE_WORDS words at most, nothing in between) that name what is there."""
        kinds: set[str] = set()
        for k_start, k_end, kind in reversed(self.keywords[:bisect_right(self.keyword_ends, start)]):
            if self._taken(k_start, k_end) or k_start in self.used:
                continue
            distance = len(WORD.findall(self.t[k_end:start]))
            if distance > BEFORE_WORDS or self._blocked(k_end, start):
                break
            if _fits(kind, digits) and not self._names_previous(k_start, k_end, kind, distance, start):
                kinds.add(kind)
        return kinds

    def _kinds_after(self, end: int, digits: int | None) -> set[str]:
        """The first keyword after `end` (AFTER_WORDS words at most, nothing in between), if it names what is
        before it ("12345678, that's my account number") rather than the number after it."""
        kinds: set[str] = set()
        for k_start, k_end, kind in self.keywords[bisect_left(self.keyword_starts, end):]:
            if self._taken(k_start, k_end) or k_start in self.used:
                continue
            distance = len(WORD.findall(self.t[end:k_start]))
            if distance <= AFTER_WORDS and not self._blocked(end, k_start) and _fits(kind, digits):
                following = self._next_claimer(k_end)
                if following is None or not self._fits_claimer(kind, following) or \
                        BACK_REFERENCE.search(self.t[end:k_start]):
                    kinds.add(kind)
                elif FORWARD_REFERENCE.match(self.t, k_end):   # "..., also the order number is 123456"
                    pass
                else:
                    words = len(WORD.findall(self.t[k_end:following[0]]))
                    if words > distance or (words == distance and self._sentence_end(k_end, following[0])):
                        kinds.add(kind)
            break
        return kinds

    def _names_previous(self, k_start: int, k_end: int, kind: str, distance: int, start: int) -> bool:
        """Whether the keyword at [k_start, k_end) names the number just before it rather than the thing at
        `start` after it (`distance` words away)."""
        previous = self._previous_claimer(k_start)
        if previous is None or FORWARD_REFERENCE.match(self.t, k_end) or not self._fits_claimer(kind, previous) or \
                self._sentence_end(previous[1], k_start) or self._named(previous[0]) or \
                any(f.type.value != kind for f in self._found_in(*previous)):
            return False   # (a number already known to be something else is not what the keyword names)
        between = self.t[previous[1]:k_start]
        words = len(WORD.findall(between))
        return words <= AFTER_WORDS and (words < distance or self._sentence_end(k_end, start) or
                                         BACK_REFERENCE.search(between) is not None)

    def _named(self, at: int) -> bool:
        """Whether a keyword comes just before `at` (three words at most, spelled letters aside; nothing in
        between)."""
        at = min([at, *(f.start for f in self._found_in(at, at + 1))])   # with the letters found before it
        k = bisect_right(self.keyword_ends, at) - 1
        words = [w for w in WORD.findall(self.t[self.keyword_ends[k]:at]) if len(w) > 1] if k >= 0 else []
        return k >= 0 and len(words) <= 3 and not self._blocked(self.keyword_ends[k], at)

    def _digits(self, start: int, end: int) -> int | None:
        """How many digits the thing at [start, end) has; None for a placeholder (it could be anything)."""
        piece = self.t[start:end]
        return None if MASK in piece else sum(c.isdigit() for c in piece)

    def _fits_claimer(self, kind: str, claimer: tuple[int, int]) -> bool:
        return _fits(kind, self._digits(*claimer))

    # A keyword may name a number or a placeholder; not the digits inside a date, an address or an e-mail.

    def _claims(self, run: _Run) -> bool:
        return len(run.digits) >= 3 and not self._amount(run)

    def _cut_numbers(self) -> None:
        """Take the digits of the dates, addresses and e-mails found so far out of the numbers keywords name."""
        kept: list[tuple[int, int, _Run | None]] = []
        for start, end, run in self.number_runs:
            if not self._taken(start, end):
                kept.append((start, end, run))
            elif run is not None:
                kept += [(part.start, part.end, part) for part in self._untaken(run) if self._claims(part)]
        self.number_runs = kept
        self.numbers = [(a, b) for a, b, _ in kept]
        self.number_starts = [n[0] for n in self.numbers]
        self.number_ends = [n[1] for n in self.numbers]

    def _previous_claimer(self, at: int) -> tuple[int, int] | None:
        k = bisect_right(self.number_ends, at) - 1
        return self.numbers[k] if k >= 0 else None

    def _next_claimer(self, at: int) -> tuple[int, int] | None:
        k = bisect_left(self.number_starts, at)
        return self.numbers[k] if k < len(self.numbers) else None

    def _sentence_end(self, start: int, end: int) -> bool:
        return re.search(r"[.?!](?:[ ]|$)", self.t[start:end]) is not None

    def _found_in(self, start: int, end: int) -> list[_Found]:
        return [f for f in self.found if f.start < end and start < f.end] if self._taken(start, end) else []

    def _runs(self) -> list[_Run]:
        runs: list[_Run] = []
        current: _Run | None = None
        for m in GROUP.finditer(self.t):
            if self.t[m.end():m.end() + 1] == ":" or self.t[m.start() - 1:m.start()] == ":":
                current = None   # the hours and minutes of "14:05" are a time
                continue
            group = _Group(m.start(), m.end(), m.group(0), any(self.norm.spoken[m.start():m.end()]))
            if current is not None and self._joins(current.groups[-1], group):
                current.joins.append(self.t[current.end:group.start])
                current.groups.append(group)
                continue
            plus = re.search(r"\+[ ]?$", self.t[max(0, group.start - 2):group.start]) is not None
            current = _Run([group], [], plus)
            runs.append(current)
        return runs

    def _joins(self, a: _Group, b: _Group) -> bool:
        gap = self.t[a.end:b.start]
        if not GAP.fullmatch(gap):
            return False
        if "." in gap:   # "201.555.0123" but not "49.99", "version 2.1" or "... in 1992. 7384 ..."
            return gap == "." and not a.spoken and not b.spoken and len(a.digits) >= 3 and len(b.digits) >= 3
        return True

    def _amount(self, run: _Run) -> bool:
        before = self.t[max(0, run.start - 3):run.start]
        after = self.t[run.end:run.end + 12]
        if len(run.digits) <= 12 and (CURRENCY_BEFORE.search(before) or UNIT_AFTER.match(after)):
            return True
        if re.match(r"\.[0-9]", after) or re.search(r"[0-9]\.$", before):
            return True
        groups = run.groups
        if [len(g.digits) for g in groups] == [4, 2, 2] and run.joins == ["-", "-"]:   # 2026-03-02
            return True
        return len(groups) > 1 and not any(g.spoken for g in groups) and all(j == "," for j in run.joins) and \
            1 <= len(groups[0].digits) <= 3 and all(len(g.digits) == 3 for g in groups[1:])   # "1,250,000"

    def _span(self, run: _Run) -> tuple[int, int]:
        start = run.start
        if run.plus:
            start = self.t.rindex("+", 0, start)
        elif start and self.t[start - 1] == "(":
            start -= 1
        end = run.end
        if end < len(self.t) and self.t[end] == ")" and "(" in self.t[start:end]:
            end += 1
        return start, end

    def _number(self, run: _Run) -> None:
        """Decide what one run of digits is (maybe nothing).

        Three words at a run's edge may or may not belong to it: an "oh" just after it that was read as a word
        ("... two four oh and my email"), a leading "one" ("the other one, four one ...") and a trailing "oh"
        ("... one oh great"). The reading with the most sure findings (anything but "7 to 15 digits after a phone
        word") wins, the run as it is first among equals; but when the run with the "oh" after it reads the
        same, that reading is kept, so a digit said "oh" is never left behind."""
        readings = [run]
        oh = re.match(r"([ ]?,?[ ]?)(oh|o)(?![^\W_])", self.t[run.end:run.end + 6])
        if oh is not None and self._taken(run.end + oh.start(2), run.end + oh.end(2)):
            oh = None
        if oh is not None:
            at = run.end + oh.start(2)
            readings.append(_Run([*run.groups, _Group(at, at + len(oh.group(2)), "0", True)],
                                 [*run.joins, oh.group(1)], run.plus))
        sounds = re.search(r"(?<![^\W_])(for|to|too|won|ate)[ ]$", self.t[max(0, run.start - 5):run.start])
        if sounds is not None and not self._taken(run.start - len(sounds.group(0)), run.start):
            at = run.start - len(sounds.group(0))   # "my card number is for 1111 ...": "four" heard as "for"
            readings.append(_Run([_Group(at, at + len(sounds.group(1)), HOMOPHONES[sounds.group(1)], True),
                                  *run.groups], [" ", *run.joins]))
        if len(run.groups) > 1 and self._said(run.groups[0]) == "one":
            readings.append(run.part(1, len(run.groups) - 1))
        elif len(run.groups) > 1 and self._said(run.groups[-1]) in ("oh", "o") and \
                re.match(r"[ ][^\W\d_]", self.t[run.end:]):
            readings.append(run.part(0, len(run.groups) - 2))
        results = [self._classify(r) for r in readings]
        best = max(range(len(results)), key=lambda k: (sum(f.sure for f in results[k]), bool(results[k]), -k))
        chosen = results[best]
        if oh is not None and chosen is results[0] and results[1] and \
                [f.type for f in results[1]] == [f.type for f in chosen] and all(f.sure for f in results[1]):
            chosen = results[1]   # read the same with the "oh" after it: better to take the "oh" too
        for f in chosen:
            self._add(f.type, f.start, f.end)

    def _untaken(self, run: _Run) -> list[_Run]:
        """The run cut where an identifier already found (a date, an address, an e-mail) took some of its groups."""
        parts: list[_Run] = []
        first: int | None = None
        for k, group in enumerate(run.groups):
            if self._taken(group.start, group.end):
                if first is not None:
                    parts.append(run.part(first, k - 1))
                first = None
            elif first is None:
                first = k
        if first is not None:
            parts.append(run.part(first, len(run.groups) - 1))
        return parts

    def _said(self, group: _Group) -> str:
        return self.original[slice(*self.norm.source(group.start, group.end))].lower()

    def _classify(self, run: _Run) -> list[_Found]:
        """What the run is: a card (then the rest of it read on its own), a national id, a date of birth, a
        phone number, an account number, a ZIP code, or nothing."""
        if self._amount(run):
            return []
        digits = run.digits
        n = len(digits)
        if _card(digits):
            return [_Found(PiiType.CARD, *self._span(run))]
        card = self._card_within(run) if n >= 17 else None
        if card is not None:   # digits said straight after a card (its expiry, its security code) go with it
            first, last = card
            if len(run.part(last + 1, len(run.groups) - 1).digits) <= 8:
                last = len(run.groups) - 1
            return self._with_rest(run, [_Found(PiiType.CARD, run.groups[first].start, *self._span(run)[1:])]
                                   if last == len(run.groups) - 1 else
                                   [_Found(PiiType.CARD, run.groups[first].start, run.groups[last].end)])
        kinds = self._kinds(run.start, run.end, n)
        said = self.original[slice(*self.norm.source(run.start, run.end))].lower()
        if "hundred" in said or "thousand" in said or "million" in said:
            # "five hundred thousand" is an amount; only a year ("two thousand and five") or a phone number ("one
            # eight hundred ...") is said so
            if "dob" in kinds and n in (6, 8) and _date_like(digits):
                return [_Found(PiiType.DOB, *self._span(run))]
            return [] if "thousand" in said or "million" in said else self._phones(run)
        if ("national_id" in kinds and n == 9 and _ssn_valid(digits)) or self._ssn_shape(run):
            return [_Found(PiiType.NATIONAL_ID, *self._span(run))]
        if "dob" in kinds and n in (6, 8) and _date_like(digits):
            return [_Found(PiiType.DOB, *self._span(run))]
        if "card" in kinds and 3 <= n <= 4:   # the security code or the expiry date
            return [_Found(PiiType.CARD, *self._span(run))]
        if "pan" in kinds and 12 <= n <= 24 and not self._phones(run):
            # a card number that fails Luhn: speech-to-text got a digit wrong ("four" as "for"), or added one
            return [_Found(PiiType.CARD, *self._span(run), sure=False)]
        phones = self._phones(run)
        if "phone" in kinds and phones:
            return self._with_rest(run, phones)
        if "account" in kinds and n >= 6:
            return [_Found(PiiType.ACCOUNT, *self._account(run.start, run.end))]
        if "zip" in kinds and n in (5, 9):
            return [_Found(PiiType.ADDRESS, *self._span(run))]
        if phones:
            return self._with_rest(run, phones)
        if "phone" in kinds and 7 <= n <= 15:
            return [_Found(PiiType.PHONE, *self._span(run), sure=False)]
        return []

    def _with_rest(self, run: _Run, found: list[_Found]) -> list[_Found]:
        """`found` (parts of the run) and what the groups outside them are, each stretch read on its own."""
        for f in found:
            self.blockers.add(f.start, f.end)
        rest: list[_Found] = []
        first: int | None = None
        for k, group in enumerate([*run.groups, None]):
            inside = group is not None and any(f.start < group.end and group.start < f.end for f in found)
            if group is not None and not inside:
                first = k if first is None else first
            elif first is not None:
                rest += self._classify(run.part(first, k - 1))
                first = None
        for f in found:
            self.blockers.remove(f.start, f.end)
        return found + rest

    def _card_within(self, run: _Run) -> tuple[int, int] | None:
        """The first groups of a long run that make a card number: 16 digits starting as Visa, Mastercard,
        Discover or JCB numbers do, or 15 starting 34 or 37 (American Express), passing Luhn."""
        for first in range(len(run.groups)):
            windows: dict[int, int] = {}
            count = 0
            for last in range(first, len(run.groups)):
                count += len(run.groups[last].digits)
                if count > 16:
                    break
                windows[count] = last
            for length, pattern in ((16, CARD_16), (15, CARD_15)):
                if length in windows:
                    digits = run.part(first, windows[length]).digits
                    if pattern.match(digits) and luhn(digits):
                        return first, windows[length]
        return None

    def _ssn_shape(self, run: _Run) -> bool:
        """Written 123-45-6789 or 123 45 6789 (the shape alone says it is a social security number)."""
        lengths = [len(g.digits) for g in run.groups]
        return lengths == [3, 2, 4] and not any(g.spoken for g in run.groups) and \
            run.joins[0] == run.joins[1] and run.joins[0] in ("-", " ") and _ssn_valid(run.digits)

    def _phones(self, run: _Run) -> list[_Found]:
        """The phone numbers the phonenumbers matcher finds valid in the run's digits. Spoken digits said one
        after another are joined ("five five five" -> "555"); everything else keeps a space, so the matcher
        sees the groups the speaker made; when that finds nothing, all the digits are tried joined."""
        rendered = "+" if run.plus else ""
        owner: list[int] = [-1] * len(rendered)   # which group each rendered character comes from
        for k, group in enumerate(run.groups):
            if k and not (group.spoken and run.groups[k - 1].spoken and run.joins[k - 1] == " "):
                rendered += " "
                owner.append(-1)
            rendered += group.digits
            owner += [k] * len(group.digits)
        try:
            matches = list(PhoneNumberMatcher(rendered, self.region, leniency=Leniency.VALID))
            if not matches and " " in rendered and any(g.spoken for g in run.groups):   # said as "512338, 7118"
                rendered = rendered.replace(" ", "")
                owner = [k for k in owner if k >= 0]
                owner = [-1, *owner] if run.plus else owner
                matches = list(PhoneNumberMatcher(rendered, self.region, leniency=Leniency.VALID))
        except Exception:   # the library's own bugs must not stop a redaction; the other checks still run
            return []
        found: list[_Found] = []
        for match in matches:
            inside = [owner[i] for i in range(match.start, match.end) if owner[i] >= 0]
            if inside:
                found.append(_Found(PiiType.PHONE, *self._span(run.part(min(inside), max(inside)))))
        return found

    def _account(self, start: int, end: int) -> tuple[int, int]:
        """An account number's extent: the digits and the letters stuck to or spelled just before them."""
        before = LETTERS_BEFORE.search(self.t, max(0, start - 8), start)
        if before is not None and not self._taken(before.start(), start):
            start = before.start()
        after = re.match(r"-?[a-z0-9]{1,6}(?![^\W_])", self.t[end:end + 8])
        if after is not None and self.t[end:end + 1] in "-abcdefghijklmnopqrstuvwxyz" and \
                not self._taken(end, end + len(after.group(0))):
            end += len(after.group(0))
        return start, end

    def _references(self) -> None:
        """Letters and digits in one token ("ab1234567") named by an account word."""
        for m in MIXED.finditer(self.t):
            digits = sum(c.isdigit() for c in m.group(0))
            if digits >= 6 and not self._taken(m.start(), m.end()) and self._named_as("account", m.start(), m.end()):
                self._add(PiiType.ACCOUNT, *self._account(m.start(), m.end()))

    # -- e-mail addresses --

    def _emails(self) -> None:
        for m in WRITTEN_EMAIL.finditer(self.t):
            self._add(PiiType.EMAIL, m.start(), m.end())
        for m in AT.finditer(self.t):
            domain = DOMAIN.match(self.t, m.end())
            if domain is not None and re.match(r"[ ]?(?:/|slash)(?![^\W_])", self.t[domain.end():domain.end() + 7]):
                continue   # "upload them at example dot com slash forms" is a web address
            provider_only = domain is None   # "j smith at gmail": only after "email", nothing in between
            domain = domain or PROVIDER.match(self.t, m.end())
            start = self._local_part(m.start())
            if domain is None or start is None:
                continue
            if provider_only and not any(kind == "email" and k_end <= start and not self._blocked(k_end, start) and
                                         len(WORD.findall(self.t[k_end:start])) <= BEFORE_WORDS
                                         for _, k_end, kind in self.keywords):
                continue
            self._add(PiiType.EMAIL, start, domain.end())
        for m in PROVIDER_FIRST.finditer(self.t):   # "the gmail one, j dot ward eighty-five"
            self._add(PiiType.EMAIL, m.start("local"), m.end("local"))

    def _local_part(self, at: int) -> int | None:
        """Where the part of a spoken address before "at" starts: the words back to one such as "is" or "my"."""
        tokens = list(LOCAL_TOKEN.finditer(self.t, max(0, at - 120), at))
        start: int | None = None
        words = letters = 0
        pos = at - 1 if at and self.t[at - 1] == " " else at
        separator = last_letter = False
        for k in range(len(tokens) - 1, -1, -1):
            m = tokens[k]
            if self.t[m.end():pos] not in ("", " ") or self.t[m.start() - 1:m.start()] in ("'", "’"):
                break   # a comma or a placeholder between, or the "s" of "it's"
            token = m.group(0)
            if token in (".", "_", "-", "dot", "underscore"):
                if start is None or separator:
                    break
                separator = True
                pos = m.start()
                continue
            if token in NOT_LOCAL:
                if len(token) > 1:
                    break
                # "a" and "i" are words, except as letters: spelled ("n o a h"), right before "at", after a dot,
                # or an initial ("a kowalski at"; then nothing before it belongs)
                spelled = k > 0 and len(tokens[k - 1].group(0)) == 1 and self.t[tokens[k - 1].end():m.start()] == " "
                if not (start is None or last_letter or separator or spelled):
                    start = m.start()
                    break
            if len(token) > 1:
                words += 1
            else:
                letters += 1
            if words > 4 or letters > 12:
                break
            start, pos = m.start(), m.start()
            separator, last_letter = False, len(token) == 1
        return start

    # -- national insurance numbers --

    def _national_insurance(self) -> None:
        for m in NINO.finditer(self.t):
            prefix = (m.group("a") + m.group("b")).upper()
            if prefix[0] in "DFIQUV" or prefix[1] in "DFIOQUV" or prefix in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
                continue
            start, end = m.span()
            written = self.original[slice(*self.norm.source(m.start(), m.end("b")))]
            compact = " " not in m.group(0)
            if self._named_as("national_id", start, end) or (m.group("s") and (compact or written.isupper())):
                self._add(PiiType.NATIONAL_ID, start, end)

    # -- card expiry dates --

    def _expiry_dates(self) -> None:
        """A card's expiry date written "09/27" or "09/2027" after "expiry", "expires", "valid until" ..."""
        for _, k_end, kind in self.keywords:
            if kind == "card":
                m = EXPIRY.match(self.t, k_end)
                if m is not None:
                    self._add(PiiType.CARD, m.start("date"), m.end("date"))

    # -- dates of birth --

    def _dates_of_birth(self) -> None:
        """Dates named by "date of birth", "born", "DOB", "birthday": the first date after the word (six words
        at most, nothing in between), and a date just before it ("March 3, 1984, that's my date of birth")."""
        for k_start, k_end, kind in self.keywords:
            if kind != "dob":
                continue
            after = DATE.search(self.t, k_end, min(len(self.t), k_end + 90))
            while after is not None and self._taken(after.start(), after.end()):
                after = DATE.search(self.t, after.start() + 1, min(len(self.t), k_end + 90))
            # "date of birth, my birthday is ...": the nearer word names the date
            nearer = after is not None and any(other == "dob" and k_end <= at < after.start()
                                               for at, _, other in self.keywords)
            if after is not None and not nearer and len(WORD.findall(self.t[k_end:after.start()])) <= 6 and \
                    not self._blocked(k_end, after.start()):
                self._add(PiiType.DOB, after.start(), after.end())
                self.used.add(k_start)
            dates: list[re.Match[str]] = []
            pos = max(0, k_start - 60)
            while (found := DATE.search(self.t, pos, k_start)) is not None:
                if not self._taken(found.start(), found.end()):
                    dates.append(found)
                pos = found.start() + 1
            if dates:
                date = max(dates, key=lambda d: (d.end(), -d.start()))
                if DATE_THEN_WORD.fullmatch(self.t[date.end():k_start]) and not self._blocked(date.end(), k_start):
                    self._add(PiiType.DOB, date.start(), date.end())
                    self.used.add(k_start)
            mask = self.t.rfind(MASK, 0, k_start)
            if mask >= 0 and DATE_THEN_WORD.fullmatch(self.t[mask + 1:k_start]):
                self.used.add(k_start)   # as when the date before it was found: a redacted text reads the same

    # -- addresses --

    def _addresses(self) -> None:
        cues = [m.end() for m in ADDRESS_CUE.finditer(self.t)]
        for m in STREET.finditer(self.t):
            house = m.group("house")
            names = m.group("name").split()
            if sum(c.isdigit() for c in house) > 5 or re.search(r"[0-9][ ,.\-]*$|[$£€+]$", self.t[:m.start()]):
                continue
            if any(w in NOT_STREET_NAME for w in names):
                continue
            if m.group("suffix") in WEAK_SUFFIXES:
                written = self.original[slice(*self.norm.source(m.start("name"), m.end("suffix")))]
                capitalised = all(w[:1].isupper() for w in written.split())
                if not capitalised and not any(m.start() - 80 <= c <= m.start() for c in cues):
                    continue
            end = m.end()
            tail = TAIL_UNIT.match(self.t, end)
            if tail is not None and not self._taken(end, tail.end()):
                end = tail.end()
            code = TAIL_CODE.match(self.t, end)
            if code is not None and not self._taken(end, code.end()) and \
                    not any(w in NOT_CITY for w in WORD.findall(code.group("city"))):
                end = code.end()
            self._add(PiiType.ADDRESS, m.start(), end)
        for _, k_end, kind in self.keywords:
            if kind == "zip":
                code = CODE_AFTER.match(self.t, k_end)
                if code is not None:
                    self._add(PiiType.ADDRESS, code.start("code"), code.end("code"))
        for m in POSTCODE.finditer(self.t):
            if self.original[slice(*self.norm.source(m.start(), m.end()))].isupper():
                self._add(PiiType.ADDRESS, m.start(), m.end())


NOT_CITY = frozenset("and but so then also is was my the it it's that that's there here".split())


def _card(digits: str) -> bool:
    """Whether digits are a card number: the length and first digits of a card scheme, and the Luhn check."""
    first = {13: "4", 14: "3", 15: "3", 16: "23456", 17: "456", 18: "456", 19: "456"}.get(len(digits), "")
    return digits[:1] in first and bool(first) and luhn(digits)


def _fits(kind: str, digits: int | None) -> bool:
    """Whether a number with this many digits (None: a placeholder) can be what a keyword of `kind` names."""
    if digits is None:
        return True
    return {"national_id": digits in (6, 9), "dob": 4 <= digits <= 8, "phone": 7 <= digits <= 15,
            "account": digits >= 6, "zip": 1 <= digits <= 9, "card": 3 <= digits <= 4,
            "pan": 12 <= digits <= 24}.get(kind, False)


def _ssn_valid(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return len(digits) == 9 and area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _date_like(digits: str) -> bool:
    """Whether six or eight digits read as a day, a month and a year in some order (0304 1984, 1984 0304)."""
    candidates = [(digits[:2], digits[2:4]), (digits[4:6], digits[6:8])] if len(digits) == 8 else []
    candidates.append((digits[:2], digits[2:4]))
    for a, b in candidates:
        x, y = int(a), int(b)
        if (1 <= x <= 31 and 1 <= y <= 12) or (1 <= x <= 12 and 1 <= y <= 31):
            return True
    return False


# --- patterns over the normalised text (lower case, one space between words, digits for spoken numbers) -----

WRITTEN_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+\-]{0,63}[ ]?@[ ]?[a-z0-9\-]{1,63}(?:[ ]?\.[ ]?[a-z0-9\-]{1,63}){1,5}")
AT = re.compile(r"(?<![^\W_])at[ ]|[ ]@[ ]")
TLD = (r"(?:com|net|org|edu|gov|mil|int|io|co|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|se|no|dk|fi|in|jp|info|biz|"
       r"me|tv|app|dev|ai|email|online|mail)")
_LABEL = r"[a-z0-9]+(?:[ ]?-[ ]?[a-z0-9]+)*"
_DOT = r"(?:[ ]?\.(?![ ])|[ ]dot[ ])"   # "people. It" ends a sentence: a written dot has no space after it
DOMAIN = re.compile(rf"{_LABEL}(?:{_DOT}{_LABEL}){{0,3}}{_DOT}{TLD}(?![^\W_])")
PROVIDER = re.compile(r"(?:gmail|googlemail|hotmail|yahoo|outlook|icloud|aol|protonmail)(?![^\W_])")
PROVIDER_FIRST = re.compile(
    r"(?<![^\W_])(?:gmail|googlemail|hotmail|yahoo|outlook|icloud|aol|protonmail)(?:[ ](?:1|address|account|email))?"
    r"[ ]?[,:]?[ ](?:(?:it's|its|is)[ ])?"
    r"(?P<local>[a-z0-9]+(?:[ ]?(?:[._\-]|dot|underscore)[ ]?[a-z0-9]+)+(?:[ ][0-9]+)?)(?![^\W_])")
LOCAL_TOKEN = re.compile(r"[a-z0-9]+|[._\-]")
NOT_LOCAL = frozenset(
    "is was are be been it its that thats this the a an and or but so to of in on at for with by from my your his "
    "her our their me you him us them i we they yes yeah no not ok okay well like sure right please just also email "
    "mail address send sent reach contact look looked go went log logged sign signed visit online website site web "
    "page there here called call thanks thank".split())

DATE_THEN_WORD = re.compile(r"[ ]?,?[ ]?(?:(?:like|you know|yeah|so),?[ ])*"
                            r"(?:(?:that's|thats|that is|it's|its|is|was|as|being)[ ])?"
                            r"(?:(?:my|the|his|her|their|your|our)[ ])?")
EXPIRY = re.compile(r"(?:[ ](?:is|of|date|on it|it's|its))*[ ]?:?[ ]"
                    r"(?P<date>[0-9](?:[ ]?[0-9])?[ ]?/[ ]?[0-9](?:[ ]?[0-9]){1,3})(?![^\W_])")
NINO = re.compile(r"(?<![\w'’])(?P<a>[a-z])[ ]?(?P<b>[a-z])[ ]?(?P<d>(?:[0-9](?:[ ]?,){0,2}[ ]?){5}[0-9])"
                  r"(?:,?[ ]?(?P<s>[a-d]))?(?![^\W_])")

MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|"
         r"apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?")
_DAY = r"(?:the[ ])?[0-9]{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:[0-9]{4}|[0-9]{2}[ ][0-9]{2}|[0-9]{2}[ ][0-9][ ][0-9]|'?[0-9]{2})(?![ ]?[0-9])"
_YEAR4 = r"(?:[0-9]{4}|[0-9]{2}[ ][0-9]{2})(?![ ]?[0-9])"
_SEP = r"(?:[ ]?,[ ]?|[ ])"
_D = r"[0-9](?:[ ]?[0-9])?"
DATE = re.compile(
    rf"(?<![^\W_])(?:[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}"
    rf"|{_D}[ ]?[/.\-][ ]?{_D}[ ]?[/.\-][ ]?[0-9](?:[ ]?[0-9]){{1,3}}"
    rf"|{_DAY}(?:[ ]of)?[ ]{MONTH}(?:{_SEP}(?:in[ ])?{_YEAR})?"
    rf"|{MONTH}(?:{_SEP}the)?{_SEP}[0-9]{{1,2}}(?:st|nd|rd|th)?(?:{_SEP}{_YEAR})?"
    rf"|{MONTH}{_SEP}{_YEAR4})(?![^\W_])")

STRONG_SUFFIXES = ("street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "boulevard", "blvd", "crescent",
                   "terrace", "parkway", "pkwy", "highway", "hwy")
WEAK_SUFFIXES = frozenset(("drive", "dr", "court", "ct", "place", "pl", "way", "close", "circle", "cir", "square",
                           "sq", "grove", "gardens", "row", "trail", "walk", "hill", "mews", "park", "rise", "view",
                           "green", "plaza", "loop"))
_SUFFIX = "|".join(sorted((*STRONG_SUFFIXES, *WEAK_SUFFIXES), key=len, reverse=True))
STREET = re.compile(
    r"(?<![^\W_])(?:(?:flat|apartment|apt|unit|suite)[ ][0-9a-z]{1,4},?[ ])?"
    r"(?P<house>(?:[0-9]+[ ]){0,3}[0-9]+(?:[ ]?[a-z](?![^\W_]))?),?[ ]"
    r"(?P<name>(?:(?:[a-z][a-z'’\-]*|[0-9]+(?:st|nd|rd|th))[ ]){1,3})"
    rf"(?P<suffix>{_SUFFIX})(?![^\W_])")
_ZIP = r"[0-9](?:[ ]?[0-9]){4}(?:[ ]?-[ ]?[0-9](?:[ ]?[0-9]){3})?(?![ ]?[0-9])(?![^\W_])"
_POSTCODE = r"[a-z](?:[ ]?[a-z])?[ ]?[0-9](?:[ ]?[0-9a-z])?[ ]?[0-9][ ]?[a-z][ ]?[a-z](?![^\W_])"
TAIL_UNIT = re.compile(r",?[ ](?:apartment|apt|unit|suite|flat|number|no|#)[ ]?[0-9a-z]{1,4}(?![^\W_])")
TAIL_CODE = re.compile(rf"(?P<city>(?:,?[ ][a-z]+){{0,4}}?),?[ ](?P<code>{_ZIP}|{_POSTCODE})")
CODE_AFTER = re.compile(rf"(?:[ ](?:is|was|it's|its|that's|of))*[ ]?:?[ ](?P<code>{_ZIP}|{_POSTCODE})")
POSTCODE = re.compile(r"(?<![^\W_])[a-z]{1,2}[0-9][a-z0-9]?[ ]?[0-9][a-z]{2}(?![^\W_])")
ADDRESS_CUE = re.compile(r"(?<![^\W_])(?:address|live|living|lives|moved|move|deliver\w*|ship\w*|send|sent|post|"
                         r"located|house|home|flat|apartment|stay\w*|reside\w*|billing|postcode|zip)(?![^\W_])")
NOT_STREET_NAME = frozenset(
    "the a an of on in at to for from by with and or but my your our his her their this that these those its it "
    "it's is was be been are were times time minutes minute hours hour days day weeks week months month years year "
    "miles mile blocks block more other another different same few many lots lot extra free pounds dollars items "
    "people calls texts percent per each every next last first about around down up along across over under past "
    "through into than then just only also even still very really so too such as if when where which who what how "
    "why there here i you we they he she me us them um uh like yeah yes no not".split())

