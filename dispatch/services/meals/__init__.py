"""Meals: enrollments and holds, each day's meal orders, the kitchen's counts and labels, the canteen counter."""
