"""The entry layer's runtime: the container every process builds, and the process mains."""
