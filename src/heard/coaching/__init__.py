"""Coaching: plans, sessions, role-play packs and feedback help, built on what heard measures."""
