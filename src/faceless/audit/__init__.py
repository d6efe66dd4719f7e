"""The tamper-evident audit trail: recording, listing and chain verification."""
