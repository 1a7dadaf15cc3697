"""Data and settings, imported by every stage and importing none: the input schema, the table and problem
model, months, names, the output spec, what a report gives back and hands on; also the two edges every stage
needs (config.py reads config.yaml, files.py writes a file atomically)."""
