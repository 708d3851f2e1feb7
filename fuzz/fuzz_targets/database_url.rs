//! Any string through the database URL inspector and the redactor. Property: for a value of
//! the form `PREFIX://USER:PASSWORD@REST`, what either of them outputs does not depend on the
//! password at all (so nothing of it can leak, not even by coincidence of characters).
#![no_main]

use ecs_auditor::redact::redact_text;
use ecs_auditor::inspect::database_url::inspect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let schemes = vec!["postgres".to_string(), "postgresql".to_string()];
    let inspection = inspect(text, &schemes, true);
    for problem in &inspection.problems {
        let _ = problem.to_string();
    }
    let redacted = redact_text(text);
    // The password as a person means it: after "://user:", up to the last '@'.
    if let Some((prefix, rest)) = text.split_once("://")
        && !text.chars().any(char::is_whitespace)
        && let Some(at) = rest.rfind('@')
        && let Some((user, password)) = rest[..at].split_once(':')
        && !password.is_empty()
        && !user.contains('/')
    {
        let filler = "x".repeat(password.chars().count());
        let other = format!("{prefix}://{user}:{filler}{}", &rest[at..]);
        assert_eq!(
            inspection.redacted,
            inspect(&other, &schemes, true).redacted,
            "the inspector's output depends on the password"
        );
        assert_eq!(redacted, redact_text(&other), "the redactor's output depends on the password");
    }
});
