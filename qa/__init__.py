"""Answering questions with verbatim quotes and exact citations."""
