"""Diagrams and exports of catalog data, one module per format. A table's
neighbourhood diagram (dot, mermaid, svg) takes what the read path produced
(a Neighbourhood) and never queries itself; the schema exports (markdown,
dbml, plantuml, erd) take the tables `source.py` streams."""
