//! `api-keys` for people: the names, and a new key exactly once.

use crate::console::Console;
use crate::ops::api_keys::ApiKeysReport;

pub fn print(console: &Console, report: &ApiKeysReport) {
    if let Some(created) = &report.created {
        console.out(format!("API key `{}` for environment {}:", created.name, report.environment));
        console.out(&created.key);
        console.out("It is shown this once. Send it as the X-Api-Key header; the producers accept it after their next instance refresh (a rolling deploy).");
    }
    if let Some(revoked) = &report.revoked {
        console.out(format!("Revoked `{revoked}`; the producers refuse it after their next instance refresh."));
        if report.names.is_empty() {
            console.out("No key is left: new producers will refuse to start until one is created.");
        }
    }
    if report.created.is_none() {
        console.out(format!("{} key(s) in {}: {}", report.names.len(), report.parameter, report.names.join(", ")));
    }
}
