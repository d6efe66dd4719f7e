"""The job kinds every process of this service runs, and the scheduler's periodic work.

Assembled here, at the top, so the worker core (queue, runner, sweep, scheduler loop)
never imports the features whose jobs it runs.
"""

from __future__ import annotations

from faceless.models import JobKind
from faceless.schedule import tasks as publish_tasks
from faceless.transcribe import tasks as transcribe_tasks
from faceless.worker.handlers import JobRegistry

JOBS = JobRegistry(
    handlers={
        JobKind.TRANSCRIBE: transcribe_tasks.HANDLER,
        JobKind.PUBLISH: publish_tasks.HANDLER,
    },
    periodic=(publish_tasks.publish_due,),
)
