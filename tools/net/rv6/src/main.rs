//! `rv6`: the rv6 project's command line for its generic netlink families
//! (see rv6.8). The command line is the library's [`rv6::run`]; this is
//! its program.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(rv6::run(std::env::args().skip(1)))
}
