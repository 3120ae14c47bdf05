//! `-n NETNS`: enter `/run/netns/NETNS` as `ip -n` does, before the netlink
//! socket opens (a socket stays in the namespace it was created in). The
//! process is single-threaded and setns(2) applies to the calling thread.
//! Unlike ip, this does not remount /sys: rv6 reads nothing there.

use std::{fs::File, io, path::Path};

use nix::sched::{setns, CloneFlags};

use crate::error::Error;

/// Where `ip netns add` puts its namespace files.
pub const NETNS_RUN_DIR: &str = "/run/netns";

pub fn enter(name: &str) -> Result<(), Error> {
    let path = Path::new(NETNS_RUN_DIR).join(name);
    let file = File::open(&path).map_err(|err| Error::Netns {
        name: name.to_string(),
        opening: true,
        err,
    })?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(|errno| Error::Netns {
        name: name.to_string(),
        opening: false,
        err: io::Error::from_raw_os_error(errno as i32),
    })?;
    Ok(())
}
