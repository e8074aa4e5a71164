"""The default risk libraries and allow-lists, one pair of JSON files per language."""
