//! The policy document is JSON whatever `--output` says: a table would be
//! a second form to keep in step, and the JSON is what IAM takes.

use crate::console::{Console, ConsoleError};
use crate::policy::PolicyDocument;

pub fn print(console: &Console, policy: &PolicyDocument) -> Result<(), ConsoleError> {
    console.json(policy)
}
