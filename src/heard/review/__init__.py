"""People's reviews of calls: evaluations (with the machine's answers pre-filled), disputes; calibration comes here."""
