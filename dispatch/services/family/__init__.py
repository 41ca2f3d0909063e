"""The family portal: what a family member sees, invitations, notification settings and the outbox."""
