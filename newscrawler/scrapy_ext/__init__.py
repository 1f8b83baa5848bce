"""Scrapy glue that is neither a spider nor a pipeline: DB wiring, run records, commands."""
