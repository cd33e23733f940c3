"""Pieces shared by every domain: database set-up, the audit log, markup, text, i18n, errors."""
