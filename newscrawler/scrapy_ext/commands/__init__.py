"""Scrapy commands overridden by the project (COMMANDS_MODULE)."""
