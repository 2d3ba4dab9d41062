"""Storage: typed models, the async engine, migrations and repositories."""
