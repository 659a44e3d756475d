"""Robot Framework keyword libraries of the Focus suite."""
