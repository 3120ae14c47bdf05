//! shim6d's program: the command line, the sockets and the event loop (the
//! library's documentation says what the daemon does).  One thread, one
//! poll(2) over the raw socket, the rv6-shim6 events socket and a signalfd
//! for SIGINT and SIGTERM, whose timeout is the contexts' earliest
//! deadline; each wake-up feeds the engine and carries out what it answers.

use std::fmt::Write as _;
use std::net::Ipv6Addr;
use std::os::fd::{
    AsFd,
    BorrowedFd, //
};
use std::process::ExitCode;
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{
    poll,
    PollFd,
    PollFlags,
    PollTimeout, //
};
use nix::sys::signal::{
    SigSet,
    Signal, //
};
use nix::sys::signalfd::{
    SfdFlags,
    SignalFd, //
};
use shim6d::args::{
    self,
    Invocation,
    USAGE, //
};
use shim6d::engine::{
    Config,
    Engine,
    Input,
    OsEntropy,
    Output, //
};
use shim6d::kernel::{
    self,
    Kernel,
    KernelEvent, //
};
use shim6d::log::Log;
use shim6d::raw::RawSocket;

const HELP: &str = "
Sets up Shim6 (RFC 5533) contexts with the daemons of other hosts for the
rv6_shim6 module of the network namespace it runs in (ip netns exec NS
shim6d ...): a trigger event of the module starts the four-way exchange,
an exchange another host starts is answered, and an established context
is installed in the kernel.  A payload packet whose tag the module does
not know (an unknown-tag event: this host lost the context) is answered
with an R1bis, and the peer's I2bis re-creates the context (RFC 5533 §7.4).  SIGINT or SIGTERM removes them and stops.

  --locators ADDR[,ADDR...]  this host's locators (at most 8)
  --ulid ADDR                this host's ULID, one of them (the first)
  --log FILE                 append the log to FILE (stderr)
  -v, --verbose              log each message's bytes and every event
";

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Err(e) => {
            eprintln!("shim6d: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
        Ok(Invocation::Help) => {
            print!("{USAGE}\n{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Version) => {
            println!("shim6d, rv6-{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Run(a)) => a,
    };
    let config = match Config::new(args.locators.clone(), args.ulid) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("shim6d: {e}");
            return ExitCode::from(2);
        }
    };
    let mut log = match &args.log {
        None => Log::stderr(args.verbose),
        Some(path) => match Log::file(path, args.verbose) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("shim6d: cannot open the log {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
    };
    match run(config, &mut log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log.line(format_args!("stopped: {e}"));
            if args.log.is_some() {
                eprintln!("shim6d: {e}");
            }
            ExitCode::from(1)
        }
    }
}

fn addrs(list: &[[u8; 16]]) -> String {
    let words: Vec<String> = list
        .iter()
        .map(|a| Ipv6Addr::from(*a).to_string())
        .collect();
    words.join(",")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Carries out what the engine answered: the log lines, then the kernel
/// requests (a context is in the kernel before the message that lets the
/// peer use it leaves), then the messages.
fn carry_out(out: Output, raw: &RawSocket, kernel: &mut Kernel, log: &mut Log) {
    for n in &out.notes {
        log.line(n);
    }
    for r in &out.kernel {
        match kernel.apply(r) {
            Ok(()) => log.line(format_args!("kernel: {}", kernel::describe(r))),
            Err(e) => log.line(format_args!("kernel refused {}: {e}", kernel::describe(r))),
        }
    }
    for s in &out.context_set {
        log.line(format_args!(
            "not sent to the kernel (no context-set yet): {s}"
        ));
    }
    for p in &out.packets {
        if log.verbose() {
            log.line(format_args!("bytes out {}", hex(&p.bytes)));
        }
        if let Err(e) = raw.send(p.src, p.dst, &p.bytes) {
            log.line(format_args!(
                "sending to {} failed: {e}",
                Ipv6Addr::from(p.dst)
            ));
        }
    }
}

fn run(config: Config, log: &mut Log) -> Result<(), String> {
    // SIGINT and SIGTERM are read from a signalfd in the loop: blocked
    // before anything else, so none is lost in between.
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGINT);
    mask.add(Signal::SIGTERM);
    mask.thread_block()
        .map_err(|e| format!("blocking SIGINT and SIGTERM: {e}"))?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| format!("signalfd: {e}"))?;
    let mut kernel = Kernel::open().map_err(|e| e.to_string())?;
    let raw = RawSocket::open().map_err(|e| format!("the raw socket for next header 140: {e}"))?;
    let start = Instant::now();
    let clock = || u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let mut engine = Engine::new(config, Box::new(OsEntropy), clock());
    log.line(format_args!(
        "ready: ULID {} locators {} (events joined, raw socket open)",
        Ipv6Addr::from(engine.config().ulid),
        addrs(&engine.config().locators)
    ));
    let mut buf = vec![0u8; 65536];
    loop {
        let timeout = match engine.deadline() {
            None => PollTimeout::NONE,
            Some(d) => {
                let ms = d.saturating_sub(clock()).div_ceil(1_000_000);
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
            }
        };
        let (raw_ready, events_ready, signalled) = {
            // SAFETY: the descriptor of `kernel`'s events socket, which
            // `kernel` owns and keeps open for as long as this borrow (the
            // poll call) lasts.  neli gives it only as a RawFd.
            let events_fd = unsafe { BorrowedFd::borrow_raw(kernel.events_fd()) };
            let mut fds = [
                PollFd::new(raw.as_fd(), PollFlags::POLLIN),
                PollFd::new(events_fd, PollFlags::POLLIN),
                PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(format!("poll: {e}")),
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (ready(&fds[0]), ready(&fds[1]), ready(&fds[2]))
        };
        if signalled {
            let signal = signals
                .read_signal()
                .ok()
                .flatten()
                .and_then(|s| Signal::try_from(s.ssi_signo as i32).ok())
                .map_or("a signal", Signal::as_str);
            log.line(format_args!(
                "{signal}: removing the contexts from the kernel"
            ));
            carry_out(engine.shutdown(), &raw, &mut kernel, log);
            log.line("stopped");
            return Ok(());
        }
        if raw_ready {
            loop {
                match raw.recv(&mut buf) {
                    Ok(Some(r)) => {
                        if log.verbose() {
                            log.line(format_args!("bytes in {}", hex(&buf[..r.len])));
                        }
                        let input = Input::Packet {
                            src: r.src,
                            dst: r.dst,
                            bytes: &buf[..r.len],
                        };
                        let out = engine.handle(input, clock());
                        carry_out(out, &raw, &mut kernel, log);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        log.line(format_args!("raw socket: {e}"));
                        break;
                    }
                }
            }
        }
        if events_ready {
            match kernel.events() {
                Ok(events) => {
                    for e in events {
                        match e {
                            KernelEvent::Trigger(pair) => {
                                let out = engine.handle(Input::Trigger(pair), clock());
                                carry_out(out, &raw, &mut kernel, log);
                            }
                            KernelEvent::UnknownTag { tag, local, peer } => {
                                let input = Input::UnknownTag { tag, local, peer };
                                let out = engine.handle(input, clock());
                                carry_out(out, &raw, &mut kernel, log);
                            }
                            KernelEvent::Other(name) => {
                                log.detail(format_args!("event {name}: for a later shim6d"))
                            }
                        }
                    }
                }
                Err(e) => log.line(format_args!("events: {e}")),
            }
        }
        let out = engine.handle(Input::Tick, clock());
        carry_out(out, &raw, &mut kernel, log);
    }
}
