"""The model stage: load the model inputs, predict, and compute metrics with their directions."""
