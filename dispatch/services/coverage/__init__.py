"""Service circles: who is inside a site's circle, home-site assignment, gaps, and where to open the next site."""
