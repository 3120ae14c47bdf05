//! Errors after the command line parsed: all exit with status 1 and print
//! `Error: <this>` on stderr.

use std::{fmt, io};

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
    /// The socket, or a message that does not parse.
    Netlink(String),
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
            Error::Netlink(s) => write!(f, "netlink: {s}"),
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
    }
}
