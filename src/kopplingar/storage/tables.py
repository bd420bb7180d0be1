"""Imports every table module so that ``Base.metadata`` knows all tables."""

from kopplingar.storage import (  # noqa: F401
    auth_tables,
    blob_tables,
    case_tables,
    mail_tables,
    registry_tables,
    staff_tables,
)
