"""What the Makefile runs: set-up, prove, guard, load, fuzz, baselines, repeats, shards,
docs, and the closing summary."""
