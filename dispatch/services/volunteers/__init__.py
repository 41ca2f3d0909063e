"""Volunteers: onboarding by invitation link and certificates, dated shifts and sign-ups, hours given."""
