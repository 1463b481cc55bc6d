//! kubectl black-box checks (written next).
