"""The STAC API over the product index (core, collections, features, item search, filter)."""
