"""Write an author's calls without their labels, for independent annotators (training/corpus/blind/).

    .venv/bin/python scripts/corpus_blind.py A7 A8
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(authors: list[str]) -> None:
    for author in authors:
        source = ROOT / "training" / "corpus" / "authored" / f"{author}.jsonl"
        target = ROOT / "training" / "corpus" / "blind" / f"{author}.jsonl"
        with source.open(encoding="utf-8") as fh, target.open("w", encoding="utf-8") as out:
            for line in fh:
                if not line.strip():
                    continue
                call = json.loads(line)
                turns = [{"n": n, "speaker": t.get("speaker") or t["role"], "text": t["text"]}
                         for n, t in enumerate(t for t in call["turns"] if str(t.get("text") or "").strip())]
                out.write(json.dumps({"id": call["id"], "turns": turns}, ensure_ascii=False) + "\n")
        print(f"{target}: blind copy of {source.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
