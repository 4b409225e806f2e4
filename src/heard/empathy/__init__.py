"""Empathy micro-behaviours, empathy opportunities and robotic-empathy flags (see docs/behaviours.md)."""
