"""Imports every table module so that ``Base.metadata`` knows all tables."""

from kopplingar.storage import case_tables, mail_tables, registry_tables  # noqa: F401
