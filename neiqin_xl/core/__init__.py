"""Plain data and settings: the input schema, the problem and table model, names, the output spec, the run context."""
