"""A C2SP tlog-witness: cosigns a plant's checkpoints once they are shown consistent."""
