"""Voice activity per channel: Silero (the ONNX model bundled in faster-whisper), edges snapped to the signal.

Silero decides *whether* someone is speaking (robust to noise, where an energy detector is not), at a
threshold of 0.35 (0.5 missed a soft "Right," on a phone line by 0.6 s); its
32 ms windows and padding make its edges coarse, so each edge is then moved to the exact onset or
offset in the signal itself (`signal.refine_edges`), which is what talk-over and silence timing need.
"""

from __future__ import annotations

from heard.ingest.audio.io import TARGET_RATE, Samples
from heard.ingest.audio.signal import refine_edges

Span = tuple[float, float]
MAX_SPEECH_SECONDS = 25.0   # a stretch longer than this is split (Whisper reads 30 s at a time)


def speech_spans(channel16k: Samples, native: Samples, rate: int, *, min_silence: float) -> list[Span]:
    """Stretches of speech in one channel, in seconds from its start: Silero on the 16 kHz copy, edges from
    the native-rate samples."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if channel16k.size < TARGET_RATE // 10:
        return []
    options = VadOptions(threshold=0.35, min_speech_duration_ms=120, min_silence_duration_ms=int(min_silence * 1000),
                         speech_pad_ms=30, max_speech_duration_s=MAX_SPEECH_SECONDS)
    found = get_speech_timestamps(channel16k, options, sampling_rate=TARGET_RATE)
    coarse = [(item["start"] / TARGET_RATE, item["end"] / TARGET_RATE) for item in found]
    if not coarse:
        return []
    refined = refine_edges(native, rate, coarse, search=0.5)
    spans: list[Span] = []
    for start, end in refined:   # refining can make neighbours touch: join them
        if end - start <= 0:
            continue
        if spans and start - spans[-1][1] < min_silence / 2:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans
