"""Pieces shared by every domain: database set-up, the audit log, permissions, forms,
markup, text, i18n, errors. The bottom layer: it imports no domain."""
