"""Records: delivery attempts, the audit chain, listings and summaries."""
