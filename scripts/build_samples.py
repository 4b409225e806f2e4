"""Build heard's bundled sample calls from the hand-written source in scripts/samples/*.txt.

The source is compact so a person can write and review it; this script adds turn times
(from word counts at a speaking rate, with the pauses and overlaps the source marks), writes each
call in the format its header names, writes outcomes.csv, and writes the gold set of labelled
behaviour spans. Run: python scripts/build_samples.py [OUT_DIR]  (default src/heard/samples).

Source format, one block per call:
    === <call id> | agent <id> | team <t> | queue <q> | reason <r> | customer <c> | at <iso time> | as <format>
        | style <s> [| gold] [| chat]
    outcome csat=5 nps=9 fcr=yes ...
    comment <survey comment>
    A: <agent turn>        C: <customer turn>
Turn prefixes: (pause N) = N seconds of silence before the turn; (overlap N) = starts N seconds
before the previous turn ends. Labels: {behaviour: exact words} marks a gold evidence span.
The customer becomes outcomes.csv's customer_id column, which import puts in the call's metadata: a customer
on two calls is a returning customer (heard.team.promises follows promises across their calls).
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LABEL = re.compile(r"\{([a-z_]+): ([^{}]+)\}")
PREFIX = re.compile(r"^\((pause|overlap) ([\d.]+)\)\s*")
NAMES = {"a.rivera": "Ana", "j.okafor": "James", "m.chen": "Mei", "d.kowalski": "Dana", "r.singh": "Ravi",
         "t.brooks": "Tom"}
OUTCOME_COLUMNS = ["call_id", "agent_id", "team", "queue", "reason", "started_at", "customer_id", "csat", "nps", "fcr",
                   "repeat_contact", "repeat_window_days", "escalated", "handle_time", "refund", "churned",
                   "survey_comment"]


def parse_source(text: str) -> list[dict]:
    calls = []
    for block in text.split("=== ")[1:]:
        lines = [ln.rstrip() for ln in block.strip().splitlines() if ln.strip() and not ln.startswith("//")]
        head = [p.strip() for p in lines[0].split("|")]
        call: dict = {"id": head[0], "flags": set(), "turns": [], "outcome": {}, "comment": None}
        for part in head[1:]:
            key, _, value = part.partition(" ")
            if value:
                call[key] = value.strip()
            else:
                call["flags"].add(key)
        for line in lines[1:]:
            if line.startswith("outcome "):
                call["outcome"] = dict(kv.split("=", 1) for kv in line[8:].split())
            elif line.startswith("comment "):
                call["comment"] = line[8:].strip()
            elif line[:2] in ("A:", "C:"):
                text = line[2:].strip()
                if re.search(r".\((?:pause|overlap) ", text):
                    raise SystemExit(f"{call['id']}: (pause)/(overlap) must start the turn: {line!r}")
                call["turns"].append((line[0], text))
            else:
                raise SystemExit(f"{call['id']}: cannot read line {line!r}")
        calls.append(call)
    return calls


def timed(call: dict) -> tuple[list[dict], list[dict]]:
    """Turns with times and clean text, and the gold labels with character spans."""
    rng = random.Random(call["id"])
    clock = rng.uniform(0.4, 1.2)
    turns: list[dict] = []
    labels: list[dict] = []
    for index, (who, raw) in enumerate(call["turns"]):
        gap = rng.uniform(0.25, 0.9)
        match = PREFIX.match(raw)
        start = clock + gap if turns else clock
        if match:
            raw = raw[match.end():]
            amount = float(match.group(2))
            start = clock + amount if match.group(1) == "pause" else max(turns[-1]["start"] + 0.3, clock - amount)
        text, spans = "", []
        pos = 0
        for m in LABEL.finditer(raw):
            text += raw[pos:m.start()]
            spans.append((m.group(1), len(text), len(text) + len(m.group(2))))
            text += m.group(2)
            pos = m.end()
        text += raw[pos:]
        words = len(text.split())
        rate = 2.7 if who == "A" else 2.45
        duration = max(0.6, words / rate * rng.uniform(0.9, 1.12))
        end = start + duration
        turns.append({"who": who, "start": round(start, 2), "end": round(end, 2), "text": text})
        for behaviour, s, e in spans:
            labels.append({"call_id": call["id"], "turn": index, "behaviour": behaviour, "span": [s, e],
                           "text": text[s:e]})
        clock = max(clock, end)
    return turns, labels


def speaker_name(call: dict, who: str, style: str) -> str:
    if style == "generic":
        return "Agent" if who == "A" else "Customer"
    return NAMES[call["agent"]] if who == "A" else "Caller"


def clock(seconds: float, sep: str = ".") -> str:
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}:{int(m):02d}:{int(s):02d}{sep}{round((s % 1) * 1000) % 1000:03d}"


def mmss(seconds: float) -> str:
    return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"


def write_call(call: dict, turns: list[dict], out: Path) -> Path:
    fmt = call.get("as", "json")
    chat = "chat" in call["flags"]
    if fmt == "json":
        doc = {
            "id": call["id"], "agent_id": call["agent"], "team": call["team"], "queue": call["queue"],
            "reason": call["reason"], "channel": "chat" if chat else "voice", "started_at": call["at"],
            "language": "en", "metadata": {"empathy_style": call["style"]},
            "turns": [{"speaker": "agent" if t["who"] == "A" else "customer",
                       "speaker_id": call["agent"] if t["who"] == "A" else "customer",
                       "start": t["start"], "end": t["end"], "text": t["text"]} for t in turns],
        }
        path = out / f"{call['id']}.json"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    elif fmt == "text":
        lines = [f"# id: {call['id']}"]
        lines += [f"[{mmss(t['start'])}-{mmss(t['end'])}] {'Agent' if t['who'] == 'A' else 'Customer'}: {t['text']}"
                  for t in turns]
        path = out / f"{call['id']}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "vtt":
        cues = [f"{clock(t['start'])} --> {clock(t['end'])}\n<v {speaker_name(call, t['who'], 'named')}>{t['text']}"
                for t in turns]
        path = out / f"{call['id']}.vtt"
        path.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")
    elif fmt == "srt":
        cues = [f"{i}\n{clock(t['start'], ',')} --> {clock(t['end'], ',')}\n"
                f"{speaker_name(call, t['who'], 'generic')}: {t['text']}" for i, t in enumerate(turns, 1)]
        path = out / f"{call['id']}.srt"
        path.write_text("\n\n".join(cues) + "\n", encoding="utf-8")
    elif fmt == "contactlens":
        doc = {
            "Version": "1.1.0", "AccountId": "000000000000", "Channel": "VOICE", "JobStatus": "COMPLETED",
            "LanguageCode": "en-US",
            "Participants": [{"ParticipantId": "AGENT", "ParticipantRole": "AGENT"},
                             {"ParticipantId": "CUSTOMER", "ParticipantRole": "CUSTOMER"}],
            "CustomerMetadata": {"ContactId": call["id"], "InstanceId": "sample-instance"},
            "Transcript": [{"Id": f"{call['id']}-{i}", "ParticipantId": "AGENT" if t["who"] == "A" else "CUSTOMER",
                            "BeginOffsetMillis": int(t["start"] * 1000), "EndOffsetMillis": int(t["end"] * 1000),
                            "Content": t["text"], "Sentiment": "NEUTRAL"} for i, t in enumerate(turns)],
        }
        path = out / f"{call['id']}.json"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        raise SystemExit(f"{call['id']}: unknown format {fmt}")
    return path


def build(out: Path) -> None:
    calls = [c for p in sorted((ROOT / "samples").glob("*.txt")) for c in parse_source(p.read_text("utf-8"))]
    ids = [c["id"] for c in calls]
    if len(set(ids)) != len(ids):
        raise SystemExit("duplicate call ids in the source")
    calls_dir = out / "calls"
    calls_dir.mkdir(parents=True, exist_ok=True)
    for old in calls_dir.iterdir():
        old.unlink()
    gold: list[dict] = []
    rows = []
    for call in calls:
        if "customer" not in call:
            raise SystemExit(f"{call['id']}: the header names no customer (| customer <id>)")
        turns, labels = timed(call)
        write_call(call, turns, calls_dir)
        if "gold" in call["flags"]:
            gold.extend(labels)
        outcome = dict(call["outcome"])
        if outcome.get("handle_time") == "auto":
            outcome["handle_time"] = round(turns[-1]["end"] + 25, 1)
        rows.append({"call_id": call["id"], "agent_id": call["agent"], "team": call["team"], "queue": call["queue"],
                     "reason": call["reason"], "started_at": call["at"], "customer_id": call["customer"], **outcome,
                     "survey_comment": call["comment"] or ""})
    with (out / "outcomes.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=OUTCOME_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    gold_calls = sorted(c["id"] for c in calls if "gold" in c["flags"])
    (out / "gold").mkdir(exist_ok=True)
    with (out / "gold" / "behaviours.jsonl").open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"labelled_calls": gold_calls}) + "\n")
        for label in gold:
            fh.write(json.dumps(label, ensure_ascii=False) + "\n")
    print(f"{len(calls)} calls, {len(gold)} gold labels in {len(gold_calls)} calls -> {out}")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "src" / "heard" / "samples")
