"""Team features that keep empathy alive: recognition (Empathy MVP, kudos, wins), emotional load, huddle packs
and check-ins, Voice of the Agent, scripts through a human lens, and promises with customer history."""
