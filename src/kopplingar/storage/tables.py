"""Imports every table module so that ``Base.metadata`` knows all tables."""

from kopplingar.storage import registry_tables  # noqa: F401
