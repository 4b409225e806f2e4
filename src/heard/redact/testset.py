"""A generated, labelled set of contact-centre utterances for measuring the detectors, and the measurement.

`generate(seed, n)` makes `n` utterances from `random.Random(seed)`: about seven in ten carry one or two planted
identifiers (every type, written and spoken: digits said one by one, "double"/"triple", "oh" for zero, groups
split by spaces, dashes and commas, half written and half said, "john dot smith at gmail dot com"), in
punctuated and in lower-case unpunctuated form with fillers ("um", "uh", "like"); the rest (at least 100) carry
none but hold ordinary numbers that must be kept: counts, amounts, prices said as words, years, times, dates
that are not birthdays, and 16-digit numbers that fail the Luhn check. Each utterance records its planted
identifiers' exact character spans and types. Card numbers pass Luhn, phone numbers are valid for the region
(checked with `phonenumbers`), social security and National Insurance numbers have valid shapes; names and
e-mail addresses are made up.

What the set does not measure: identifiers whose type only a nearby word tells (account numbers, dates of birth,
national ids said aloud) are always said with such a word in the same utterance, as the agent's question
carries it in a real call (`redact_call` reads the turn before). Sentences come from templates written by the
same hand as the detectors, so the figures are a ceiling for real transcripts, not a forecast.

`evaluate(seed, n)` runs `find_pii` over the set. A planted identifier is *found* when one span of the same
type covers every letter and digit of it; *covered* when spans of any type together do (nothing of it would
be left in the text). Per type, the *false-positive rate* is the share of utterances without a planted
identifier of that type where a span of that type was found; *stray spans* are spans that overlap no planted
identifier at all, given per 100 utterances.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from heard.redact.detect import PiiType, find_pii, luhn

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TENS_WORDS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
TEEN_WORDS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
              "nineteen")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                 "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                 "eighteenth", "nineteenth", "twentieth")
FIRST_NAMES = ("john", "maria", "priya", "sam", "alex", "fatima", "liam", "chen", "olivia", "noah", "aisha",
               "diego", "emma", "tom", "sofia", "raj", "grace", "omar", "lucy", "mateo")
LAST_NAMES = ("smith", "garcia", "patel", "nguyen", "okafor", "kowalski", "brown", "silva", "murphy", "khan",
              "rossi", "jones", "ward", "lee", "cohen")
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.co.uk", "example.com", "example.co.uk",
           "acme-mail.net", "northwind.org", "postbox.io", "mail.example.us")
AREA_CODES = (201, 202, 212, 213, 214, 305, 310, 312, 313, 404, 415, 503, 512, 602, 617, 646, 702, 713, 718,
              773, 786, 801, 818, 917, 972)
STREET_NAMES = ("Baker", "Elm", "Oak", "Maple", "Cedar", "High", "Church", "Station", "Mill", "Victoria", "Acacia",
                "Willow", "Pine", "Lincoln", "Sunset", "Lake", "River", "Chestnut", "Market", "Orchard Hill")
STRONG_STREETS = ("Street", "Road", "Avenue", "Lane", "Boulevard", "St", "Rd", "Ave")
WEAK_STREETS = ("Drive", "Court", "Way", "Close", "Place")
CITIES = (("Springfield", "IL", "62704"), ("Portland", "OR", "97201"), ("Austin", "TX", "78701"),
          ("Columbus", "OH", "43215"), ("Denver", "CO", "80202"))
UK_CITIES = (("Leeds", "LS1 4AB"), ("London", "NW1 6XE"), ("Bristol", "BS8 1TH"), ("Manchester", "M4 5JD"))
FILLERS = ("um", "uh", "like", "you know")
NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


@dataclass(frozen=True)
class Planted:
    """One planted identifier: its type, its characters [start, end) in the utterance, and how it was said."""

    type: PiiType
    start: int
    end: int
    form: str   # "written", "spoken" or "mixed"


@dataclass(frozen=True)
class Utterance:
    """One generated utterance and the identifiers planted in it (none for the ordinary-number ones)."""

    text: str
    planted: tuple[Planted, ...] = ()
    style: str = "punctuated"   # or "plain": lower case, no punctuation, fillers


@dataclass
class _Builder:
    """Builds one utterance piece by piece, remembering where the planted identifiers land."""

    rng: random.Random
    plain: bool
    parts: list[str] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(len(p) for p in self.parts)

    def say(self, words: str) -> None:
        """Frame words; in plain style lower-cased, unpunctuated, with a filler before or after now and then."""
        if self.plain:
            words = "".join(ch for ch in words.lower() if ch not in ",.?!;:")
            core = words.strip()
            if core and self.rng.random() < 0.3:
                filler = self.rng.choice(FILLERS)
                filled = f"{filler} {core}" if self.rng.random() < 0.5 else f"{core} {filler}"
                words = words[:len(words) - len(words.lstrip())] + filled + words[len(words.rstrip()):]
        self.parts.append(words)

    def plant(self, kind: PiiType, text: str, form: str) -> None:
        """An identifier, recorded with its exact characters (lower case and without commas in plain style)."""
        if self.plain and form != "written":
            text = text.replace(",", "").lower()
        elif self.plain:
            text = text.lower()
        start = self.length
        self.parts.append(text)
        self.planted.append(Planted(kind, start, start + len(text), form))

    def done(self) -> Utterance:
        text = "".join(self.parts)
        if not self.plain:
            text = text[:1].upper() + text[1:]
        return Utterance(text, tuple(self.planted), "plain" if self.plain else "punctuated")


# --- saying numbers ----------------------------------------------------------------------------------------

def _digit_word(rng: random.Random, digit: str) -> str:
    if digit == "0" and rng.random() < 0.6:
        return "oh"
    return DIGIT_WORDS[int(digit)]


def _say_group(rng: random.Random, digits: str) -> str:
    """One group of digits said one by one, with "double"/"triple" for repeats now and then."""
    words: list[str] = []
    i = 0
    while i < len(digits):
        same = 1
        while i + same < len(digits) and digits[i + same] == digits[i] and same < 3:
            same += 1
        if same >= 2 and rng.random() < 0.5:
            word = "triple" if same == 3 else "double"
            words.append(f"{word} {_digit_word(rng, digits[i])}")
            i += same
        else:
            words.append(_digit_word(rng, digits[i]))
            i += 1
    return " ".join(words)


def _split(digits: str, sizes: tuple[int, ...]) -> list[str]:
    out, at = [], 0
    for size in sizes:
        out.append(digits[at:at + size])
        at += size
    if at < len(digits):
        out.append(digits[at:])
    return [g for g in out if g]


def _say_digits(rng: random.Random, digits: str, sizes: tuple[int, ...], form: str) -> str:
    """Digits in groups: "spoken" says every group, "mixed" writes some groups as digits."""
    groups = _split(digits, sizes)
    said = []
    for k, group in enumerate(groups):
        written = form == "mixed" and (k % 2 == 0) == (rng.random() < 0.5)
        said.append(group if written else _say_group(rng, group))
    out = said[0]
    for piece in said[1:]:
        out += rng.choice((", ", " ", " ", ", uh, " if rng.random() < 0.15 else " "))
        out += piece
    return out


def _two_digits(value: int) -> str:
    """1-99 as words: "seven", "fifteen", "forty two"."""
    if value < 10:
        return DIGIT_WORDS[value]
    if value < 20:
        return TEEN_WORDS[value - 10]
    tens, unit = divmod(value, 10)
    return TENS_WORDS[tens] + (f" {DIGIT_WORDS[unit]}" if unit else "")


def _say_year(rng: random.Random, year: int) -> str:
    if year >= 2000:
        rest = year - 2000
        if rest == 0:
            return "two thousand"
        if rng.random() < 0.5:
            return f"two thousand and {_two_digits(rest)}"
        return f"twenty oh {DIGIT_WORDS[rest]}" if rest < 10 else f"twenty {_two_digits(rest)}"
    century, rest = divmod(year, 100)
    head = _two_digits(century)
    return f"{head} oh {DIGIT_WORDS[rest]}" if rest < 10 else f"{head} {_two_digits(rest)}"


def _ordinal(day: int) -> str:
    if day <= 20:
        return ORDINAL_WORDS[day - 1]
    tens, unit = divmod(day, 10)
    return TENS_WORDS[tens][:-1] + "ieth" if not unit else f"{TENS_WORDS[tens]} {ORDINAL_WORDS[unit - 1]}"


def _suffix(day: int) -> str:
    return "th" if 10 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _random_digits(rng: random.Random, count: int, *, first_nonzero: bool = True) -> str:
    head = str(rng.randint(1, 9)) if first_nonzero else str(rng.randint(0, 9))
    return head + "".join(str(rng.randint(0, 9)) for _ in range(count - 1))


# --- the identifiers ---------------------------------------------------------------------------------------

def card_number(rng: random.Random, *, valid: bool = True) -> str:
    """A card number that passes Luhn (or, with valid=False, fails it by its last digit)."""
    prefix, length = rng.choice((("4", 16), ("4", 16), ("51", 16), ("53", 16), ("55", 16), ("34", 15), ("37", 15),
                                 ("6011", 16)))
    body = prefix + _random_digits(rng, length - len(prefix) - 1, first_nonzero=False)
    check = next(str(d) for d in range(10) if luhn(body + str(d)))
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    return body + check


def _card(rng: random.Random, form: str) -> str:
    digits = card_number(rng)
    sizes = (4, 6, 5) if len(digits) == 15 else (4, 4, 4, 4)
    if form == "written":
        groups = _split(digits, sizes)
        return rng.choice((" ".join(groups), "-".join(groups), digits))
    return _say_digits(rng, digits, sizes, form)


def phone_number(rng: random.Random) -> str:
    """Ten digits of a US number that phonenumbers accepts as valid."""
    while True:
        digits = f"{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if digits[4:6] != "11" and phonenumbers.is_valid_number(phonenumbers.parse(digits, "US")):
            return digits


def _uk_mobile(rng: random.Random) -> str:
    while True:
        digits = f"7{rng.choice('45789')}{_random_digits(rng, 8, first_nonzero=False)}"
        if phonenumbers.is_valid_number(phonenumbers.parse("+44" + digits, None)):
            return digits


def _phone(rng: random.Random, form: str) -> str:
    if rng.random() < 0.1:   # an international mobile, always with its country code
        digits = _uk_mobile(rng)
        if form == "written":
            return f"+44 {digits[:4]} {digits[4:]}"
        return "plus four four " + _say_digits(rng, digits, (4, 6), form)
    digits = phone_number(rng)
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    if form == "written":
        return rng.choice((f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}", f"{area}.{exchange}.{line}",
                           digits, f"+1 {area} {exchange} {line}", f"1-{area}-{exchange}-{line}",
                           f"{area} {exchange} {line}"))
    said = _say_digits(rng, digits, (3, 3, 4), form)
    return f"one {said}" if rng.random() < 0.15 else said


def _email(rng: random.Random, form: str) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = rng.choice(DOMAINS)
    year = rng.randint(70, 99)
    shapes = [(f"{first}.{last}", f"{first} dot {last}"), (f"{first[0]}{last}", f"{first[0]} {last}"),
              (f"{first}_{last}", f"{first} underscore {last}"), (f"{first}{last}{year}", f"{first} {last} "
                                                                  f"{_two_digits(year)}"),
              (f"{last}.{first[0]}", f"{last} dot {first[0]}"), (f"{first}{last}", f"{' '.join(first)} {last}")]
    written, spoken = rng.choice(shapes)
    if form == "written":
        return f"{written}@{domain}"
    said_domain = domain.replace(".", " dot ").replace("-", " dash ")
    if form == "mixed":
        return f"{written} at {domain}"
    return f"{spoken} at {said_domain}"


def _ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def _national_id(rng: random.Random, form: str) -> tuple[str, str]:
    """(frame kind, text): "ssn" or "nino", said or written."""
    if rng.random() < 0.5:
        digits = _ssn(rng)
        if form == "written":
            return "ssn", rng.choice((f"{digits[:3]}-{digits[3:5]}-{digits[5:]}", f"{digits[:3]} {digits[3:5]} "
                                                                                  f"{digits[5:]}"))
        return "ssn", _say_digits(rng, digits, (3, 2, 4), form)
    letters = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
    while letters in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
        letters = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
    digits, last = _random_digits(rng, 6, first_nonzero=False), rng.choice("ABCD")
    if form == "written":
        return "nino", rng.choice((f"{letters} {digits[:2]} {digits[2:4]} {digits[4:]} {last}",
                                   f"{letters}{digits}{last}"))
    said = _say_digits(rng, digits, (2, 2, 2), form)
    return "nino", f"{letters[0].lower()} {letters[1].lower()} {said} {last.lower()}"


def _dob(rng: random.Random, form: str) -> str:
    year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    name = MONTHS[month - 1]
    if form == "written":
        return rng.choice((f"{month:02d}/{day:02d}/{year}", f"{month}/{day}/{year % 100:02d}",
                           f"{year}-{month:02d}-{day:02d}", f"{name} {day}, {year}", f"{name} {day}{_suffix(day)}, "
                                                                                     f"{year}",
                           f"{day} {name} {year}", f"the {day}{_suffix(day)} of {name} {year}"))
    if form == "mixed":
        return rng.choice((f"{name} {day}{_suffix(day)} {_say_year(rng, year)}", f"{day} {name} {year}"))
    said_year = _say_year(rng, year)
    return rng.choice((f"{name.lower()} {_ordinal(day)} {said_year}", f"the {_ordinal(day)} of {name.lower()} "
                                                                      f"{said_year}",
                       f"{name.lower()} the {_ordinal(day)} "
                       f"{_two_digits(year % 100) if year % 100 >= 10 else said_year}",
                       f"{_say_group(rng, f'{month:02d}')} {_say_group(rng, f'{day:02d}')} {said_year}"))


def _house(rng: random.Random, form: str) -> str:
    number = rng.choice((rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 9999)))
    if form == "written":
        return f"{number}{rng.choice(('', '', '', 'b'))}"
    if number < 100:
        return _two_digits(number)
    if number < 1000:
        head, rest = divmod(number, 100)
        return f"{DIGIT_WORDS[head]} {_two_digits(rest)}" if rest >= 10 else _say_group(rng, str(number))
    head, rest = divmod(number, 100)
    return f"{_two_digits(head)} hundred" if rest == 0 else f"{_two_digits(head)} {_two_digits(rest)}" \
        if rest >= 10 else _say_group(rng, str(number))


def _address(rng: random.Random, form: str) -> tuple[str, bool]:
    """(text, needs a cue word): a street address; the weak street words need "live", "address" ... before."""
    house = _house(rng, "spoken" if form == "spoken" else "written")
    weak = rng.random() < 0.3
    street = rng.choice(WEAK_STREETS if weak else STRONG_STREETS)
    text = f"{house} {rng.choice(STREET_NAMES)} {street}"
    if form == "spoken":
        text = text.lower()
    tail = rng.random()
    if tail < 0.25:
        city, state, zip_code = rng.choice(CITIES)
        zip_said = zip_code if form != "spoken" else _say_group(rng, zip_code)
        text += f", {city}, {state} {zip_said}" if form != "spoken" else f" {city.lower()} {zip_said}"
    elif tail < 0.4:
        city, postcode = rng.choice(UK_CITIES)
        text += f", {city} {postcode}" if form != "spoken" else f" {city.lower()} {postcode.lower()}"
    elif tail < 0.5:
        text += f", Apt {rng.randint(1, 40)}" if form != "spoken" else f" apartment {_two_digits(rng.randint(1, 40))}"
    return text, weak


ACCOUNT_WORDS = ("account number", "policy number", "member ID", "member number", "reference number", "order number",
                 "customer number", "claim number", "confirmation number", "case number", "booking reference")


def _account(rng: random.Random, form: str) -> str:
    count = rng.randint(6, 12)
    digits = _random_digits(rng, count)
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.choice((2, 3))))
    if form == "written":
        return rng.choice((digits, digits, f"{letters}{digits}", f"{digits[:4]} {digits[4:]}",
                           f"{digits[:4]}-{digits[4:]}"))
    said = _say_digits(rng, digits, (3, 3, 3, 3), form)
    return f"{' '.join(letters.lower())} {said}" if rng.random() < 0.25 else said


# --- utterances --------------------------------------------------------------------------------------------

FRAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "card": (("My card number is", "."), ("Yeah, the long number on the front is", ", expiry is next year."),
             ("Can you take it on", " please?"), ("Okay so it's a Visa,", "."), ("", " is the card I used."),
             ("The card ending... no wait, the whole number is", "."), ("It's", ", and the name on it is mine.")),
    "phone": (("You can call me on", "."), ("My number is", "."), ("The best number to reach me is", ", after five."),
              ("My cell is", "."), ("Call me back at", " if we get cut off."), ("", ", that's my mobile."),
              ("It's", ".")),
    "email": (("My email is", "."), ("You can email me at", "."), ("It's", ", all lower case."),
              ("Send it to", " please."), ("The email on the account should be", ".")),
    "ssn": (("My social security number is", "."), ("Social is", "."), ("SSN", ", I think that's right."),
            ("It's", ", my social security number.")),
    "ssn_bare": (("It's", "."), ("Okay,", ".")),
    "nino": (("My national insurance number is", "."), ("The NI number is", "."),
             ("", " is my national insurance number.")),
    "nino_bare": (("It's", "."), ("Sure,", ".")),
    "dob": (("My date of birth is", "."), ("I was born on", "."), ("DOB is", "."), ("Date of birth,", "."),
            ("", ", that's my date of birth."), ("My birthday is", ", if that helps.")),
    "address": (("I live at", "."), ("My address is", "."), ("The billing address is", "."),
                ("Can you ship it to", "?"), ("We moved to", " last year.")),
    "address_bare": (("It's", "."), ("Yeah,", ", that's the one.")),
    "account": (("My {kw} is", "."), ("The {kw} should be", "."), ("", ", that's my {kw}."),
                ("Yeah, {kw}", ", I've got the letter here."), ("I have the {kw} here, it's", ".")),
}

CLEAN = (
    "I've called {count} times this week about the same thing.",
    "It costs forty nine ninety nine a month, which is too much.",
    "The bill went up to ${price} and I didn't change anything.",
    "I ordered {small} items on the {day}{suffix} and only {few} arrived.",
    "That was back in twenty twenty {unit}, I think.",
    "Can you call me back at {hour} thirty?",
    "Can you call me back at {hour}:{minute}?",
    "I paid {thousands} dollars for the repair.",
    "I've been a member since {year}.",
    "I've been a customer for {small} years now.",
    "My account has {few} lines on it.",
    "The account balance is {price} dollars.",
    "We spoke on {month} {day}{suffix}, the engineer never came.",
    "The engineer is coming on the {day}{suffix} of {month} between {few} and {hour}.",
    "The voucher number on the box is {bad_card}.",
    "The code on the letter says {bad_card_said}.",
    "I was on hold for forty five minutes.",
    "About {small} minutes ago I got a text.",
    "It's been {big_small} days and nothing has happened.",
    "The app is on version {few}.{small}.",
    "Room {room} said the same thing.",
    "The five G plan is {small} dollars a month.",
    "I've got two phones and one tablet on the plan.",
    "One more thing, oh, and the router light is red.",
    "Oh, I see, that makes sense.",
    "Three to five working days, they said.",
    "I looked on amazon dot com and it was cheaper.",
    "We live on a busy street so the signal is bad.",
    "It's about {small} miles down the road.",
    "I've called like four or five times.",
    "Can I confirm your date of birth first?",
    "What's your account number, please?",
    "Could you give me the best phone number for you?",
    "I ordered {few} phones and {small} cases in {year}, {year2} and {year3}.",
    "The refund was {price} and then another {small} dollars.",
    "We have {thousands} customers in the area, apparently.",
    "From {year} to {year2} it was fine.",
    "It was about one point five million people affected, on the news.",
    "Order {few} items and you get free delivery.",
    "My order of {few} pizzas came to twenty four fifty.",
    "It was a hundred and twenty dollars and forty five cents.",
    "The meeting is at ten thirty on the {day}{suffix}.",
    "Your call is number {few} in the queue.",
    "The twenty four hour line never answers.",
    "I have {few} accounts with you and the policy covers {few} people.",
    "I was charged twice, {small}.99 and {small}.49.",
    "Page {small} of the contract says so.",
    "Twenty twenty four was a bad year for us.",
    "My reference? I don't have it with me, sorry.",
    "It's ninety nine percent sure, they told me.",
    "I've had this phone for {small} years.",
    "My account ending {four} was charged twice.",
    "The last four digits of the card are {four}.",
    "I was born in {year}, so I'm not great with apps.",
    "My birthday is next week, actually.",
    "The order was placed on {month} {day}{suffix}.",
    "Call me any time after {hour}.",
    "I've got an iPhone {small} on the plan.",
    "My date of birth? Oh, it's on the form I sent.",
    "Order number {few}{few}{few} was the wrong size.",
    "It's flat {few}, the one above the shop.",
    "We're {few} people on the account and we pay {price} a month.",
)


def _clean(rng: random.Random) -> str:
    values = {
        "count": rng.choice(("three", "four", "five", "3", "4", "5", "six")),
        "price": f"{rng.randint(20, 999)}.{rng.randint(0, 99):02d}", "small": str(rng.randint(2, 60)),
        "few": str(rng.randint(2, 9)), "day": str(rng.randint(1, 28)),
        "unit": rng.choice(("one", "two", "three", "four")), "hour": str(rng.randint(1, 11)),
        "minute": f"{rng.randint(0, 59):02d}", "thousands": f"{rng.randint(1, 99)},{rng.randint(0, 999):03d}",
        "year": str(rng.randint(1995, 2024)), "year2": str(rng.randint(1995, 2024)),
        "year3": str(rng.randint(1995, 2024)), "month": rng.choice(MONTHS), "room": str(rng.randint(100, 999)),
        "big_small": str(rng.randint(10, 120)), "four": f"{rng.randint(0, 9999):04d}",
    }
    bad = card_number(rng, valid=False)
    values["bad_card"] = rng.choice((" ".join(_split(bad, (4, 4, 4, 4))), bad))
    values["bad_card_said"] = _say_digits(rng, bad, (4, 4, 4, 4), "spoken")
    values["suffix"] = _suffix(int(values["day"]))
    return rng.choice(CLEAN).format(**values)


KINDS = ("card", "phone", "email", "national_id", "dob", "address", "account")


def _plant(b: _Builder, rng: random.Random, kind: str, *, first: bool = True) -> None:
    """One framed identifier of `kind` added to the builder (`first`: it starts the sentence)."""
    forms = ("written", "spoken", "mixed") if kind not in ("address", "dob") or rng.random() < 0.5 else \
        ("written", "spoken")
    form = rng.choice(forms)
    if kind == "national_id":
        frame_kind, text = _national_id(rng, form)
        bare = form == "written" and rng.random() < 0.3 and (frame_kind == "ssn" or " " not in text)
        frame = rng.choice(FRAMES[f"{frame_kind}_bare" if bare else frame_kind])
        pii = PiiType.NATIONAL_ID
    elif kind == "address":
        text, weak = _address(rng, form)
        bare = not weak and rng.random() < 0.3
        frame = rng.choice(FRAMES["address_bare" if bare else "address"])
        pii = PiiType.ADDRESS
    else:
        text = {"card": _card, "phone": _phone, "email": _email, "dob": _dob, "account": _account}[kind](rng, form)
        frame = rng.choice(FRAMES[kind])
        pii = PiiType(kind)
    keyword = rng.choice(ACCOUNT_WORDS)
    before, after = (part.replace("{kw}", keyword) for part in frame)
    if not first and before[1:2].islower():
        before = before[:1].lower() + before[1:]
    if before:
        b.say(before + " ")
    b.plant(pii, text, form)
    b.say(after)


def generate(seed: int = 7, n: int = 400) -> list[Utterance]:
    """`n` labelled utterances (see the module docstring); the same seed always gives the same set. From 200
    utterances on, 30% (at least 100) carry no identifier; below that, a third."""
    rng = random.Random(seed)
    clean = max(100, round(n * 0.3)) if n >= 200 else n // 3
    kinds = [KINDS[i % len(KINDS)] for i in range(n - clean)]
    rng.shuffle(kinds)
    out: list[Utterance] = []
    for kind in kinds:
        b = _Builder(rng, plain=rng.random() < 0.5)
        if rng.random() < 0.15:
            b.say(rng.choice(("Hi, yes.", "Okay.", "Um, right.", "Sure, so")) + " ")
        _plant(b, rng, kind)
        if rng.random() < 0.2:
            b.say(rng.choice((" And for the other one, ", " Also, ", " Oh and ")))
            _plant(b, rng, rng.choice([k for k in KINDS if k != kind]), first=False)
        out.append(b.done())
    for _ in range(clean):
        b = _Builder(rng, plain=rng.random() < 0.5)
        b.say(_clean(rng))
        out.append(b.done())
    order = list(range(len(out)))
    rng.shuffle(order)
    return [out[i] for i in order]


# --- measuring ---------------------------------------------------------------------------------------------

def _alnum(text: str, start: int, end: int) -> set[int]:
    return {i for i in range(start, end) if text[i].isalnum()}


def evaluate(seed: int = 7, n: int = 400, *, region: str = "US") -> dict[str, Any]:
    """Recall and false positives of `find_pii` on `generate(seed, n)`, per type (see the module docstring):
    {"utterances", "clean" (utterances without an identifier), "clean_redacted" (share of those with any span),
    "stray_per_100", "types": {type: {"planted", "found", "recall", "covered", "fp_rate", "stray_per_100"}},
    "misses": [(utterance, type), ...]} (the planted identifiers not found; the data is made up)."""
    items = generate(seed, n)
    planted = {t: 0 for t in PiiType}
    found = {t: 0 for t in PiiType}
    covered = {t: 0 for t in PiiType}
    fp_utterances = {t: 0 for t in PiiType}
    without = {t: 0 for t in PiiType}
    stray = {t: 0 for t in PiiType}
    clean_redacted = 0
    misses: list[tuple[str, str]] = []
    for item in items:
        spans = find_pii(item.text, region=region)
        for p in item.planted:
            planted[p.type] += 1
            chars = _alnum(item.text, p.start, p.end)
            if any(s.type == p.type and chars <= _alnum(item.text, s.start, s.end) for s in spans):
                found[p.type] += 1
            else:
                misses.append((item.text, p.type.value))
            if chars <= set().union(*(_alnum(item.text, s.start, s.end) for s in spans)):
                covered[p.type] += 1
        kinds_planted = {p.type for p in item.planted}
        for t in PiiType:
            if t not in kinds_planted:
                without[t] += 1
                if any(s.type == t for s in spans):
                    fp_utterances[t] += 1
        for s in spans:
            if not any(s.start < p.end and p.start < s.end for p in item.planted):
                stray[s.type] += 1
        if not item.planted and spans:
            clean_redacted += 1
    clean = sum(1 for i in items if not i.planted)
    return {
        "utterances": len(items),
        "clean": clean,
        "clean_redacted": clean_redacted / clean if clean else 0.0,
        "stray_per_100": 100 * sum(stray.values()) / len(items),
        "types": {t.value: {"planted": planted[t], "found": found[t],
                            "recall": found[t] / planted[t] if planted[t] else 1.0,
                            "covered": covered[t] / planted[t] if planted[t] else 1.0,
                            "fp_rate": fp_utterances[t] / without[t] if without[t] else 0.0,
                            "stray_per_100": 100 * stray[t] / len(items)} for t in PiiType},
        "misses": misses,
    }
