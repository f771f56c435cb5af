//! checker: see docs/ARCHITECTURE.md.
