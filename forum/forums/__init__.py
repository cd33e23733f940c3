"""Forums: the ten thematic forums, their themes and phases."""
