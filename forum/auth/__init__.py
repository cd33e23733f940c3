"""Accounts: delegates and staff, login, passwords, roles."""
