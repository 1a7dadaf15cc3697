"""Files to tables: opening workbooks, finding headers, parsing cells, the intake cache."""
