"""The redaction detectors on text nobody here wrote: AnnoMI and MultiWOZ (USS), read from ../shared/data.

- AnnoMI (`AnnoMI-simple.csv`): real counselling sessions, transcribed; they name no cards, phones, e-mails or
  account numbers, so every span found is counted as a false positive (and printed to be looked at).
- MultiWOZ (`uss-user-satisfaction/MWOZ.txt`): booking dialogues whose system turns give Cambridge phone
  numbers ("01223 812660"), postcodes ("cb2 1ab") and booking references ("7GAWK763"). A turn counts as
  holding one when a plain pattern finds it there; recall is the share of those turns where heard finds a span
  of the matching type (region GB). Turns with no digit and no postcode give the false positives.

Evaluation only: both sets' licences forbid shipping anything trained on them, and nothing here is trained.

    python scripts/redaction_eval.py --public ../shared/data
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

from heard.redact.detect import PiiType, find_pii

PHONE = re.compile(r"\b01223 ?\d{6}\b|\b\d{11}\b")
POSTCODE = re.compile(r"\bcb\d{1,2} ?\d[a-z]{2}\b", re.I)
REFERENCE = re.compile(r"reference (?:number )?(?:is )?:? ?[A-Z0-9]{8}\b", re.I)


def annomi(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        texts = [row["utterance_text"] for row in csv.DictReader(file)]
    found = [(text, span) for text in texts for span in find_pii(text)]
    return {"utterances": len(texts), "spans": len(found),
            "by_type": dict(Counter(span.type.value for _, span in found)),
            "examples": [text[max(0, s.start - 40): s.end + 20] for text, s in found[:10]]}


def multiwoz(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        turns = [line.split("\t")[1] for line in file if line.count("\t") >= 2]
    result: dict[str, Any] = {"turns": len(turns)}
    for name, pattern, kind in (("phone", PHONE, PiiType.PHONE), ("postcode", POSTCODE, PiiType.ADDRESS),
                                ("booking reference", REFERENCE, PiiType.ACCOUNT)):
        holding = [t for t in turns if pattern.search(t)]
        hit = sum(any(s.type is kind for s in find_pii(t, region="GB")) for t in holding)
        recall = round(hit / len(holding), 4) if holding else None
        result[name] = {"turns": len(holding), "found": hit, "recall": recall}
    clean = [t for t in turns if not re.search(r"\d", t) and not POSTCODE.search(t)]
    spans = [s for t in clean for s in find_pii(t, region="GB")]
    result["clean"] = {"turns": len(clean), "spans": len(spans), "by_type": dict(Counter(s.type.value for s in spans))}
    return result
