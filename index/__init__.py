"""Ingestion: reading a corpus, chunking, embedding, and the stores."""
