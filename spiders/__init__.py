"""Scrapy spiders: one per outlet, built from the outlet registry."""
