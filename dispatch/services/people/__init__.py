"""The people and places Doorstep holds: seniors, workers, meal sites, accounts, API tokens, and locating addresses."""
