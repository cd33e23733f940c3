"""Curation: pin, feature, move, correct titles, official answers (issue 8, items 3 and 6)."""
