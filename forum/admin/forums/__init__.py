"""Organizer area: forum settings, schedule, rules and themes."""
