"""What the stored calls say in aggregate: flat rows per call, exports and per-agent summaries.

How behaviours relate to outcomes (CSAT, FCR, repeat contacts...) belongs here too.
"""
