"""The generated demo district: the district as data, seeding it, playing past days, and the prepared day."""
