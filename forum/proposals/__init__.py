"""Proposals (hiến kế) and their comment threads."""
