"""Diagrams and exports of catalog data, one module per format. Each takes
what the read path produced (a Neighbourhood) and never queries itself."""
