"""What every part of bantin uses and that imports nothing above it: errors, the
publication vocabulary and its state machine, the audit chain, the clock, the database and
its models, scrubbing and file modes. `tests/test_layers.py` holds it to that."""
