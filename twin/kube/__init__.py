"""The twin's Kubernetes API server, served by the supervisor over its real processes."""
