"""Variable files (one per environment) and the system constants."""
