"""The whole audio path on a long call: real-time factor on this machine and peak memory.

    python benchmarks/audio.py                          # a 30-minute stereo call, 8 kHz telephone audio
    python benchmarks/audio.py --minutes 30 5 --rate 16000

For each length, one synthetic call is spoken by flite (heard.ingest.audio.synth.script_call: the agent and
customer take turns, with holds, overlaps and a raised voice) and written as a stereo FLAC file; making
it is timed but not part of the figures. Then a fresh process (so its peak memory is its own):
  load     imports heard's audio path and loads Whisper base (checksums included)
  read     heard.ingest.audio.pipeline.read_recording: voice activity, speech-to-text, loudness and pitch per
           stretch, window by window (`chunk_seconds` 120)
  analyse  heard.pipeline.analyse on the call (every analyser, acoustics included)
and reports the real-time factor (read + analyse seconds per second of audio; under 1 is faster than
real time), the peak resident memory (VmHWM) and the memory after loading, so what the call itself
costs is their difference. Two lengths in one run show whether memory grows with the call.
Prints a table and, last, one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path) -> dict[str, float]:
    """Runs in its own process: load, read, analyse one recording."""
    start = time.perf_counter()
    from heard.ingest.audio.pipeline import read_recording
    from heard.ingest.audio.settings import AudioSettings
    from heard.ingest.audio.stt import engine
    from heard.pipeline import analyse

    settings = AudioSettings()
    engine(settings)
    loaded = time.perf_counter()
    after_load = rss_mb()
    call = read_recording(path, settings)
    read = time.perf_counter()
    analysis = analyse(call)
    done = time.perf_counter()
    assert call.audio is not None
    return {"load_s": round(loaded - start, 2), "read_s": round(read - loaded, 2), "analyse_s": round(done - read, 2),
            "audio_s": round(call.audio.duration, 1), "rtf": round((done - loaded) / call.audio.duration, 4),
            "rss_after_load_mb": round(after_load, 1), "rss_peak_mb": round(rss_mb(), 1),
            "turns": len(call.turns), "segments": len(call.audio.segments), "words": sum(len(t.words or []) for t in
                                                                                         call.turns),
            "findings": len(analysis.findings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[30.0])
    parser.add_argument("--rate", type=int, default=8000, choices=[8000, 16000])
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    from heard.ingest.audio.synth import script_call, synthesize

    rows = []
    with tempfile.TemporaryDirectory(prefix="heard-audio-bench-") as tmp:
        for minutes in args.minutes:
            began = time.perf_counter()
            lines = script_call(minutes * 60, seed=1, raised=3, overlaps=0.15, sample_rate=args.rate)
            call = synthesize(lines, sample_rate=args.rate, stereo=True, telephone=args.rate == 8000)
            path = call.write(Path(tmp) / f"call-{minutes:g}min.flac")
            made = time.perf_counter() - began
            del call
            result = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True,
                                    check=True)
            row = json.loads(result.stdout.strip().splitlines()[-1])
            row.update({"minutes": minutes, "rate": args.rate, "file_mb": round(path.stat().st_size / 2**20, 1),
                        "synth_s": round(made, 1)})
            rows.append(row)
            print(f"{minutes:g} min stereo {args.rate // 1000} kHz ({row['file_mb']} MB FLAC): "
                  f"read {row['read_s']} s + analyse {row['analyse_s']} s = RTF {row['rtf']} "
                  f"({1 / row['rtf']:.1f}x real time); load {row['load_s']} s; RSS after load "
                  f"{row['rss_after_load_mb']} MB, peak {row['rss_peak_mb']} MB "
                  f"(+{row['rss_peak_mb'] - row['rss_after_load_mb']:.0f} MB for the call); "
                  f"{row['turns']} turns, {row['words']} words", flush=True)
    print(json.dumps({"benchmark": "audio", "runs": rows}))


if __name__ == "__main__":
    main()
