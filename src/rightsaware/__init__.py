"""rightsaware."""
