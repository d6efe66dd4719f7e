"""Jobs: the API view of background work (poll, list, result download, cancel, delete)."""
