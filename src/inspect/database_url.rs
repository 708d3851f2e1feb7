//! A database URL inspector that finds the mistakes people make in connection settings.
//!
//! It does not aim to be a full RFC 3986 parser: it splits the URL the way a human meant it
//! (the password runs to the LAST `@`, because generated passwords contain `@`, `/` and `#`)
//! and then reports what a strict parser such as Go's `net/url` (used by Coder via lib/pq)
//! would trip over. See coder/coder#16319 and #15954 for the misleading errors that follow.

use crate::redact::MASK;
use std::fmt;

/// One thing wrong with a database URL. None of the variants carries the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// Leading/trailing spaces or quotes were copied into the value.
    SurroundingQuotesOrSpaces,
    /// No `scheme://` and not a `key=value` connection string.
    NotAUrl,
    UnknownScheme {
        scheme: String,
        expected: Vec<String>,
    },
    MissingHost,
    /// `host:5432:5432`.
    DuplicatePort {
        host: String,
    },
    NonNumericPort {
        port: String,
    },
    PortOutOfRange {
        port: String,
    },
    /// Reserved characters left unencoded in the password (only the characters are named).
    UnencodedPasswordCharacters {
        characters: Vec<char>,
    },
    /// A `%` not followed by two hex digits in the user or password.
    InvalidPercentEncoding,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::SurroundingQuotesOrSpaces => {
                f.write_str("the value starts or ends with a quote or a space")
            }
            UrlProblem::NotAUrl => f.write_str(
                "the value is not a URL (expected scheme://user:password@host:port/database)",
            ),
            UrlProblem::UnknownScheme { scheme, expected } => write!(
                f,
                "unknown scheme {scheme:?} (expected {})",
                expected
                    .iter()
                    .map(|s| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            UrlProblem::MissingHost => f.write_str("the URL names no host"),
            UrlProblem::DuplicatePort { host } => write!(
                f,
                "the port appears twice in {host:?}; the lookup of that host name will fail"
            ),
            UrlProblem::NonNumericPort { port } => write!(f, "the port {port:?} is not a number"),
            UrlProblem::PortOutOfRange { port } => {
                write!(f, "the port {port} is outside 1-65535")
            }
            UrlProblem::UnencodedPasswordCharacters { characters } => write!(
                f,
                "the password contains {} unencoded; percent-encode it ({})",
                characters
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                characters
                    .iter()
                    .map(|c| format!("'{c}' as {}", percent(*c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            UrlProblem::InvalidPercentEncoding => {
                f.write_str("the user or password has a '%' that is not followed by two hex digits")
            }
        }
    }
}

impl UrlProblem {
    /// What is wrong, without any part of the value (for values that must not be shown,
    /// such as those of an environment file).
    pub fn kind(&self) -> &'static str {
        match self {
            UrlProblem::SurroundingQuotesOrSpaces => {
                "the value starts or ends with a quote or a space"
            }
            UrlProblem::NotAUrl => "the value is not a URL",
            UrlProblem::UnknownScheme { .. } => "the URL's scheme is not one the app accepts",
            UrlProblem::MissingHost => "the URL names no host",
            UrlProblem::DuplicatePort { .. } => {
                "the port appears twice; the lookup of that host name will fail"
            }
            UrlProblem::NonNumericPort { .. } => "the port is not a number",
            UrlProblem::PortOutOfRange { .. } => "the port is outside 1-65535",
            UrlProblem::UnencodedPasswordCharacters { .. } => {
                "the password contains reserved characters that are not percent-encoded"
            }
            UrlProblem::InvalidPercentEncoding => {
                "the user or password has a '%' that is not followed by two hex digits"
            }
        }
    }
}

fn percent(c: char) -> String {
    let mut buffer = [0u8; 4];
    c.encode_utf8(&mut buffer)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

/// What the inspector saw in a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlInspection {
    pub problems: Vec<UrlProblem>,
    /// A password is present (URL userinfo or `password=` in a key=value string or query).
    pub has_password: bool,
    /// The value with any password replaced by `****`.
    pub redacted: String,
    /// `host:port` (or `host`) as written, for alerts.
    pub host: Option<String>,
}

/// Characters that end the userinfo (or break it) when left raw in a password.
const RESERVED_IN_PASSWORD: [char; 5] = ['@', '/', '?', '#', ' '];

/// Inspects `value` as a database connection setting.
/// `schemes` are the accepted URL schemes (lower case); empty accepts any.
pub fn inspect(value: &str, schemes: &[String], key_value_dsn: bool) -> UrlInspection {
    let mut problems = Vec::new();
    let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'');
    if trimmed.len() != value.len() {
        problems.push(UrlProblem::SurroundingQuotesOrSpaces);
    }

    let Some((scheme, rest)) = trimmed.split_once("://") else {
        if key_value_dsn && looks_like_key_value(trimmed) {
            let has_password = key_value_password(trimmed);
            return UrlInspection {
                problems,
                has_password,
                redacted: crate::redact::redact_text(trimmed).into_owned(),
                host: key_value(trimmed, "host").map(str::to_string),
            };
        }
        problems.push(UrlProblem::NotAUrl);
        return UrlInspection {
            problems,
            has_password: false,
            redacted: crate::redact::redact_text(trimmed).into_owned(),
            host: None,
        };
    };

    let scheme_lower = scheme.to_ascii_lowercase();
    let scheme_valid = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | ':'));
    if !scheme_valid || (!schemes.is_empty() && !schemes.contains(&scheme_lower)) {
        problems.push(UrlProblem::UnknownScheme {
            scheme: crate::redact::truncate_chars(scheme, 40),
            expected: schemes.to_vec(),
        });
    }

    // Userinfo runs to the last '@' (see the module comment).
    let (userinfo, after_userinfo) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((user, password)) => (Some(user), Some(password)),
            None => (Some(info), None),
        },
        None => (None, None),
    };
    if let Some(password) = password {
        let mut characters: Vec<char> = RESERVED_IN_PASSWORD
            .into_iter()
            .filter(|reserved| password.contains(*reserved))
            .collect();
        characters.dedup();
        if !characters.is_empty() {
            problems.push(UrlProblem::UnencodedPasswordCharacters { characters });
        }
    }
    if [user, password]
        .into_iter()
        .flatten()
        .any(|part| !percent_encoding_valid(part))
    {
        problems.push(UrlProblem::InvalidPercentEncoding);
    }

    let authority_end = after_userinfo
        .find(['/', '?', '#'])
        .unwrap_or(after_userinfo.len());
    let authority = &after_userinfo[..authority_end];
    let query = after_userinfo[authority_end..]
        .split_once('?')
        .map(|(_, query)| query);
    if authority.is_empty() {
        problems.push(UrlProblem::MissingHost);
    }
    for host in authority.split(',').filter(|host| !host.is_empty()) {
        check_host_port(host, &mut problems);
    }

    let has_password = password.is_some_and(|p| !p.is_empty())
        || query.is_some_and(|q| {
            q.split('&')
                .any(|pair| pair.to_ascii_lowercase().starts_with("password="))
        });
    let redacted = match (userinfo, password) {
        (Some(_), Some(_)) => format!(
            "{scheme}://{}:{MASK}@{}",
            user.unwrap_or_default(),
            crate::redact::redact_text(after_userinfo)
        ),
        _ => crate::redact::redact_text(trimmed).into_owned(),
    };
    UrlInspection {
        problems,
        has_password,
        redacted,
        host: (!authority.is_empty()).then(|| authority.to_string()),
    }
}

fn check_host_port(host: &str, problems: &mut Vec<UrlProblem>) {
    let port_part = if let Some(bracketed) = host.strip_prefix('[') {
        // [v6]:port
        match bracketed.split_once(']') {
            Some((_, rest)) => rest.strip_prefix(':'),
            None => None,
        }
    } else {
        let mut parts = host.splitn(2, ':');
        let name = parts.next().unwrap_or_default();
        if name.is_empty() {
            problems.push(UrlProblem::MissingHost);
        }
        parts.next()
    };
    let Some(port) = port_part else { return };
    if port.contains(':') {
        problems.push(UrlProblem::DuplicatePort {
            host: host.to_string(),
        });
        return;
    }
    if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
        problems.push(UrlProblem::NonNumericPort {
            port: crate::redact::truncate_chars(port, 20),
        });
        return;
    }
    match port.parse::<u32>() {
        Ok(1..=65535) => {}
        _ => problems.push(UrlProblem::PortOutOfRange {
            port: crate::redact::truncate_chars(port, 20),
        }),
    }
}

fn percent_encoding_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(index, byte)| {
        *byte != b'%'
            || (bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

fn looks_like_key_value(value: &str) -> bool {
    let mut pairs = value.split_whitespace();
    pairs.next().is_some_and(|first| {
        first.split_once('=').is_some_and(|(key, _)| {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

fn key_value<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    value.split_whitespace().find_map(|pair| {
        pair.split_once('=')
            .filter(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
            .map(|(_, v)| v.trim_matches('\''))
    })
}

fn key_value_password(value: &str) -> bool {
    key_value(value, "password").is_some()
}

/// True when a value looks like a database URL or DSN that carries a password; used to spot
/// credentials in plain environment variables of any container.
pub fn database_url_with_password(value: &str) -> bool {
    let trimmed = value.trim();
    let lower_prefix: String = trimmed
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    const DATABASE_SCHEMES: [&str; 12] = [
        "postgres://",
        "postgresql://",
        "mysql://",
        "mariadb://",
        "mongodb://",
        "mongodb+srv://",
        "redis://",
        "rediss://",
        "sqlserver://",
        "mssql://",
        "jdbc:",
        "oracle://",
    ];
    if DATABASE_SCHEMES
        .iter()
        .any(|scheme| lower_prefix.starts_with(scheme))
    {
        // jdbc:postgresql://host/db?user=u&password=p
        let url = trimmed.strip_prefix("jdbc:").unwrap_or(trimmed);
        return inspect(url, &[], false).has_password || crate::redact::redact_text(url) != url;
    }
    looks_like_key_value(trimmed)
        && key_value(trimmed, "host").is_some()
        && key_value_password(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postgres() -> Vec<String> {
        vec!["postgres".to_string(), "postgresql".to_string()]
    }

    fn problems(value: &str) -> Vec<UrlProblem> {
        inspect(value, &postgres(), true).problems
    }

    #[test]
    fn a_correct_url_has_no_problems() {
        let seed = "postgresql://coder:xR7pf7MPgZyIChIXWqwO3srnp0GflgHwG7dMC7gvdHI=@coder-postgres.cunxsqwqr7rg.us-east-1.rds.amazonaws.com:5432/coder";
        let inspection = inspect(seed, &postgres(), true);
        assert_eq!(inspection.problems, vec![]);
        assert!(inspection.has_password);
        assert!(!inspection.redacted.contains("xR7pf7"));
        assert_eq!(
            inspection.host.as_deref(),
            Some("coder-postgres.cunxsqwqr7rg.us-east-1.rds.amazonaws.com:5432")
        );
        assert_eq!(
            problems("postgres://coder@db:5432/coder?sslmode=require"),
            vec![]
        );
        assert_eq!(problems("postgres://u:p%23ss@[::1]:5432/db"), vec![]);
        assert_eq!(problems("postgres://u:p@h1:5432,h2:5433/db"), vec![]);
    }

    #[test]
    fn the_seeds_duplicate_port_is_caught() {
        assert_eq!(
            problems("postgresql://coder:pw@coder-postgres.example.com:5432:5432/coder"),
            vec![UrlProblem::DuplicatePort {
                host: "coder-postgres.example.com:5432:5432".to_string()
            }]
        );
    }

    #[test]
    fn ports_must_be_numbers_in_range() {
        assert_eq!(
            problems("postgres://u:p@db:port/x"),
            vec![UrlProblem::NonNumericPort {
                port: "port".to_string()
            }]
        );
        assert_eq!(
            problems("postgres://u:p@db:99999/x"),
            vec![UrlProblem::PortOutOfRange {
                port: "99999".to_string()
            }]
        );
        assert_eq!(
            problems("postgres://u:p@db:/x"),
            vec![UrlProblem::NonNumericPort {
                port: String::new()
            }]
        );
    }

    #[test]
    fn unencoded_reserved_characters_in_the_password_are_named_not_shown() {
        let inspection = inspect("postgres://coder:ab#c/d@db:5432/coder", &postgres(), true);
        assert_eq!(
            inspection.problems,
            vec![UrlProblem::UnencodedPasswordCharacters {
                characters: vec!['/', '#']
            }]
        );
        let message = inspection.problems[0].to_string();
        assert!(message.contains("'#' as %23"), "{message}");
        assert!(!message.contains("ab#c"));
        assert_eq!(inspection.redacted, "postgres://coder:****@db:5432/coder");
        assert_eq!(
            problems("postgres://u:50%off@db/x"),
            vec![UrlProblem::InvalidPercentEncoding]
        );
    }

    #[test]
    fn wrong_schemes_and_non_urls() {
        assert_eq!(
            problems("mysql://u:p@db:3306/x"),
            vec![UrlProblem::UnknownScheme {
                scheme: "mysql".to_string(),
                expected: postgres()
            }]
        );
        assert!(matches!(
            problems("jdbc:postgresql://db/x")[0],
            UrlProblem::UnknownScheme { .. }
        ));
        assert_eq!(
            problems("coder-postgres.example.com:5432"),
            vec![UrlProblem::NotAUrl]
        );
        assert_eq!(problems("postgres:///coder"), vec![UrlProblem::MissingHost]);
        assert_eq!(
            problems("\"postgres://u:p@db/x\""),
            vec![UrlProblem::SurroundingQuotesOrSpaces]
        );
    }

    #[test]
    fn key_value_connection_strings_are_accepted_when_the_app_takes_them() {
        let inspection = inspect(
            "host=db port=5432 user=coder password=s3cret dbname=coder",
            &postgres(),
            true,
        );
        assert_eq!(inspection.problems, vec![]);
        assert!(inspection.has_password);
        assert!(!inspection.redacted.contains("s3cret"));
        assert_eq!(
            inspect("host=db user=coder", &postgres(), false).problems,
            vec![UrlProblem::NotAUrl]
        );
    }

    #[test]
    fn spots_database_urls_with_passwords_in_any_setting() {
        assert!(database_url_with_password("postgres://u:p@db/x"));
        assert!(database_url_with_password(
            "mongodb+srv://u:p@cluster0.example.net/x"
        ));
        assert!(database_url_with_password(
            "jdbc:postgresql://db/x?user=u&password=p"
        ));
        assert!(database_url_with_password("host=db user=u password=p"));
        assert!(!database_url_with_password("postgres://u@db/x"));
        assert!(!database_url_with_password("https://user:pw@example.com"));
        assert!(!database_url_with_password("0.0.0.0:3000"));
    }
}
