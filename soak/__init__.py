"""The soak: one tenant through many sync and push cycles with random edits on both sides and
trouble on purpose, then invariants checked against the simulator and the app's tables."""
