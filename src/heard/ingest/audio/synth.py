"""Recordings made from known scripts, with every line's timing planted: audio whose truth is known exactly.

For tests, benchmarks and the demo sample. Each line is spoken by an offline text-to-speech program
(flite for the agent, espeak-ng for the customer by default, so the two voices differ clearly), trimmed
of the program's own silence, and placed at its start time on its party's channel:

    lines = [Line(Role.AGENT, "Thank you for calling, how can I help?", 0.5),
             Line(Role.CUSTOMER, "I was charged twice for my bill.", 3.9, raised=True)]
    call = synthesize(lines, sample_rate=8000, telephone=True)
    call.write(Path("call.wav"))          # call.truth: where each line's speech really begins and ends

The programs come from Debian (`bash scripts/ensure-tts.sh`); nothing is downloaded. Output is the same
for the same input on the same machine; a different espeak-ng or flite build may differ slightly.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf
from scipy.signal import butter, sosfiltfilt  # type: ignore[import-untyped]

from heard.errors import HeardError
from heard.ingest.audio.signal import loudness_db, resample
from heard.model import Role

Samples = npt.NDArray[np.float32]

ENSURE = "bash scripts/ensure-tts.sh"
APT = "sudo apt-get install espeak-ng flite sox libsox-fmt-all"
DEFAULT_ENGINES: Mapping[Role, str] = {Role.AGENT: "flite:slt", Role.CUSTOMER: "espeak-ng:en-us:35",
                                       Role.OTHER: "espeak-ng:en-gb:60"}
SPEECH_DB = -30.0          # active speech level of an ordinary line, dBFS (a typical call recording)
RAISED_GAIN_DB = 12.0      # a raised line is this much louder...
RAISED_PITCH = 1.12        # ...and about this much higher (flite: two semitones; more moves the formants
                           # so far that a mono raised line sounds like another person)
_TRIM_DB = 35.0            # trimmed: 5 ms frames more than this far under the clip's loudest frame
_PEAK = 10 ** (-1 / 20)    # the whole call is scaled down if it would peak above -1 dBFS


class TtsUnavailable(HeardError):
    """A text-to-speech program that synthetic audio needs is not installed."""


@dataclass(frozen=True)
class Line:
    """One line of a script: who says what, and when the speech itself begins (seconds)."""

    speaker: Role
    text: str
    start: float
    raised: bool = False   # louder and higher-pitched: a raised voice


@dataclass(frozen=True)
class TruthSegment:
    """Where one line's speech really is in the synthetic recording."""

    speaker: Role
    start: float
    end: float
    text: str
    raised: bool


@dataclass
class SynthCall:
    """A synthetic recording and the exact truth of what is where in it."""

    audio: Samples          # float32, (n,) mono or (n, 2) stereo
    sample_rate: int
    truth: list[TruthSegment]

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    @property
    def channels(self) -> int:
        return 1 if self.audio.ndim == 1 else int(self.audio.shape[1])

    def write(self, path: Path, subtype: str | None = None) -> Path:
        """Write the recording; the format follows the suffix (.wav .flac .ogg .mp3), `subtype` as soundfile's."""
        path = Path(path)
        sf.write(str(path), self.audio, self.sample_rate, subtype=subtype)
        return path


@dataclass(frozen=True)
class _Voice:
    program: str       # "flite" or "espeak-ng"
    voice: str         # flite: slt, kal, ...; espeak-ng: en-us, en-gb, ...
    pitch: int | None  # espeak-ng only: -p, 0-99

    @classmethod
    def parse(cls, spec: str) -> _Voice:
        parts = spec.split(":")
        if parts[0] not in ("flite", "espeak-ng") or len(parts) not in (2, 3) or not parts[1]:
            raise ValueError(f"voice {spec!r}: expected 'flite:<voice>', 'espeak-ng:<voice>' or "
                             "'espeak-ng:<voice>:<pitch 0-99>' (e.g. 'flite:slt', 'espeak-ng:en-us:35')")
        if len(parts) == 3:
            if parts[0] != "espeak-ng" or not parts[2].isdigit() or int(parts[2]) > 99:
                raise ValueError(f"voice {spec!r}: a pitch (0-99) is given to espeak-ng voices only")
            return cls(parts[0], parts[1], int(parts[2]))
        return cls(parts[0], parts[1], None)


def require_tts(programs: Sequence[str] = ("espeak-ng", "flite")) -> None:
    """Raise TtsUnavailable, naming the install command, when a text-to-speech program is missing."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        raise TtsUnavailable(f"synthetic audio needs {' and '.join(missing)}, which is not installed",
                             hint=f"Run `{ENSURE}` (or `{APT}`).")


@lru_cache(maxsize=1024)
def _speak(voice: _Voice, text: str, raised: bool) -> tuple[npt.NDArray[np.float64], int]:
    """Run the TTS program; the samples (read-only) and their rate."""
    require_tts((voice.program,))
    with tempfile.TemporaryDirectory(prefix="heard-tts-") as folder:
        script, wav = Path(folder) / "line.txt", Path(folder) / "line.wav"
        script.write_text(text, encoding="utf-8")
        if voice.program == "flite":
            command = ["flite", "-voice", voice.voice, "-f", str(script), "-o", str(wav)]
        else:
            pitch = 50 if voice.pitch is None else voice.pitch
            speed = 175
            if raised:   # a raised voice: higher and a little faster (louder comes after, without clipping)
                pitch, speed = min(99, pitch + 30), 195
            command = ["espeak-ng", "-v", voice.voice, "-p", str(pitch), "-s", str(speed), "-a", "100",
                       "-w", str(wav), "-f", str(script)]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0 or not wav.exists():
            raise TtsUnavailable(f"{voice.program} could not speak {text[:40]!r} with voice {voice.voice!r}: "
                                 f"{(done.stderr or done.stdout).strip()[:200]}",
                                 hint=f"Check the voice is installed (`{voice.program} --help`), or run `{ENSURE}`.")
        data, rate = sf.read(str(wav), dtype="float64", always_2d=True)
    samples = np.asarray(data[:, 0], dtype=np.float64)
    if raised and voice.program == "flite":
        # flite has no pitch control: read the samples as if recorded faster (higher and a little quicker)
        samples = resample(samples, round(rate * RAISED_PITCH), rate)
    samples.setflags(write=False)
    return samples, int(rate)


def _trim(x: npt.NDArray[np.float64], sr: int) -> npt.NDArray[np.float64]:
    """x without its leading and trailing silence: 5 ms frames more than _TRIM_DB under the loudest frame."""
    step = max(1, round(0.005 * sr))
    count = len(x) // step
    if count == 0:
        return x[:0]
    power = np.mean(x[: count * step].reshape(count, step) ** 2, axis=1)
    if power.max() <= 0:
        return x[:0]
    loud = np.flatnonzero(power >= power.max() * 10 ** (-_TRIM_DB / 10))
    return x[loud[0] * step: (loud[-1] + 1) * step]


@lru_cache(maxsize=1024)
def _clip(spec: str, text: str, raised: bool, sample_rate: int) -> Samples:
    """One line spoken, at `sample_rate`, trimmed, at the speech level (+RAISED_GAIN_DB when raised). Read-only."""
    samples, rate = _speak(_Voice.parse(spec), text, raised)
    samples = _trim(resample(samples, rate, sample_rate), sample_rate)
    if len(samples) == 0:
        raise TtsUnavailable(f"{spec.split(':')[0]} produced silence for {text[:40]!r}",
                             hint="Give the line some words to speak.")
    target = SPEECH_DB + (RAISED_GAIN_DB if raised else 0.0)
    # measured in the telephone band, so both voices keep their level when a call is band-limited
    voice_band = sosfiltfilt(_band(sample_rate), samples) if len(samples) > 30 else samples
    level = loudness_db(voice_band, sample_rate, 0.0, len(samples) / sample_rate)
    clip = (samples * 10 ** ((target - level) / 20)).astype(np.float32)
    clip.setflags(write=False)
    return clip


def line_duration(line: Line, *, engine_for: Mapping[Role, str] | None = None, sample_rate: int = 16000) -> float:
    """How long the line's speech lasts once spoken and trimmed (seconds)."""
    engines = {**DEFAULT_ENGINES, **(engine_for or {})}
    return len(_clip(engines[line.speaker], line.text, line.raised, sample_rate)) / sample_rate


@lru_cache(maxsize=8)
def _band(sample_rate: int) -> npt.NDArray[np.float64]:
    """Second-order sections of a 300-3400 Hz band-pass at `sample_rate`."""
    high = min(3400.0, 0.45 * sample_rate)
    return np.asarray(butter(4, [300.0, high], btype="bandpass", fs=sample_rate, output="sos"))


def _telephone(x: npt.NDArray[np.float64], sample_rate: int) -> npt.NDArray[np.float64]:
    """A phone line: 8 kHz, 300-3400 Hz, G.711 mu-law (8-bit) round trip, back at `sample_rate`."""
    narrow = resample(x, sample_rate, 8000)
    if len(narrow) > 30:   # zero phase: no time shift
        # -180 dB of noise keeps the filter out of denormal numbers in digital silence (100x slower there);
        # the mu-law step is far coarser, so silence still comes out as exact zeros
        rows = np.ascontiguousarray(narrow.T) + 1e-9 * np.random.default_rng(1).standard_normal(narrow.T.shape)
        narrow = sosfiltfilt(_band(8000), rows, axis=-1).T
    peak = float(np.max(np.abs(narrow))) if narrow.size else 0.0
    if peak > _PEAK:
        narrow = narrow * (_PEAK / peak)
    mu = 255.0
    coded = np.round(np.sign(narrow) * np.log1p(mu * np.abs(narrow)) / np.log1p(mu) * 127.0)
    decoded = np.sign(coded) * np.expm1(np.abs(coded) / 127.0 * np.log1p(mu)) / mu
    return resample(decoded, 8000, sample_rate)


def synthesize(lines: Sequence[Line], *, sample_rate: int = 16000, stereo: bool = True, agent_channel: int = 0,
               telephone: bool = False, engine_for: Mapping[Role, str] | None = None, pad_end: float = 1.0,
               noise_db: float | None = None) -> SynthCall:
    """Speak each line and place it at its start: the agent on `agent_channel` and everyone else on the other
    channel (stereo), or all in one channel where overlapping lines add (mono).

    `telephone` band-limits to 300-3400 Hz and round-trips G.711 mu-law at 8 kHz. `noise_db` adds steady
    white noise at that RMS level (dBFS) to every channel. If the mix would peak above -1 dBFS the whole call
    is scaled down, so levels stay relative and nothing clips.
    """
    if sample_rate < 8000:
        raise ValueError(f"sample_rate {sample_rate}: synthetic calls need at least 8000 Hz")
    if agent_channel not in (0, 1):
        raise ValueError(f"agent_channel {agent_channel}: must be 0 (left) or 1 (right)")
    engines = {**DEFAULT_ENGINES, **(engine_for or {})}
    for spec in engines.values():
        _Voice.parse(spec)
    require_tts(sorted({_Voice.parse(engines[line.speaker]).program for line in lines}))
    placed: list[tuple[int, int, Samples]] = []
    truth: list[TruthSegment] = []
    for line in lines:
        if line.start < 0:
            raise ValueError(f"line {line.text[:40]!r}: start {line.start} is before the call begins")
        clip = _clip(engines[line.speaker], line.text, line.raised, sample_rate)
        first = round(line.start * sample_rate)
        channel = 0 if not stereo else (agent_channel if line.speaker == Role.AGENT else 1 - agent_channel)
        placed.append((first, channel, clip))
        truth.append(TruthSegment(line.speaker, line.start, line.start + len(clip) / sample_rate, line.text,
                                  line.raised))
    end = max((t.end for t in truth), default=0.0) + max(0.0, pad_end)
    audio = np.zeros((max(1, int(np.ceil(end * sample_rate))), 2 if stereo else 1), dtype=np.float64)
    for first, channel, clip in placed:
        audio[first: first + len(clip), channel] += clip
    if noise_db is not None:
        audio += np.random.default_rng(0).normal(0.0, 10 ** (noise_db / 20), audio.shape)
    peak = float(np.max(np.abs(audio)))
    if peak > _PEAK:
        audio *= _PEAK / peak
    if telephone:
        audio = _telephone(audio, sample_rate)
        peak = float(np.max(np.abs(audio)))
        if peak > _PEAK:
            audio *= _PEAK / peak
    out = audio.astype(np.float32)
    truth.sort(key=lambda t: (t.start, t.end))
    return SynthCall(audio=out if stereo else np.ascontiguousarray(out[:, 0]), sample_rate=sample_rate, truth=truth)


# The built-in script: an energy-company call. Each issue is one problem the customer brings, told in the
# order a call goes: the problem, the agent's acknowledgement, what the agent finds, the customer's
# frustration (where a raised voice is planted), the fix.
_OPENING = "Thank you for calling Northwind Energy, my name is Sam. How can I help you today?"
_VERIFY = "Before I look into that, could I take your account number and the first line of your address, please?"
_DETAILS = "Sure, it's four five seven two nine one, and I live at twelve Mill Lane."
_CHECKING = "Thank you. Bear with me a moment while I pull up your account."
_ANYTHING_ELSE = "Is there anything else I can help you with today?"
_ONE_MORE = ("Actually, yes, there is one more thing.", "Now that I have you, there's something else.",
             "Yes, sorry, one more question if that's alright.")
_ACKS = ("Okay, thank you.", "Right, that makes sense.", "Alright, thanks for explaining.", "Okay, great.")
_CLOSING = ("No, that's everything, thank you for your help.",
            "You're very welcome. Thanks for calling Northwind Energy, and have a lovely day.",
            "You too, bye.")
_ISSUES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("Hi, I was charged twice for my bill this month and I really need that money back before my rent is due.",
     "I'm so sorry about that. Being charged twice right before rent is really stressful, let's get it sorted.",
     "I can see the two payments on the fourth of March. The second one was a duplicate from our side.",
     "This is the third time this has happened and nobody has fixed it, I am really fed up with this!",
     "I completely understand, and I'm sorry you've had to deal with it again. I'll make sure it stops today.",
     "I've raised a refund for the duplicate payment. It will be back in your account within three working days."),
    ("My smart meter stopped sending readings and now my bill is an estimate that's twice what I normally pay.",
     "That must be worrying, seeing a bill that high out of nowhere. Let's look at the readings together.",
     "The meter last reported on the twelfth of February, so the last two bills were estimated.",
     "I sent you a photo of the meter weeks ago and you still billed me for something I didn't use!",
     "You're right to be annoyed, you did everything you should have. I'm sorry we didn't act on that photo.",
     "I've put your real reading on the account and rebilled it. Your new balance is forty two pounds."),
    ("I'm moving house next week and I want to make sure I'm not paying for the old place after I leave.",
     "Of course, moving is busy enough without worrying about bills. I can set that up for you now.",
     "I have your move date as the twentieth. I just need a final reading on the day you leave.",
     "Last time I moved you kept charging me for months and I had to chase it for ages, it was a nightmare!",
     "That sounds exhausting, and I'm sorry it happened. This time I'll close the account on the date myself.",
     "It's all booked. You'll get a final bill within two weeks of the move, and nothing after that."),
    ("I got a letter saying my direct debit is going up to ninety pounds a month and I don't understand why.",
     "I can see why that letter would be a shock. Let me explain where the new amount comes from.",
     "Your usage over the winter was higher than we expected, so the account is sixty pounds behind.",
     "I can't afford ninety pounds a month, I've told you that before and nobody ever listens to me!",
     "I hear you, and I want to find something that works for you. Let's look at spreading it out.",
     "I've set the payment to seventy pounds and spread the balance over twelve months instead."),
    ("We've had a power cut since this morning and I've got a newborn baby at home, it's freezing in here.",
     "That sounds really frightening with a newborn. Let's get you help as quickly as we can.",
     "There's a fault on the local network and the engineers expect it back by four this afternoon.",
     "Four o'clock? That's hours away and my baby is cold, you have to do something right now!",
     "I understand, your baby's safety comes first. I'm adding you to our priority services register.",
     "The network team will call you within the hour, and they can bring a heater if it isn't fixed."),
)


def script_call(seconds: float, *, seed: int = 0, raised: int = 1, overlaps: float = 0.0,
                gaps: tuple[float, float] = (0.3, 1.2), hold: tuple[float, float] = (2.0, 4.0),
                engine_for: Mapping[Role, str] | None = None, sample_rate: int = 16000) -> list[Line]:
    """A realistic agent/customer call script of about `seconds` seconds, with exact start times.

    The agent greets, the customer explains a problem, the agent acknowledges it, checks, explains and
    fixes it; the customer brings further problems until the time is used, then both close. Lines follow
    each other after a pause drawn from `gaps` (seconds), with a longer `hold` while the agent checks the
    account; a share `overlaps` of customer lines start 0.3-0.8 s before the agent has finished. `raised`
    of the customer's frustrated lines, spread through the call, are raised voices. Start times come from
    the spoken lengths, so pass the same `engine_for` to `synthesize`. The same seed gives the same script.
    """
    rng = random.Random(seed)
    durations: dict[tuple[Role, str], float] = {}

    def length(role: Role, text: str) -> float:
        if (role, text) not in durations:
            durations[(role, text)] = line_duration(Line(role, text, 0.0), engine_for=engine_for,
                                                    sample_rate=sample_rate)
        return durations[(role, text)]

    script: list[tuple[Role, str, float]] = []   # (speaker, text, pause before)

    def say(role: Role, text: str, pause: float | None = None) -> None:
        script.append((role, text, rng.uniform(*gaps) if pause is None else pause))

    closing = sum(length(r, t) for r, t in zip((Role.CUSTOMER, Role.AGENT, Role.CUSTOMER), _CLOSING, strict=True))
    say(Role.AGENT, _OPENING, 0.5)
    issues = list(range(len(_ISSUES)))
    rng.shuffle(issues)
    spent, cycle = 0.5 + length(Role.AGENT, _OPENING), 0
    while True:
        before = spent
        problem, empathy, finding, frustrated, apology, fix = _ISSUES[issues[cycle % len(issues)]]
        if cycle:
            say(Role.AGENT, _ANYTHING_ELSE)
            say(Role.CUSTOMER, _ONE_MORE[cycle % len(_ONE_MORE)])
        say(Role.CUSTOMER, problem)
        say(Role.AGENT, empathy)
        if cycle == 0:
            say(Role.AGENT, _VERIFY)
            say(Role.CUSTOMER, _DETAILS)
        say(Role.AGENT, _CHECKING)
        say(Role.AGENT, finding, rng.uniform(*hold))
        say(Role.CUSTOMER, frustrated)
        say(Role.AGENT, apology)
        say(Role.AGENT, fix, rng.uniform(*gaps))
        say(Role.CUSTOMER, rng.choice(_ACKS))
        spent = sum(p + length(r, t) for r, t, p in script)
        cycle += 1
        if spent + closing + (spent - before) / 2 > seconds:   # another problem would overrun by more than half
            break
    say(Role.AGENT, _ANYTHING_ELSE)
    for role, text in zip((Role.CUSTOMER, Role.AGENT, Role.CUSTOMER), _CLOSING, strict=True):
        say(role, text)

    outbursts = {issue[3] for issue in _ISSUES}
    frustrated_at = [i for i, (role, text, _) in enumerate(script) if role == Role.CUSTOMER and text in outbursts]
    chosen = min(max(0, raised), len(frustrated_at))
    raised_at = {frustrated_at[int((k + 0.5) * len(frustrated_at) / chosen)] for k in range(chosen)}

    lines: list[Line] = []
    clock = 0.0
    previous: tuple[Role, float] | None = None
    for index, (role, text, pause) in enumerate(script):
        start = clock + pause
        if (previous is not None and previous[0] == Role.AGENT and role == Role.CUSTOMER
                and previous[1] > 2.0 and rng.random() < overlaps):
            start = clock - rng.uniform(0.3, 0.8)
        is_raised = index in raised_at
        lines.append(Line(role, text, round(start, 3), raised=is_raised))
        spoken = length(role, text) if not is_raised else line_duration(
            Line(role, text, 0.0, raised=True), engine_for=engine_for, sample_rate=sample_rate)
        clock = max(clock, start + spoken)
        previous = (role, spoken)
    return lines
