"""Bundled sample calls (hand-written; built by scripts/build_samples.py) and the synthetic generator."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).parent
CALLS_DIR = SAMPLES_DIR / "calls"
OUTCOMES_CSV = SAMPLES_DIR / "outcomes.csv"
GOLD_BEHAVIOURS = SAMPLES_DIR / "gold" / "behaviours.jsonl"

__all__ = ["CALLS_DIR", "GOLD_BEHAVIOURS", "OUTCOMES_CSV", "SAMPLES_DIR"]
