"""Plain data and settings, imported by every stage and importing none: the input schema, the table and
problem model, months, names, files, the output spec, what a report gives back and hands on."""
