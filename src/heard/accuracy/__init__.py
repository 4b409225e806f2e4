"""Measure heard's behaviour detectors against human labels (evaluation only; nothing here trains anything).

Each reader turns a dataset into heard Calls plus, per labelled turn, the set of heard behaviours the
human labels map to. The detectors users run (`analyse(call, only=["empathy"])`) are scored against
them, next to simple baselines, so the gain is visible. See docs/accuracy.md.
"""
