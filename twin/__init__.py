"""The local twin of the Focus stack: see twin/README.md."""
