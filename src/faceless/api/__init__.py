"""HTTP layer shared by all feature packages: routers, dependencies, base schemas."""
