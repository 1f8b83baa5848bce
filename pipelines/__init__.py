"""Item pipelines: thin adapters, one concern each (normalise -> validate -> dedup -> store)."""
