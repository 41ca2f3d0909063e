"""Seniors' safety: welfare alerts (raised by outcomes and by the clock) and the coordinator's live board."""
