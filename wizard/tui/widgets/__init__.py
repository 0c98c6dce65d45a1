"""Presentational widgets: they render what they are given and post messages; no AWS, no files."""
