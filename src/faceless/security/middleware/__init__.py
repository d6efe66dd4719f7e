"""Pure ASGI middleware, one concern per module, ordered once in ``faceless.app``."""
