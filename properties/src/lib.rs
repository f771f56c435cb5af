//! properties: see docs/ARCHITECTURE.md.
