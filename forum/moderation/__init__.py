"""Moderation: curating threads, and the audit log of every staff action."""
