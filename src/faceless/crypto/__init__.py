"""Cryptographic building blocks: keyrings, authenticated encryption, keyed hashes."""
