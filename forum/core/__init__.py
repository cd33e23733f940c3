"""Pieces shared by several domains: database set-up, markup, text, i18n, errors."""
