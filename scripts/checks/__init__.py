"""The checks `make lint` runs: tags, destructive tags, the Jenkinsfile, README paths; and
the secrets check of results."""
