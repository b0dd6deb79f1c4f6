"""Tornado handlers of the per-user service (the web pages and the REST API)."""
