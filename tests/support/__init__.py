"""Helpers that more than one test module uses, and the benchmarks too (bench/ puts the
repository on its path): servers in the production configuration, the Contact form posted over
HTTP, staff signing in."""
