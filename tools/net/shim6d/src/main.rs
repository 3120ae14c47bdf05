//! shim6d's program: the command line, the sockets and the event loop (the
//! library's documentation says what the daemon does).  One thread, one
//! poll(2) over the raw socket, the rv6-shim6 events socket, the rtnetlink
//! address notifications and a signalfd for SIGINT and SIGTERM, whose
//! timeout is the contexts' earliest deadline; each wake-up feeds the
//! engine and carries out what it answers, and ends with the round's
//! locator change, if the addresses changed the locators.

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
    Args,
    Invocation,
    USAGE, //
};
use shim6d::binding::{
    Binding,
    Kind, //
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
use shim6d::locators::{
    self,
    AddressEvent,
    Discovery,
    Selection,
    Universe, //
};
use shim6d::log::Log;
use shim6d::raw::RawSocket;
use shim6d::rtnl::AddressWatch;

const HELP: &str = "
Sets up Shim6 (RFC 5533) contexts with the daemons of other hosts for the
rv6_shim6 module of the network namespace it runs in (ip netns exec NS
shim6d ...): a trigger event of the module starts the four-way exchange,
an exchange another host starts is answered, and an established context
is installed in the kernel.  A payload packet whose tag the module does
not know (an unknown-tag event: this host lost the context) is answered
with an R1bis, and the peer's I2bis re-creates the context (RFC 5533
§7.4).  When this host's locators change (rtnetlink tells of its
addresses), each peer is sent an Update Request and each context in the
kernel gets the new set; a peer's Update Request changes its locators in
the kernel (RFC 5533 §10).  REAP (RFC 5534) watches each context: the
kernel says when a Keepalive is due, which goes on the current pair, and
when payload went unanswered for the Send Timeout; then Probes go to each
locator pair in turn until one is known to work both ways, which becomes
the kernel's current pair.  SIGINT or SIGTERM removes the contexts and
stops.

  --locators ADDR[,ADDR...]  the locators, each while this host has it
                             (usable: global, DAD done, not deprecated);
                             without it, every global address of the host
                             but temporary ones, at most 8
  --ulid ADDR                this host's ULID: one of --locators (the
                             first), or the lowest global address
  --preference ADDR=[PRIO[,WEIGHT]][,FLAG...]
                             ADDR's Locator Preference for the peers:
                             priority and weight 0-255 (lower priorities
                             first), FLAG broken or temporary; the kernel's
                             current pair leaves a broken locator
  --hba FILE                 this host's HBA set (RFC 5535), as rv6 shim6 hba
                             generate ... out FILE writes it: the ULID and the
                             locators are its addresses (with a key, others
                             too, signed); the peers' locators are verified
  --cga FILE                 this host's CGA (RFC 3972) and its key: the ULID
                             is the CGA, the locators are signed
  --key FILE                 the private key of --hba or --cga when FILE has
                             none (the key rv6 shim6 ... generate key read)
  --send-timeout SECS        REAP's Send Timeout (RFC 5534, 15 by default):
                             payload unanswered this long starts exploring
                             the other locator pairs; told to the peers in
                             a Keepalive Timeout option
  --log FILE                 append the log to FILE (stderr)
  -v, --verbose              log each message's bytes, every event and
                             every address rtnetlink tells
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
    // The HBA set or CGA is read, and locators given on the command line
    // checked, before anything opens; the host's own are known once
    // rtnetlink told them.
    let binding = match read_binding(&args) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("shim6d: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = given(&args, binding.as_ref()) {
        eprintln!("shim6d: {e}");
        return ExitCode::from(2);
    }
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
    match run(&args, binding, &mut log) {
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

fn event(e: &AddressEvent) -> String {
    let (what, a) = match e {
        AddressEvent::New(a) => ("new", a),
        AddressEvent::Del(a) => ("deleted", a),
    };
    format!(
        "address {} on interface {} {what}, scope {} flags {:#x}",
        Ipv6Addr::from(a.addr),
        a.index,
        a.scope,
        a.flags
    )
}

/// The CGA Parameters and key of the file `path`.
fn read_file(path: &std::path::Path) -> Result<rv6_hba::file::Contents, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    rv6_hba::file::decode(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The HBA set or CGA of `--hba` or `--cga`, with `--key`'s key.
fn read_binding(args: &Args) -> Result<Option<Binding>, String> {
    let Some((kind, path)) = &args.binding else {
        return Ok(None);
    };
    let key = match &args.key {
        None => None,
        Some(k) => Some(
            read_file(k)?
                .key
                .ok_or_else(|| format!("{}: no private key in it", k.display()))?,
        ),
    };
    Binding::new(*kind, read_file(path)?, key)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `--locators` as the config takes them, with the ULID: `--ulid`, else
/// the first of them (with a binding, the first it makes a ULID).
fn given(args: &Args, binding: Option<&Binding>) -> Result<Option<Config>, String> {
    let Some(list) = &args.locators else {
        return Ok(None);
    };
    let ulid = args
        .ulid
        .or_else(|| binding.and_then(|b| list.iter().find(|a| b.is_ulid(a)).copied()));
    let mut c = Config::new(list.clone(), ulid)?;
    c.binding = binding.cloned();
    c.send_timeout = args.send_timeout;
    c.refusal(&c.locators)?;
    Ok(Some(c))
}

/// The locators and ULID to start with, from the host's addresses: the
/// discovery that follows them, and the engine's config.  With an HBA set
/// that no key signs for, the host's addresses in the set are the
/// candidates; with a binding, the ULID is one it makes.
fn start(
    args: &Args,
    binding: Option<Binding>,
    watch: &mut AddressWatch,
) -> Result<(Discovery, Config), String> {
    let addresses = watch
        .dump()
        .map_err(|e| format!("the host's addresses: {e}"))?;
    let (universe, ulid) = match (given(args, binding.as_ref())?, &binding) {
        (Some(c), _) => (Universe::Given(c.locators), c.ulid),
        (None, None) => {
            let ulid = args
                .ulid
                .or_else(|| locators::default_ulid(&addresses))
                .ok_or("no global address of this host to be a locator")?;
            (Universe::Host, ulid)
        }
        (None, Some(b)) => {
            let ours: Vec<_> = addresses
                .iter()
                .filter(|a| b.is_ulid(&a.addr))
                .copied()
                .collect();
            let ulid =
                args.ulid
                    .or_else(|| locators::default_ulid(&ours))
                    .ok_or(match b.kind() {
                        Kind::Hba => "no global address of this host is in the HBA set",
                        Kind::Cga => "the CGA is no global address of this host",
                    })?;
            match b.signs() {
                true => (Universe::Host, ulid),
                false => (Universe::Given(b.addresses()), ulid),
            }
        }
    };
    let discovery = Discovery::new(universe, ulid, &addresses);
    let first = discovery.locators().locators;
    if first.is_empty() {
        return Err("no locator: none of them is a usable address of this host".into());
    }
    if args.locators.is_none() && !first.contains(&ulid) {
        return Err(format!(
            "the ULID {} is not a usable global address of this host",
            Ipv6Addr::from(ulid)
        ));
    }
    // The ULID stays the ULID while it is gone; the locators are those
    // the host has.
    let mut config = Config::new(vec![ulid], Some(ulid))?;
    config.locators = first;
    config.preferences = args.preferences.clone();
    config.binding = binding;
    config.send_timeout = args.send_timeout;
    config.refusal(&config.locators)?;
    // One signature now, so that a key that cannot sign stops the start.
    if let Some(b) = &config.binding {
        b.list(&config.ulid, 0, &config.locators)?;
    }
    Ok((discovery, config))
}

fn left_out(s: &Selection, log: &mut Log) {
    if !s.left_out.is_empty() {
        log.line(format_args!(
            "locators: {} left out (more than 8)",
            addrs(&s.left_out)
        ));
    }
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
            Ok(done) => log.line(format_args!("kernel: {done}")),
            Err(e) => log.line(format_args!("kernel refused {}: {e}", kernel::describe(r))),
        }
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

fn run(args: &Args, binding: Option<Binding>, log: &mut Log) -> Result<(), String> {
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
    // Joined before the first dump: no change falls in between.
    let mut watch = AddressWatch::open().map_err(|e| format!("rtnetlink: {e}"))?;
    let (mut discovery, config) = start(args, binding, &mut watch)?;
    left_out(&discovery.locators(), log);
    let start = Instant::now();
    let clock = || u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let mut engine = Engine::new(config, Box::new(OsEntropy), clock());
    let bound = match engine
        .config()
        .binding
        .as_ref()
        .map(|b| (b.kind(), b.signs()))
    {
        None => "",
        Some((Kind::Hba, false)) => " HBA set",
        Some((Kind::Hba, true)) => " HBA set with key",
        Some((Kind::Cga, _)) => " CGA",
    };
    log.line(format_args!(
        "ready: ULID {} locators {}{bound} (events joined, raw socket open, {} addresses \
         watched)",
        Ipv6Addr::from(engine.config().ulid),
        addrs(&engine.config().locators),
        if args.locators.is_some() {
            "given"
        } else {
            "the host's"
        }
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
        let (raw_ready, events_ready, addresses_ready, signalled) = {
            // SAFETY: the descriptors of `kernel`'s events socket and of
            // `watch`'s notifications socket, which they own and keep open
            // for as long as these borrows (the poll call) last.  neli
            // gives them only as RawFds.
            let (events_fd, addresses_fd) = unsafe {
                (
                    BorrowedFd::borrow_raw(kernel.events_fd()),
                    BorrowedFd::borrow_raw(watch.events_fd()),
                )
            };
            let mut fds = [
                PollFd::new(raw.as_fd(), PollFlags::POLLIN),
                PollFd::new(events_fd, PollFlags::POLLIN),
                PollFd::new(addresses_fd, PollFlags::POLLIN),
                PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(format!("poll: {e}")),
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (
                ready(&fds[0]),
                ready(&fds[1]),
                ready(&fds[2]),
                ready(&fds[3]),
            )
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
                            KernelEvent::Reap { local_tag, event } => {
                                // The kernel's current pair: a person or an
                                // Update may have moved it.
                                let current = kernel.context(local_tag).ok().map(|c| c.current);
                                let input = Input::Reap {
                                    local_tag,
                                    event,
                                    current,
                                };
                                let out = engine.handle(input, clock());
                                carry_out(out, &raw, &mut kernel, log);
                            }
                            KernelEvent::Other(name) => {
                                log.detail(format_args!("event {name}: not one shim6d knows"))
                            }
                        }
                    }
                }
                Err(e) => log.line(format_args!("events: {e}")),
            }
        }
        if addresses_ready {
            match watch.notifications() {
                Ok(n) => {
                    for e in n.events {
                        log.detail(event(&e));
                        discovery.apply(e);
                    }
                    if n.lost {
                        log.line("rtnetlink: address notifications lost, listing them again");
                        match watch.dump() {
                            Ok(all) => discovery.replace(&all),
                            Err(e) => log.line(format_args!("rtnetlink: {e}")),
                        }
                    }
                }
                Err(e) => log.line(format_args!("rtnetlink: {e}")),
            }
        }
        // The round's locator change, once whatever the addresses did.
        if let Some(s) = discovery.change(&engine.config().locators) {
            left_out(&s, log);
            let input = Input::Locators {
                locators: &s.locators,
                preferences: &args.preferences,
            };
            let out = engine.handle(input, clock());
            carry_out(out, &raw, &mut kernel, log);
        }
        let out = engine.handle(Input::Tick, clock());
        carry_out(out, &raw, &mut kernel, log);
    }
}
