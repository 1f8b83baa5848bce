"""Dedup keys: canonical URLs, article keys and content fingerprints (pure functions)."""
