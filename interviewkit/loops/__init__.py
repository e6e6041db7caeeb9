"""Interview loops: choose questions from the bank for each session of a loop template."""
