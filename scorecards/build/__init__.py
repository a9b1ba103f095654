"""Build: the pipeline from inputs to build/, and the one writer that owns build/."""
