"""The books kept from the consolidated tables: validation, the allocation of collections, periods and working days."""
