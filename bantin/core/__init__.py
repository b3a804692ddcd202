"""What every part of bantin uses and that imports nothing above it: the publication
vocabulary and its state machine's rules (more of the core moves here as layers settle)."""
