//! `rv6`: the rv6 project's command line for its generic netlink families,
//! in iproute2's grammar and habits (see rv6.8):
//!
//! ```text
//! rv6 [ OPTIONS ] OBJECT { COMMAND | help }
//! rv6 [ OPTIONS ] monitor [ all | FAMILY ... ]
//! rv6 [ OPTIONS ] -batch FILE
//! ```
//!
//! Exit status: 0 on success, 1 when the kernel (or the namespace, or the
//! socket) refused, 2 for a usage error. Layers: `cli` parses,
//! `objects` holds one module per object, `monitor` listens to
//! notifications, `batch` runs the lines of a file, `sockets` opens
//! the sockets of a run once, [`genl`] talks generic netlink through neli,
//! [`output`] prints text or JSON, [`spec`] mirrors the YAML specs;
//! `xfrm` speaks XFRM netlink and PF_KEY for the `xfrm` object, which
//! needs no rv6 module.
//!
//! The crate is a library too, for the project's other tools (`shim6d`
//! drives the rv6-shim6 family): [`genl`] (the socket, do and dump
//! requests, multicast groups, kernel errors with their extack) and
//! [`spec`] (the tables generated from the specs, e.g.
//! `spec::specs::rv6_shim6::CMD_CONTEXT_ADD`) are public, with the
//! [`error`] and [`output`] types they use; the command line itself is
//! [`run`], which the binary (`src/main.rs`) calls.

mod batch;
mod cli;
pub mod error;
pub mod genl;
mod monitor;
mod netns;
mod objects;
pub mod output;
mod sockets;
pub mod spec;
mod xfrm;

use std::io::{
    self,
    Write, //
};

pub use cli::UsageError;
use cli::{
    Invocation,
    Options, //
};
use error::Error;
use output::Output;
use sockets::Sockets;

/// Runs the command line `argv` (the arguments after the program's name)
/// and returns the exit status.
pub fn run(argv: impl Iterator<Item = String>) -> u8 {
    match cli::parse(argv) {
        Err(e) => {
            eprintln!("{e}");
            2
        }
        Ok(Invocation::Version) => {
            print(&format!("rv6 utility, rv6-{}\n", env!("CARGO_PKG_VERSION")))
        }
        Ok(Invocation::Help(text)) => print(&text),
        Ok(Invocation::Run { options, action }) => {
            let format = options.format();
            let run = |()| match action.listener() {
                Some(listener) => listener
                    .listen(format, &mut io::stdout())
                    .map(|()| Output::Nothing),
                None => action.run(&mut Sockets::new()),
            };
            match enter(&options).and_then(run) {
                Ok(out) => print(&output::render(&out, format)),
                Err(e) => fail(e),
            }
        }
        Ok(Invocation::Monitor { options, monitor }) => {
            let listen = |()| {
                let mut sock = genl::Socket::open()?;
                monitor.run(&mut sock, options.format(), &mut io::stdout())
            };
            match enter(&options).and_then(listen) {
                Ok(()) => 0,
                Err(e) => fail(e),
            }
        }
        Ok(Invocation::Batch {
            options,
            file,
            force,
        }) => batch::main(&file, &options, force),
    }
}

/// `-n`'s namespace, if given, entered before any socket is opened.
fn enter(options: &Options) -> Result<(), Error> {
    match &options.netns {
        Some(ns) => netns::enter(ns),
        None => Ok(()),
    }
}

/// `Error: ...` on stderr; exit status 1.
fn fail(e: Error) -> u8 {
    eprintln!("Error: {e}");
    1
}

/// Writes to stdout; a closed pipe (`rv6 ... | head -0`) is not a panic.
fn print(text: &str) -> u8 {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("Error: writing the output: {e}");
            1
        }
    }
}
