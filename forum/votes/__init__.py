"""Supports (ủng hộ): one per delegate per proposal, exact under concurrency."""
