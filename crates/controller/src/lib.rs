//! `controller`: not built yet; see README.md for what exists.
