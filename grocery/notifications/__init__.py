"""Notifications: what the background jobs found, addressed to a role (optionally one site) or
to one person, each person marking them read for themselves."""
