"""Compute: a company's scorecard from its validated input and evidence, and the season from every scorecard."""
