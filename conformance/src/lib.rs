//! Conformance suites against the emulator or real AWS; grows in issue #6.
