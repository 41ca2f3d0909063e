"""The worker's day: the routes a phone shows, the stops it may act on, and the outcomes it records."""
