//! Profiling and checks on seeded tables with known defects.
