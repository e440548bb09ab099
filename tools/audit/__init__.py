"""`tools audit`: what a maturin project recompiles under build isolation, and what the series
saves it."""
