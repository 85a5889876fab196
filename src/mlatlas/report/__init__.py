"""Reports built from registry runs: the demo summary."""
