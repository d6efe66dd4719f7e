"""Transcription requests: the upload endpoint and its validation."""
