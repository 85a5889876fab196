"""Side-by-side benchmarks of mlatlas against its reference libraries."""
