"""Home visitation (探访关爱): risk tiers, contact rules, due visits and calls, visit records, follow-ups.

``rules`` holds the table an administrator edits (per tier: days between visits, between contacts,
and what a face-to-face meal drop counts as); ``tiers`` says each senior's tier and why; ``contacts``
records every time someone saw or spoke to a senior and closes the due visits that contact satisfies.
"""
