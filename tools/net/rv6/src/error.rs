//! Errors after the command line parsed: all exit with status 1 and print
//! `Error: <this>` on stderr.

use std::{
    fmt,
    io,
    sync::Arc, //
};

use crate::genl::KernelError;

#[derive(Debug)]
pub enum Error {
    /// The kernel refused the request (NLMSG_ERROR, or a dump's DONE with an
    /// error), with what its extended ack said.
    Kernel(KernelError),
    /// nlctrl does not know the family.
    FamilyNotFound {
        family: &'static str,
        module: Option<&'static str>,
    },
    /// `-n NETNS` could not be entered.
    Netns {
        name: String,
        opening: bool,
        err: io::Error,
    },
    /// Joining a family's multicast group failed (NETLINK_ADD_MEMBERSHIP).
    Join {
        family: &'static str,
        group: String,
        err: Arc<io::Error>,
    },
    /// `rv6 monitor all` found none of the families registered: the
    /// modules that would register them.
    NothingToMonitor { modules: Vec<&'static str> },
    /// Writing to stdout failed (but for a closed pipe, which ends quietly).
    Output(io::Error),
    /// `-batch FILE` could not be opened (`opening`) or read.
    Batch {
        file: String,
        opening: bool,
        err: io::Error,
    },
    /// The socket, or a message that does not parse.
    Netlink(String),
    /// A file a command reads or writes (`rv6 shim6 cga generate ... out
    /// FILE`): what it was doing (`open`, `create`, ...) and why it failed.
    File {
        file: String,
        doing: &'static str,
        err: io::Error,
    },
    /// A command that works on this host alone found what it was given
    /// wrong (`rv6 shim6 cga verify`: not a CGA), or could not do it.
    Refused(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Kernel(e) => e.fmt(f),
            Error::FamilyNotFound {
                family,
                module: Some(m),
            } => write!(f, "{family}: family not found (is {m} loaded?)"),
            Error::FamilyNotFound { family, .. } => write!(f, "{family}: family not found"),
            Error::Netns {
                name,
                opening: true,
                err,
            } => write!(
                f,
                "cannot open network namespace \"{name}\": {}",
                io_strerror(err)
            ),
            Error::Netns { name, err, .. } => write!(
                f,
                "setting the network namespace \"{name}\" failed: {}",
                io_strerror(err)
            ),
            Error::Join { family, group, err } => write!(
                f,
                "{family}: cannot join multicast group \"{group}\": {}",
                io_strerror(err)
            ),
            Error::NothingToMonitor { modules } if modules.is_empty() => {
                write!(f, "no family to monitor is registered")
            }
            Error::NothingToMonitor { modules } => write!(
                f,
                "no family to monitor is registered (is {} loaded?)",
                modules.join(" or ")
            ),
            Error::Output(e) => write!(f, "writing the output: {e}"),
            Error::Batch {
                file,
                opening: true,
                err,
            } => write!(
                f,
                "cannot open file \"{file}\" for reading: {}",
                io_strerror(err)
            ),
            Error::Batch { file, err, .. } => {
                write!(f, "cannot read file \"{file}\": {}", io_strerror(err))
            }
            Error::Netlink(s) => write!(f, "netlink: {s}"),
            Error::File { file, doing, err } => {
                write!(f, "cannot {doing} file \"{file}\": {}", io_strerror(err))
            }
            Error::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

/// Wraps any neli (or other) failure that is not the kernel's answer.
pub fn netlink<E: fmt::Display>(e: E) -> Error {
    Error::Netlink(e.to_string())
}

/// strerror(errno), without Rust's " (os error N)" suffix.
pub fn strerror(errno: i32) -> String {
    let s = io::Error::from_raw_os_error(errno).to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn io_strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => strerror(n),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(strerror(libc::EPERM), "Operation not permitted");
        assert_eq!(
            Error::FamilyNotFound {
                family: "rv6-nf-count",
                module: Some("rv6_nf_count")
            }
            .to_string(),
            "rv6-nf-count: family not found (is rv6_nf_count loaded?)"
        );
        assert_eq!(
            Error::Netns {
                name: "blue".into(),
                opening: true,
                err: io::Error::from_raw_os_error(libc::ENOENT)
            }
            .to_string(),
            "cannot open network namespace \"blue\": No such file or directory"
        );
        assert_eq!(
            Error::Join {
                family: "rv6-genl-test",
                group: "monitor".into(),
                err: Arc::new(io::Error::from_raw_os_error(libc::EPERM))
            }
            .to_string(),
            "rv6-genl-test: cannot join multicast group \"monitor\": Operation not permitted"
        );
        assert_eq!(
            Error::Batch {
                file: "cmds".into(),
                opening: true,
                err: io::Error::from_raw_os_error(libc::ENOENT)
            }
            .to_string(),
            "cannot open file \"cmds\" for reading: No such file or directory"
        );
        assert_eq!(
            Error::Batch {
                file: "-".into(),
                opening: false,
                err: io::Error::new(io::ErrorKind::InvalidData, "not UTF-8")
            }
            .to_string(),
            "cannot read file \"-\": not UTF-8"
        );
        assert_eq!(
            Error::File {
                file: "set.cga".into(),
                doing: "create",
                err: io::Error::from_raw_os_error(libc::EEXIST)
            }
            .to_string(),
            "cannot create file \"set.cga\": File exists"
        );
        assert_eq!(
            Error::NothingToMonitor {
                modules: vec!["rv6_a", "rv6_b"]
            }
            .to_string(),
            "no family to monitor is registered (is rv6_a or rv6_b loaded?)"
        );
    }
}
