//! Terraform's state file format, version 4: reading and writing it byte-compatibly.
