# (filled in by its part of the tree)
