//! The RDS endpoint a setting's value names, in whatever form the app takes it: a URL
//! (`postgres://coder@db.abc.us-east-1.rds.amazonaws.com:5432/coder`), a JDBC URL
//! (`jdbc:postgresql://db...:5432/keycloak`), a key-value DSN (`host=db... port=5432`) or a bare
//! host (`GF_DATABASE_HOST=db...:5432`). RDS endpoints end in `.rds.amazonaws.com` (or
//! `.rds.amazonaws.com.cn` in China; RDS User Guide, "Connecting to a DB instance").

/// The endpoint's host and the port written with it (`:5432` after the host, or a DSN's
/// `port=`); `None` when the value names no RDS endpoint.
pub fn rds_endpoint(value: &str) -> Option<(String, Option<u16>)> {
    let lower = value.to_ascii_lowercase();
    let suffix = ".rds.amazonaws.com";
    let at = lower.find(suffix)?;
    let mut end = at + suffix.len();
    if lower[end..].starts_with(".cn") {
        end += ".cn".len();
    }
    let host_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let start = lower[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| !host_char(*c))
        .map(|(index, c)| index + c.len_utf8())
        .unwrap_or(0);
    let host = lower[start..end].to_string();
    if host.len() <= suffix.len() || host.starts_with('.') {
        return None;
    }
    let digits = |text: &str| -> Option<u16> {
        let number: String = text.chars().take_while(char::is_ascii_digit).collect();
        number.parse().ok()
    };
    let port = match lower[end..].strip_prefix(':') {
        Some(rest) => digits(rest),
        None => lower
            .find("port=")
            .and_then(|index| digits(&lower[index + "port=".len()..])),
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_an_app_takes_gives_its_host_and_port() {
        let host = "coder-postgres.cunxsqwqr7rg.us-east-1.rds.amazonaws.com";
        for (value, port) in [
            (
                format!("postgresql://coder:pw@{host}:5432/coder"),
                Some(5432),
            ),
            (
                format!("postgres://coder@{host}/coder?sslmode=require"),
                None,
            ),
            (
                format!("jdbc:postgresql://{host}:5433/keycloak"),
                Some(5433),
            ),
            (
                format!("host={host} port=5434 user=coder dbname=coder"),
                Some(5434),
            ),
            (format!("{host}:3306"), Some(3306)),
            (host.to_uppercase(), None),
            // The seed's malformed URL: the port written first is the one a client takes.
            (
                format!("postgresql://coder:pw@{host}:5432:5432/coder"),
                Some(5432),
            ),
        ] {
            assert_eq!(
                rds_endpoint(&value),
                Some((host.to_string(), port)),
                "{value}"
            );
        }
        assert_eq!(
            rds_endpoint("mysql://u@db.abc.cn-north-1.rds.amazonaws.com.cn:3306/x"),
            Some((
                "db.abc.cn-north-1.rds.amazonaws.com.cn".to_string(),
                Some(3306)
            ))
        );
        assert_eq!(rds_endpoint("postgres://u@db.internal:5432/x"), None);
        assert_eq!(rds_endpoint(".rds.amazonaws.com"), None);
    }
}
