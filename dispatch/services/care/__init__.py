"""Home-care requests: staff review (approve, decline, reschedule) and what families ask for."""
