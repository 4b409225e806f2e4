"""Runners: the same pipeline function at any scale (in-process, a local process pool, later Ray)."""
