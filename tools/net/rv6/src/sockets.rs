//! The sockets of one run: one command, or every line of a batch
//! (`rv6 -batch FILE`). Each kind is opened the first time a command asks
//! for it, in the namespace `-n` entered before, and then kept: a batch of
//! 10^4 `xfrm migrate` lines sends its requests through one XFRM socket,
//! and its generic netlink commands through one socket that resolves each
//! family once. A command that needs neither (a `help` line) opens none.
//!
//! PF_KEY is not kept: `rv6 xfrm pfkey migrate` learns of its success from
//! the kernel's announcement to every PF_KEY socket, which a socket of its
//! own, opened just before its request, cannot confuse with an earlier
//! one's.

use crate::error::Error;
use crate::genl;
use crate::xfrm::socket::XfrmSocket;

/// The generic netlink and NETLINK_XFRM sockets, each opened on first use.
#[derive(Default)]
pub struct Sockets {
    genl: Option<genl::Socket>,
    xfrm: Option<XfrmSocket>,
    /// For the tests: how many sockets of each kind were opened,
    /// (generic, XFRM).
    #[cfg(test)]
    opened: (u32, u32),
}

impl Sockets {
    /// No socket yet.
    pub fn new() -> Self {
        Sockets::default()
    }

    /// The generic netlink socket, opened now if it is not yet.
    pub fn genl(&mut self) -> Result<&mut genl::Socket, Error> {
        let sock = match self.genl.take() {
            Some(s) => s,
            None => {
                let s = genl::Socket::open()?;
                #[cfg(test)]
                {
                    self.opened.0 += 1;
                }
                s
            }
        };
        Ok(self.genl.insert(sock))
    }

    /// The NETLINK_XFRM socket, opened now if it is not yet.
    pub fn xfrm(&mut self) -> Result<&mut XfrmSocket, Error> {
        let sock = match self.xfrm.take() {
            Some(s) => s,
            None => {
                let s = XfrmSocket::open()?;
                #[cfg(test)]
                {
                    self.opened.1 += 1;
                }
                s
            }
        };
        Ok(self.xfrm.insert(sock))
    }

    /// How many generic netlink and XFRM sockets this run opened.
    #[cfg(test)]
    pub fn opened(&self) -> (u32, u32) {
        self.opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket is opened once, on first use, and then handed out again.
    #[test]
    fn each_socket_is_opened_once_and_only_when_asked_for() {
        let mut s = Sockets::new();
        assert_eq!(s.opened(), (0, 0));
        if s.xfrm().is_err() {
            eprintln!("skipped: no XFRM netlink socket here");
            return;
        }
        s.xfrm().unwrap();
        assert_eq!(s.opened(), (0, 1));
        if s.genl().is_err() {
            eprintln!("skipped: no generic netlink socket here");
            return;
        }
        s.genl().unwrap();
        s.xfrm().unwrap();
        assert_eq!(s.opened(), (1, 1));
    }
}
