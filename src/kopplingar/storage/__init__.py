"""Persistence: SQLAlchemy tables, repositories and the unit of work (SQLite or PostgreSQL)."""
