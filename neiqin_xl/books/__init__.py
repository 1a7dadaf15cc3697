"""The books kept from the consolidated tables: validation, the one allocation of collections and its as-of
views, the run context a report gets, periods and working days, finance matching, the customer archive's rules,
who is credited with what, and the roster."""
