"""Cross-cutting security layer: passwords, tokens, edge middleware."""
