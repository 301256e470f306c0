//! Human renderings (tables, text) of operation results. The JSON form is
//! the results' own serde representation.

pub mod profiles;
