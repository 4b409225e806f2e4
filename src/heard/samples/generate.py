"""A synthetic corpus of contact-center calls for scale tests: `heard sample --calls N --seed S`.

Calls are assembled from phrase banks per call reason and empathy style (genuine, scripted,
absent, not needed), with realistic turn timing, a few overlaps and hold silences, and outcomes
that lean with the style. The same seed always gives the same corpus. These calls are for
measuring speed and exercising code paths, never for measuring accuracy.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from heard.model import Call, Outcome, Turn

REASONS: dict[str, dict[str, list[str]]] = {
    "double_charge": {
        "problem": ["I've been charged twice for my {month} bill.", "There are two payments of {amount} on my card.",
                    "You took my payment twice this month."],
        "detail": ["Both were on the {day}.", "It's {amount} each time.", "I only have one line with you."],
        "fix": ["I've refunded the duplicate payment of {amount}.", "The second payment is refunded now.",
                "I've reversed the extra charge."],
    },
    "billing_error": {
        "problem": ["My bill is {amount} higher than normal.", "I'm being charged for something I cancelled.",
                    "There's a charge on my bill I don't recognise."],
        "detail": ["It started on the {day}.", "It says roaming but I haven't been abroad.", "It's a {amount} fee."],
        "fix": ["I've removed the charge from your bill.", "I've credited {amount} to your next bill.",
                "The fee is taken off now."],
    },
    "cancellation": {
        "problem": ["I want to cancel my contract.", "I'd like to close my account.", "I need my PAC code to leave."],
        "detail": ["The signal at home is poor.", "I found a cheaper deal.", "I'm moving abroad."],
        "fix": ["I've processed the cancellation from the {day}.", "Your PAC code is on its way by text.",
                "I've moved you to a cheaper plan instead."],
    },
    "product_defect": {
        "problem": ["My new phone keeps switching off.", "The screen on my tablet has gone black.",
                    "My router drops the connection every hour."],
        "detail": ["It's only {weeks} weeks old.", "I've restarted it several times.", "It happens at random."],
        "fix": ["I'm sending a replacement by courier.", "I've booked a repair with collection.",
                "A new router is on its way."],
    },
    "late_delivery": {
        "problem": ["My order hasn't arrived.", "My SIM card was due on the {day} and it's not here.",
                    "I've been waiting in for a delivery all week."],
        "detail": ["The order number is N W {digits}.", "The tracking hasn't moved.", "I paid for next-day delivery."],
        "fix": ["I've rebooked delivery for tomorrow morning.", "I've sent a replacement by express.",
                "I've refunded the delivery charge."],
    },
    "outage": {
        "problem": ["My broadband has been down since last night.", "I've got no mobile signal at all.",
                    "The internet keeps cutting out."],
        "detail": ["My postcode is {postcode}.", "I work from home.", "The router lights are red."],
        "fix": ["Engineers expect it back by {hour} today.", "I've added free mobile data so you can hotspot.",
                "I've credited a day's charge to your bill."],
    },
    "account_lockout": {
        "problem": ["I'm locked out of my online account.", "The app says too many attempts.",
                    "The reset email never arrives."],
        "detail": ["I've tried {n} times.", "The email on file is an old one.", "I need to pay a bill today."],
        "fix": ["I've unlocked the account and sent a reset link.", "I've updated your email address.",
                "You're verified and back in now."],
    },
}
FEELINGS = ["I'm really stressed about it.", "It's so frustrating.", "I'm worried I'll be cut off.",
            "Honestly I'm fed up.", "This is the third time I'm calling.", "I can't afford this right now."]
GENUINE = ["That sounds really stressful, especially with {topic}.", "I can hear how fed up you are with {topic}.",
           "Nobody should have to deal with {topic}, let's fix it.", "That's a worry, and I want to sort {topic} now."]
SCRIPTED = ["I understand your frustration.", "I apologise for the inconvenience.", "I'm sorry to hear that."]
NEUTRAL_AGENT = ["Can I take your account number?", "Can you confirm your date of birth?",
                 "Thanks, let me check that for you.", "I can see that on the account.", "Okay, got it."]
CUSTOMER_FILLER = ["Okay.", "Right.", "Sure.", "It's {digits}.", "Yes, that's right.", "Mhm."]
WHY = ["That happened because the payment retried after a timeout.", "That's because the discount ended last month.",
       "It's because the address didn't save on the order."]
NEXT = ["You'll get a text confirming it within the hour.", "It will show on your account within three working days.",
        "I'll email you the details today."]
CHECK = ["Does that fully sort out the problem?", "Is that everything sorted for you?"]
HOLD = ["Bear with me one moment while I check.", "Let me put you on a short hold while I look into it."]
STYLES = ["genuine", "scripted", "absent", "not_needed"]
TEAMS = ["north", "south", "east", "west", "central", "night"]


def _fill(template: str, rng: random.Random, topic: str) -> str:
    return template.format(
        month=rng.choice(["October", "November", "March"]), amount=f"£{rng.randint(5, 90)}.{rng.randint(0, 99):02d}",
        day=rng.choice(["third", "tenth", "twenty-first"]), weeks=rng.randint(1, 6), digits=rng.randint(10000, 99999),
        postcode=rng.choice(["L8 3RT", "B12 9LD", "S10 2HG"]), hour=rng.choice(["two", "five", "six"]),
        n=rng.randint(2, 6), topic=topic)


def make_call(index: int, rng: random.Random, *, turns: int | None = None, start: datetime | None = None) -> Call:
    """One synthetic call; `turns` fixes the number of turns (default: 12 to 40)."""
    reason = rng.choice(list(REASONS))
    bank = REASONS[reason]
    style = rng.choices(STYLES, weights=[4, 3, 2, 1])[0]
    n_turns = turns or rng.randint(12, 40)
    agent_no = rng.randrange(40)
    topic = reason.replace("_", " ")
    lines: list[tuple[str, str]] = [("agent", "Thank you for calling Northwind Mobile, how can I help?")]
    problem = _fill(rng.choice(bank["problem"]), rng, topic)
    if style != "not_needed":
        problem += " " + rng.choice(FEELINGS)
    lines.append(("customer", problem))
    if style == "genuine":
        lines.append(("agent", _fill(rng.choice(GENUINE), rng, topic) + " " + rng.choice(NEUTRAL_AGENT)))
    elif style == "scripted":
        lines.append(("agent", rng.choice(SCRIPTED) + " " + rng.choice(NEUTRAL_AGENT)))
    else:
        lines.append(("agent", rng.choice(NEUTRAL_AGENT)))
    while len(lines) < n_turns - 3:
        if lines[-1][0] == "agent":
            pool = bank["detail"] if rng.random() < 0.5 else CUSTOMER_FILLER
            lines.append(("customer", _fill(rng.choice(pool), rng, topic)))
        else:
            roll = rng.random()
            if roll < 0.1:
                text = rng.choice(HOLD)
            elif roll < 0.2 and style == "scripted":
                text = rng.choice(SCRIPTED)
            elif roll < 0.3 and style == "genuine":
                text = rng.choice(WHY)
            else:
                text = _fill(rng.choice(NEUTRAL_AGENT), rng, topic)
            lines.append(("agent", text))
    if lines[-1][0] == "agent":
        lines.append(("customer", "Okay."))
    fix = _fill(rng.choice(bank["fix"]), rng, topic)
    lines.append(("agent", fix + (" " + rng.choice(NEXT) if style in ("genuine", "not_needed") else "")))
    lines.append(("customer", rng.choice(["Thank you.", "Okay, thanks.", "Fine."])))
    lines.append(("agent", rng.choice(CHECK) if style == "genuine" else "Is there anything else I can help with?"))
    clock = rng.uniform(0.3, 1.0)
    built: list[Turn] = []
    for role, text in lines[:n_turns] if turns else lines:
        words = len(text.split())
        gap = rng.uniform(0.2, 0.9)
        if built and built[-1].text in HOLD:
            gap = rng.uniform(4.0, 40.0)
        elif rng.random() < 0.06 and built:
            gap = -min(1.2, (built[-1].end or 0) - (built[-1].start or 0) - 0.1)
        start_s = max(built[-1].start or 0.0, clock + gap) if built else clock
        end_s = start_s + max(0.5, words / (2.6 if role == "agent" else 2.4) * rng.uniform(0.85, 1.15))
        built.append(Turn(speaker=role, speaker_id=f"agent-{agent_no:03d}" if role == "agent" else "customer",
                          start=round(start_s, 2), end=round(end_s, 2), text=text))
        clock = max(clock, end_s)
    good = {"genuine": 1.0, "not_needed": 0.8, "absent": -0.3, "scripted": -0.6}[style] + rng.gauss(0, 0.8)
    csat = min(5, max(1, round(3.3 + good)))
    outcome = Outcome(csat=csat, nps=min(10, max(0, round(6 + 2.2 * good))), fcr=good > -0.4,
                      repeat_contact=good < -0.6, repeat_window_days=7, escalated=good < -1.4,
                      handle_time=round((built[-1].end or 0) + rng.uniform(10, 60), 1), refund=rng.random() < 0.2,
                      churned=good < -1.6 and reason == "cancellation")
    base = start or datetime(2026, 1, 5, 8, 0)
    return Call(
        id=f"syn-{index:07d}", agent_id=f"agent-{agent_no:03d}", team=TEAMS[agent_no % len(TEAMS)],
        queue=reason.split("_")[0], reason=reason, started_at=base + timedelta(minutes=7 * index),
        metadata={"synthetic": True, "empathy_style": style}, turns=built, outcome=outcome, source_format="synthetic",
    )


def generate(calls: int, seed: int = 0, *, turns: int | None = None) -> Iterator[Call]:
    rng = random.Random(seed)
    for index in range(calls):
        yield make_call(index, rng, turns=turns)


def write_corpus(out: Path, *, calls: int, seed: int = 0, per_file: int = 1000, turns: int | None = None) -> list[Path]:
    """Write the corpus as heard JSONL files of `per_file` calls each; returns the files."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    handle = None
    try:
        for i, call in enumerate(generate(calls, seed, turns=turns)):
            if i % per_file == 0:
                if handle:
                    handle.close()
                files.append(out / f"calls-{len(files):04d}.jsonl")
                handle = files[-1].open("w", encoding="utf-8")
            assert handle is not None
            handle.write(json.dumps(call.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n")
    finally:
        if handle:
            handle.close()
    return files
