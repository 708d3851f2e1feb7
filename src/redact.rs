//! Redaction: the one place that decides what a secret looks like.
//!
//! Rules call these functions before any text goes into a [`crate::finding::Finding`], and the
//! alert renderer runs [`redact_text`] once more over everything it sends (defence in depth).
//! Redaction errs towards hiding too much: a password is taken to run up to the LAST `@` of
//! a whitespace-free token, because real passwords contain unencoded `@`, `/` and `#`.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// What replaces a hidden value.
pub const MASK: &str = "****";

/// `://user:password@`: the password is greedy up to the last '@' before whitespace; the user
/// may contain '@' (Azure-style "admin@server" user names). Whatever precedes "://" does not
/// matter: a missing or mangled scheme must not expose the password. `credentials-in-logs`
/// detects with the same pattern, so that what is hidden is what is reported.
pub const URL_PASSWORD_PATTERN: &str = r"(://)([^\s:/]*):(\S*)@";

static URL_PASSWORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(URL_PASSWORD_PATTERN).expect("valid regex"));

static KEY_VALUE_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    // key=value (DSNs, query strings, env dumps), "key": "value" (JSON) and password: value
    // (YAML-ish). A bare "token: ..." in prose is left alone: too many false alarms. An
    // unquoted value runs to the next whitespace: a password may contain & ; , (a query
    // string's following parameters are hidden too, which is the safe side). A quoted value
    // goes on after its closing quote as a shell word does (`'abc'def` is `abcdef`), up to
    // whitespace or a JSON delimiter.
    Regex::new(
        r#"(?i)([\w.\-]*(?:password|passwd|pwd|token|secret_key|client_secret|api_?key|access_key)\s*=\s*|"[\w.\-]*(?:password|passwd|pwd|token|secret|api_?key|access_key)"\s*:\s*|\b[\w.\-]*(?:password|passwd|pwd)\s*:\s*)((?:"[^"]*"|'[^']*')[^\s,}\])]*|\S+)"#,
    )
    .expect("valid regex")
});

static AWS_ACCESS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b").expect("valid regex"));

/// Hides passwords in URLs (`postgres://coder:****@host`), values of password-like keys
/// (`password=****`) and AWS access key ids. Returns the input unchanged (borrowed) when
/// there is nothing to hide.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if out.contains("://")
        && let Cow::Owned(replaced) =
            URL_PASSWORD.replace_all(&out, format!("${{1}}${{2}}:{MASK}@"))
    {
        out = Cow::Owned(replaced);
    }
    // A quoted value keeps its quotes around the mask, so that redacting twice changes
    // nothing and JSON stays JSON.
    let text = out.clone();
    if let Cow::Owned(replaced) = KEY_VALUE_SECRET.replace_all(&out, |caps: &regex::Captures| {
        let whole = caps.get(0).expect("the whole match");
        // `...:password::` names a JSON key: nothing but colons follow it, so nothing is hidden.
        if in_secret_reference(&text, whole.start())
            || caps[2]
                .trim_end_matches(['`', '"', '\'', ')', '.'])
                .chars()
                .all(|c| c == ':')
        {
            return whole.as_str().to_string();
        }
        let quote = match caps[2].as_bytes()[0] {
            quote @ (b'"' | b'\'') => (quote as char).to_string(),
            _ => String::new(),
        };
        format!("{}{quote}{MASK}{quote}", &caps[1])
    }) {
        out = Cow::Owned(replaced);
    }
    if let Cow::Owned(replaced) = AWS_ACCESS_KEY_ID.replace_all(&out, MASK) {
        out = Cow::Owned(replaced);
    }
    out
}

/// Whether `at` lies inside a Secrets Manager reference with a JSON key,
/// `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME:JSON_KEY:STAGE:ID`: `password::`
/// there names a key of the secret, it is not one.
fn in_secret_reference(text: &str, at: usize) -> bool {
    let start = text[..at]
        .rfind(|c: char| c.is_whitespace() || "\"'([{,=".contains(c))
        .map_or(0, |boundary| boundary + 1);
    let end = text[at..]
        .find(|c: char| c.is_whitespace() || "\"')]},".contains(c))
        .map_or(text.len(), |boundary| at + boundary);
    let parts: Vec<&str> = text[start..end].split(':').collect();
    parts.len() == 10 && parts[0] == "arn" && parts[2] == "secretsmanager" && parts[5] == "secret"
}

/// True when a setting's name says its value is a secret (`DB_PASSWORD`, `API_TOKEN`, ...).
/// Values of such settings are never shown, not even redacted.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const MARKERS: [&str; 9] = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE_KEY",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ];
    MARKERS.iter().any(|marker| upper.contains(marker)) || upper.ends_with("_PASS")
}

/// How a setting's value may appear in an alert.
pub fn display_setting_value(name: &str, value: &str) -> String {
    if is_secret_name(name) {
        "(value hidden)".to_string()
    } else {
        truncate_chars(&redact_text(value), 200)
    }
}

/// Shortens `text` to at most `max` characters (not bytes), marking the cut with `…`, and
/// replaces control characters so that an excerpt stays on one readable line.
pub fn truncate_chars(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 4));
    for (count, ch) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        out.push(if ch.is_control() { ' ' } else { ch });
    }
    out
}

/// A log line or value made safe to show: one line, redacted, at most `max` characters.
/// Control characters become spaces *before* redaction, so that what is shown is exactly
/// what was redacted (a tab between `password` and `:` must not hide the value).
pub fn excerpt(text: &str, max: usize) -> String {
    let line: String = text
        .trim_end_matches(['\r', '\n'])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate_chars(redact_text(&line).trim(), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_PASSWORD: &str = "xR7pf7MPgZyIChIXWqwO3srnp0GflgHwG7dMC7gvdHI=";

    #[test]
    fn hides_the_password_of_the_seed_url() {
        let url = format!(
            "postgresql://coder:{SEED_PASSWORD}@coder-postgres.cunxsqwqr7rg.us-east-1.rds.amazonaws.com:5432/coder"
        );
        let redacted = redact_text(&url);
        assert!(!redacted.contains(SEED_PASSWORD));
        assert_eq!(
            redacted,
            "postgresql://coder:****@coder-postgres.cunxsqwqr7rg.us-east-1.rds.amazonaws.com:5432/coder"
        );
    }

    #[test]
    fn hides_passwords_with_unencoded_reserved_characters() {
        for password in ["p@ss/w#rd?x", "a'b\"c", "ab:cd", "%zz%41"] {
            let line = format!("connecting to postgres://u:{password}@db.internal:5432/app now");
            let redacted = redact_text(&line);
            assert!(!redacted.contains(password), "{redacted}");
            assert!(
                redacted.ends_with("@db.internal:5432/app now"),
                "{redacted}"
            );
        }
    }

    #[test]
    fn hides_passwords_behind_a_missing_or_mangled_scheme() {
        // Found by fuzzing: the scheme was garbage, the password was not.
        for url in [
            "://coder:Hunter2Hunter2@db/coder",
            "postgrf\0\0\0/myadmin@://ve2:Hunter2Hunter2@server.example.com?P<",
            "9x://coder:Hunter2Hunter2@db",
        ] {
            let redacted = redact_text(url);
            assert!(!redacted.contains("Hunter2Hunter2"), "{redacted}");
        }
    }

    #[test]
    fn hides_passwords_after_user_names_with_an_at_sign() {
        let url = "postgres://myadmin@mydemoserver:Hunter2Hunter2@mydemoserver.postgres.database.azure.com:5432/db";
        let redacted = redact_text(url);
        assert!(!redacted.contains("Hunter2Hunter2"), "{redacted}");
        assert!(
            redacted.starts_with("postgres://myadmin@mydemoserver:****@"),
            "{redacted}"
        );
    }

    #[test]
    fn hides_key_value_passwords_in_dsns_and_json() {
        let cases = [
            (
                "host=db user=coder password=hunter2 dbname=coder",
                "hunter2",
            ),
            (
                "postgres://db/coder?user=u&password=hunter2&sslmode=require",
                "hunter2",
            ),
            (r#"{"db_password": "hunter2", "x": 1}"#, "hunter2"),
            ("PGPASSWORD=hunter2 psql", "hunter2"),
            ("db password: hunter2", "hunter2"),
            (r#"{"api_token":"hunter2"}"#, "hunter2"),
            ("key AKIAABCDEFGHIJKLMNOP used", "AKIAABCDEFGHIJKLMNOP"),
        ];
        for (text, secret) in cases {
            let redacted = redact_text(text);
            assert!(!redacted.contains(secret), "{text} -> {redacted}");
        }
    }

    #[test]
    fn quoted_values_are_hidden_whole_and_redacting_twice_changes_nothing() {
        let cases = [
            (
                r#"{"password":"x1y2","a":1}"#,
                r#"{"password":"****","a":1}"#,
            ),
            (
                r#"{"db_password": "hunter2", "x": 1}"#,
                r#"{"db_password": "****", "x": 1}"#,
            ),
            // A shell word goes on after the closing quote: 'abc'def is abcdef.
            ("password='abc'def rest", "password='****' rest"),
            (r#"password="a b"c d"#, r#"password="****" d"#),
            // Found by fuzzing the log scanner: a quote opened far before the one that closes it.
            (
                "al-Password:'0:21sg\":\"c  x al-Password:'0:21sg\":\"c",
                "al-Password:'****'",
            ),
        ];
        for (text, expected) in cases {
            let once = redact_text(text);
            assert_eq!(once, expected, "{text}");
            assert_eq!(redact_text(&once), once, "{text}: a second pass changed it");
        }
        assert!(!redact_text("password='abc'def rest").contains("def"));
    }

    #[test]
    fn leaves_innocent_text_borrowed_and_secret_arns_readable() {
        let text = "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)";
        assert!(matches!(redact_text(text), Cow::Borrowed(_)));
        let arn =
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url::";
        assert_eq!(redact_text(arn), arn);
        // `password` there is the JSON key of an RDS-managed secret, not a password.
        let reference = "secrets DB_PASSWORD from arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-3f6c2b1e-8d4a-4c7e-9b1f-2a5d7e9c0b13-Zx8Kp2:password::";
        assert_eq!(redact_text(reference), reference);
        // Advice that spells such a key hides nothing either.
        let advice = "it has 8 parts; write ...:password:: (valueFrom of DB_PASSWORD)";
        assert_eq!(redact_text(advice), advice);
        // Outside such a reference the same words still hide what follows.
        assert_eq!(redact_text("db password: hunter2"), "db password: ****");
        assert_eq!(
            redact_text("arn:aws:ssm:us-east-1:1:parameter/x password:hunter2"),
            "arn:aws:ssm:us-east-1:1:parameter/x password:****"
        );
        assert_eq!(redact_text("http://0.0.0.0:3000"), "http://0.0.0.0:3000");
    }

    #[test]
    fn secret_names_hide_whole_values() {
        assert!(is_secret_name("DB_PASSWORD"));
        assert!(is_secret_name("coder_oauth2_github_client_secret"));
        assert!(is_secret_name("DB_PASS"));
        assert!(!is_secret_name("CODER_PG_CONNECTION_URL"));
        assert_eq!(display_setting_value("API_TOKEN", "abc"), "(value hidden)");
        assert_eq!(
            display_setting_value("CODER_PG_CONNECTION_URL", "postgres://u:pw@h/db"),
            "postgres://u:****@h/db"
        );
    }

    #[test]
    fn control_characters_cannot_shield_a_secret() {
        // Found by fuzzing the log scanner: a control character between the key and the value.
        let shown = excerpt("db password\u{7}: hunter2hunter2 ok", 100);
        assert!(!shown.contains("hunter2hunter2"), "{shown}");
        assert_eq!(
            redact_text(&shown),
            shown,
            "redacting what is shown changes nothing"
        );
    }

    #[test]
    fn excerpts_are_one_line_and_bounded() {
        assert_eq!(excerpt("a\tb\r\n", 10), "a b");
        assert_eq!(excerpt("ééééé", 3), "ééé…");
    }
}
