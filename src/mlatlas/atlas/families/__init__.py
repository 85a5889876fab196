"""Registry entries, one module per family; each module calls ``register``."""
