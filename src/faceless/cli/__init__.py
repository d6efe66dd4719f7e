"""The ``faceless`` command line."""
