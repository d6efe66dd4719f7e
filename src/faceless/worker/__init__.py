"""Background work: the job queue (Celery or in-process), task runner and scheduler."""
