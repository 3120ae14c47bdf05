//! `rv6-vm`: run one command as root in a throw-away QEMU guest that boots the
//! rv6 kernel over the host's root filesystem (9p, read-only).
//!
//! The guest's console streams to a log file (and, with `-v`, to stderr).  The
//! run's exit status is the command's, unless the guest timed out (124), died
//! without reporting a status (125), or the kernel printed an oops, WARN,
//! sanitizer, lockdep or kmemleak report (126), whatever the command returned.

use ktap::reports;
use std::env;
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{exit, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: rv6-vm [options] -- command [args...]
       rv6-vm [options] --shell [-- setup-command [args...]]

Boot the rv6 kernel in QEMU (TCG unless RV6_KVM=1) with the host's / as a
read-only root, run the command as root in the guest, and exit with its status.

options:
  --kernel PATH     bzImage to boot (default: $RV6_KERNEL or build/kobj/arch/x86/boot/bzImage)
  --moddir PATH     directory served as /lib/modules/$(uname -r) in the guest
  --rw DIR          make host DIR writable in the guest at the same path (repeatable)
  --log FILE        write the guest console here (default: build/logs/vm.log)
  --timeout SECS    power the guest off after SECS seconds (default 600): exit 124
  --mem SIZE        guest memory (default 2G)
  --cpus N          guest CPUs (default 2)
  --append ARGS     extra kernel command line
  --icount          count time in instructions (QEMU -icount shift=0, 1 ns each,
                    one vCPU): the guest clock measures work done, not the host's
                    speed or load, for benchmarks
  --allow-reports   do not fail the run on kernel oops/WARN/sanitizer reports
  --shell           interactive shell on the console; a command, if given, runs first
  -v, --verbose     also stream the console to stderr
  -u, --user        stream the guest's userspace output (console lines without
                    a printk timestamp) to stdout

environment: RV6_KVM=1 boots with KVM; RV6_GUEST_CLOCK=host gives a TCG guest
the host's time (TSC) instead of jiffies, which stop while the guest waits for a
core (see tcg_clock_args); RV6_QEMU_ARGS adds QEMU arguments (for
investigations: a monitor socket, -d logging); RV6_GUEST_INIT replaces the
guest's init (rv6-guest-init, beside rv6-vm); other RV6_* variables reach the
command.

exit status: the command's; 124 timeout; 125 guest died without a status;
126 the kernel reported a bug (oops, WARN, KASAN, UBSAN, lockdep, kmemleak).
";

struct Options {
    kernel: PathBuf,
    moddir: Option<PathBuf>,
    rw: Vec<PathBuf>,
    log: PathBuf,
    timeout: Duration,
    mem: String,
    cpus: u32,
    append: String,
    icount: bool,
    allow_reports: bool,
    shell: bool,
    verbose: bool,
    user: bool,
    command: Vec<String>,
}

/// Kernel arguments that give a TCG guest a clock keeping the host's time ("" when the
/// host has no invariant TSC): what `RV6_GUEST_CLOCK=host` asks for.
///
/// The guest has no ACPI, hence no HPET or PM timer to calibrate its TSC against, and the
/// PIT calibration fails under TCG, so Linux marks the TSC unstable and keeps time with
/// jiffies.  A tick QEMU could not deliver while the host was busy is then lost: in one
/// loaded `make check` the guests' clocks ran at 54%, 86% and 95% of the host's.  Under
/// TCG, RDTSC returns the host's own counter (QEMU's `cpu_get_host_ticks`), so the guest
/// can keep the host's time once told the rate: `tsc_early_khz` skips the calibration and
/// `tsc=reliable` the watchdog, which has no better clock to compare with.
///
/// It is not the default, because the lost ticks are what keeps tests meaningful on an
/// oversubscribed host: a guest's time then stops while its vCPU waits for a core, as a
/// paused machine's would.  With the host's clock, a starved guest sees time pass that it
/// could not use, and its timers fire in bursts: measured with one guest at nice 5 beside
/// two busy loops, shim6_reap failed its keepalive spacing check (>= 150 ms apart), and
/// neither the wall time (621 s against 611) nor the CPU time (169 s against 165) improved.
fn tcg_clock_args() -> String {
    match host_tsc_khz() {
        Some(khz) => format!("tsc_early_khz={khz} tsc=reliable "),
        None => String::new(),
    }
}

/// The host's TSC rate, measured against the monotonic clock over 50 ms; `None` without
/// an invariant TSC (CPUID 0x80000007 EDX bit 8), whose rate would not be a constant.
fn host_tsc_khz() -> Option<u64> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::__cpuid;
        if __cpuid(0x8000_0000).eax < 0x8000_0007 || __cpuid(0x8000_0007).edx & (1 << 8) == 0 {
            return None;
        }
        let clock = quanta::Clock::new();
        let (t0, c0) = (Instant::now(), clock.raw());
        thread::sleep(Duration::from_millis(50));
        let (t1, c1) = (Instant::now(), clock.raw());
        let ns = (t1 - t0).as_nanos() as u64;
        let khz = c1.wrapping_sub(c0).checked_mul(1_000_000)? / ns.max(1);
        // quanta falls back to the monotonic clock (1 tick per ns) where it cannot read
        // the TSC: that is no TSC rate.
        (khz.abs_diff(1_000_000) > 1_000).then_some(khz)
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

fn parse_args() -> Result<Options, String> {
    let mut args = env::args().skip(1);
    let mut o = Options {
        kernel: env::var_os("RV6_KERNEL")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("build/kobj/arch/x86/boot/bzImage")),
        moddir: None,
        rw: Vec::new(),
        log: PathBuf::from("build/logs/vm.log"),
        timeout: Duration::from_secs(600),
        mem: "2G".into(),
        cpus: 2,
        append: String::new(),
        icount: false,
        allow_reports: false,
        shell: false,
        verbose: false,
        user: false,
        command: Vec::new(),
    };
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--kernel" => o.kernel = value("--kernel")?.into(),
            "--moddir" => o.moddir = Some(value("--moddir")?.into()),
            "--rw" => o.rw.push(value("--rw")?.into()),
            "--log" => o.log = value("--log")?.into(),
            "--timeout" => {
                let v = value("--timeout")?;
                let secs = v
                    .parse()
                    .map_err(|_| format!("--timeout: '{v}' is not a number of seconds"))?;
                o.timeout = Duration::from_secs(secs);
            }
            "--mem" => o.mem = value("--mem")?,
            "--cpus" => {
                let v = value("--cpus")?;
                o.cpus = v
                    .parse()
                    .map_err(|_| format!("--cpus: '{v}' is not a number"))?;
            }
            "--append" => o.append = value("--append")?,
            "--icount" => o.icount = true,
            "--allow-reports" => o.allow_reports = true,
            "--shell" => o.shell = true,
            "-v" | "--verbose" => o.verbose = true,
            "-u" | "--user" => o.user = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                exit(0);
            }
            "--" => {
                o.command = args.collect();
                break;
            }
            other => return Err(format!("unknown option '{other}' (see --help)")),
        }
    }
    if o.command.is_empty() && !o.shell {
        return Err("no command given (see --help)".into());
    }
    if o.rw.len() > 10 {
        return Err("at most 10 --rw directories".into());
    }
    Ok(o)
}

/// Quote one word for /bin/sh.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn abs(p: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(p)
}

fn run(o: Options) -> Result<i32, String> {
    let kernel = abs(&o.kernel).map_err(|e| format!("kernel {}: {e}", o.kernel.display()))?;
    // The guest's init: RV6_GUEST_INIT, else rv6-guest-init, built beside this binary.
    let init = match env::var_os("RV6_GUEST_INIT") {
        Some(p) => PathBuf::from(p),
        None => env::current_exe()
            .map_err(|e| format!("rv6-vm's own path: {e}"))?
            .with_file_name("rv6-guest-init"),
    };
    let init = abs(&init).map_err(|e| format!("guest init {}: {e}", init.display()))?;

    // The run directory: command and environment in, status out.
    let rundir = env::temp_dir().join(format!("rv6-vm.{}", std::process::id()));
    let _ = fs::remove_dir_all(&rundir);
    fs::create_dir_all(&rundir).map_err(|e| format!("{}: {e}", rundir.display()))?;
    // The environment, as rv6-guest-init reads it: KEY=VALUE lines, values as they are.
    let cwd = env::current_dir().map_err(|e| e.to_string())?;
    let mut vars = vec![("RV6_CWD".to_string(), cwd.to_string_lossy().into_owned())];
    if let Some(m) = &o.moddir {
        let m = abs(m).map_err(|e| format!("moddir {}: {e}", m.display()))?;
        vars.push(("RV6_MODDIR".into(), m.to_string_lossy().into_owned()));
    }
    let mut rw = Vec::new();
    for (i, d) in o.rw.iter().enumerate() {
        let d = abs(d).map_err(|e| format!("--rw {}: {e}", d.display()))?;
        vars.push((format!("RV6_RW_{i}"), d.to_string_lossy().into_owned()));
        rw.push(d);
    }
    if o.shell {
        vars.push(("RV6_INTERACTIVE".into(), "1".into()));
        vars.push(("RV6_TERM".into(), env::var("TERM").unwrap_or_default()));
    }
    // Test scripts may want to know they run in the guest and where the tree is.
    vars.extend(env::vars().filter(|(k, _)| k.starts_with("RV6_") && k != "RV6_KERNEL"));
    let mut envfile = String::new();
    for (k, v) in vars {
        if v.contains('\n') {
            return Err(format!(
                "{k}: a value with a newline cannot reach the guest"
            ));
        }
        envfile += &format!("{k}={v}\n");
    }
    fs::write(rundir.join("env"), envfile).map_err(|e| e.to_string())?;
    let cmd: Vec<String> = o.command.iter().map(|w| sh_quote(w)).collect();
    fs::write(rundir.join("cmd"), cmd.join(" ") + "\n").map_err(|e| e.to_string())?;

    if let Some(parent) = o.log.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let mut log = fs::File::create(&o.log).map_err(|e| format!("{}: {e}", o.log.display()))?;

    let kvm = env::var("RV6_KVM").is_ok_and(|v| v == "1");
    let mut q = Command::new("qemu-system-x86_64");
    q.args(["-nodefaults", "-no-user-config", "-nographic", "-no-reboot"]);
    q.args([
        "-machine",
        if kvm { "pc,accel=kvm" } else { "pc,accel=tcg" },
    ]);
    q.args(["-cpu", if kvm { "host" } else { "max" }]);
    q.args(["-m", &o.mem, "-smp", &o.cpus.to_string()]);
    // Extra QEMU arguments for investigations (a monitor socket, -d logging), split on
    // whitespace.
    if let Ok(extra) = env::var("RV6_QEMU_ARGS") {
        q.args(extra.split_whitespace());
    }
    if o.icount && !kvm {
        // Every guest instruction advances the virtual clock by 1 ns; an idle guest skips
        // ahead to its next timer instead of waiting in real time.
        q.args(["-icount", "shift=0,sleep=off,align=off"]);
    }
    q.args(["-device", "virtio-rng-pci"]);
    let share = |q: &mut Command, path: &Path, tag: &str, ro: bool| {
        q.args([
            "-fsdev",
            &format!(
                "local,id={tag},path={},security_model=none,multidevs=remap{}",
                path.display(),
                if ro { ",readonly=on" } else { "" }
            ),
            "-device",
            &format!("virtio-9p-pci,fsdev={tag},mount_tag={tag}"),
        ]);
    };
    share(&mut q, Path::new("/"), "rootfs", true);
    share(&mut q, &rundir, "rv6run", false);
    for (i, d) in rw.iter().enumerate() {
        share(&mut q, d, &format!("rv6rw{i}"), false);
    }
    if o.shell {
        q.args(["-serial", "mon:stdio"]);
    } else {
        q.args(["-serial", "stdio"]);
    }
    q.args(["-kernel", &kernel.to_string_lossy()]);
    let clock = if !kvm && !o.icount && env::var("RV6_GUEST_CLOCK").is_ok_and(|v| v == "host") {
        tcg_clock_args()
    } else {
        String::new()
    };
    // The root is read-only and nothing on the host changes it under a test, so the guest
    // may keep what it read in its page cache (cache=loose): with 9p's default (cache=none)
    // every exec reads the binary and its libraries again through virtio, and a process
    // start under TCG costs 2.4 times as long (0.87 s against 0.37 s on the debug kernel,
    // a scapy import 167 s against 47 s).  The writable shares stay uncached.
    q.args([
        "-append",
        &format!(
            "console=ttyS0 root=rootfs rootfstype=9p \
             rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose \
             ro init={} panic=-1 oops=panic loglevel=7 {clock}{}",
            init.display(),
            o.append
        ),
    ]);
    q.stdout(Stdio::piped()).stderr(Stdio::piped());
    if o.shell {
        q.stdin(Stdio::inherit()).stdout(Stdio::inherit());
    } else {
        q.stdin(Stdio::null());
    }
    let started = Instant::now();
    let mut child = q
        .spawn()
        .map_err(|e| format!("qemu-system-x86_64: {e} (run 'make deps')"))?;

    // Stream the console: log file always, stderr with -v.
    let (tx, rx) = mpsc::channel::<String>();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    if let Some(err) = child.stderr.take() {
        thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(format!("qemu: {line}"));
            }
        });
    }
    let mut console = Vec::new();
    let mut timed_out = false;
    // Userspace output starts with guest-init's first line; before it come
    // the firmware's screen codes.
    let mut user_started = false;
    let mut show = |line: &str| {
        if o.verbose {
            eprintln!("{line}");
        }
        user_started |= line.starts_with("rv6-guest:");
        if o.user
            && user_started
            && !ktap::strip_printk_prefix(line).0
            && !line.starts_with("qemu: ")
        {
            println!("{line}");
        }
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let _ = writeln!(log, "{line}");
                show(&line);
                console.push(line);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Ok(Some(_)) = child.try_wait() {
            // Drain what the reader threads still hold.
            while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                let _ = writeln!(log, "{line}");
                show(&line);
                console.push(line);
            }
            break;
        }
        if started.elapsed() > o.timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let status = fs::read_to_string(rundir.join("status")).ok();
    let _ = fs::remove_dir_all(&rundir);

    let found = reports::kernel_reports(console.iter().map(String::as_str));
    for r in &found {
        eprintln!("rv6-vm: kernel report: {r}");
    }
    if timed_out {
        eprintln!(
            "rv6-vm: timeout after {}s; console in {}",
            o.timeout.as_secs(),
            o.log.display()
        );
        return Ok(124);
    }
    let Some(status) = status else {
        eprintln!(
            "rv6-vm: guest ended without a status after {elapsed:.1}s; console in {}",
            o.log.display()
        );
        return Ok(125);
    };
    let rc: i32 = status.trim().parse().unwrap_or(125);
    if !found.is_empty() && !o.allow_reports {
        eprintln!(
            "rv6-vm: failing the run: the kernel reported {} problem(s); console in {}",
            found.len(),
            o.log.display()
        );
        return Ok(126);
    }
    eprintln!("rv6-vm: guest exit status {rc} after {elapsed:.1}s");
    Ok(rc)
}

fn main() {
    let rc = match parse_args().and_then(run) {
        Ok(rc) => rc,
        Err(e) => {
            eprintln!("rv6-vm: {e}");
            2
        }
    };
    exit(rc);
}

#[cfg(test)]
mod tests {
    use super::sh_quote;

    #[test]
    fn plain_words_stay_unquoted() {
        assert_eq!(
            sh_quote("/work/main/tools/testing/guest-check.sh"),
            "/work/main/tools/testing/guest-check.sh"
        );
        assert_eq!(
            sh_quote("kunit.filter_glob=rv6*"),
            "'kunit.filter_glob=rv6*'"
        );
    }

    #[test]
    fn quotes_survive_a_round_trip_through_sh() {
        for word in ["", "a b", "it's", "$(reboot)", "x'y'z", "tab\there"] {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", sh_quote(word))])
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), word, "word {word:?}");
        }
    }
}
