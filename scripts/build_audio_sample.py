"""Make the demo's recorded call: src/heard/samples/audio/au-01.ogg (stereo, 8 kHz telephone audio).

    python scripts/build_audio_sample.py

Spoken by flite (offline, Debian's package; `bash scripts/ensure-tts.sh`) from heard.ingest.audio.synth's
built-in script, with a hold, an overlap and one raised customer line; the truth of where each line is
goes beside it as au-01.truth.json so the demo and docs can be checked against it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from heard.ingest.audio.synth import script_call, synthesize
from heard.model import Role

OUT = Path(__file__).resolve().parents[1] / "src" / "heard" / "samples" / "audio"
VOICES = {Role.AGENT: "flite:slt", Role.CUSTOMER: "flite:rms"}


def main() -> None:
    lines = script_call(45, seed=3, raised=1, overlaps=0.3, engine_for=VOICES, sample_rate=8000)
    call = synthesize(lines, sample_rate=8000, stereo=True, telephone=True, engine_for=VOICES)
    OUT.mkdir(parents=True, exist_ok=True)
    path = call.write(OUT / "au-01.ogg")
    truth = [{"speaker": t.speaker.value, "start": round(t.start, 3), "end": round(t.end, 3), "text": t.text,
              "raised": t.raised} for t in call.truth]
    (OUT / "au-01.truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(f"{path}: {call.duration:.1f} s, {path.stat().st_size / 1024:.0f} KB, {len(truth)} lines")


if __name__ == "__main__":
    main()
