//! Operations: the work behind each subcommand. They take options structs
//! and return data; they never see the argument parser.

pub mod profiles;
