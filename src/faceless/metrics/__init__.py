"""Prometheus metrics: the instruments, the per-process-tree directory, the exposition.

:mod:`faceless.metrics.process_dir` imports nothing but the standard library: the
``faceless`` entry point calls it before any module creates a metric, because
prometheus-client chooses between in-memory values and multiprocess files once, when it
is first imported. So this package's ``__init__`` imports nothing either.
"""
