"""Normalisation of text, dates and language: pure functions, no I/O."""
