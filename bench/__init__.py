"""Performance benchmark: seed a large dataset, time the key pages (`make bench`)."""
