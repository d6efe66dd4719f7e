"""Data-key rotation: re-seal every encrypted column value under the current key."""
