//! `rv6-guest-init`: PID 1 of an rv6 guest (booted by `rv6-vm`).
//!
//! The host's / is the guest's read-only root over 9p.  This init makes the few writable
//! places a test needs, runs the requested command as root, scans for leaks on the debug
//! kernel and powers the guest off.  The run directory (9p tag `rv6run`) carries the
//! command and its environment in and the exit status out.
//!
//! It is a program rather than a shell script because of what a process start costs: about
//! a second on the debug kernel under TCG (KASAN and kmemleak record a stack trace for
//! every allocation an exec makes).  The script this replaces started some 35 processes
//! (mount, mkdir, ln, seq, uname, hostname, cat) before the command's first one, half a
//! minute of the debug guest's time; this does the same with system calls.

use nix::mount::{mount, MsFlags};
use nix::sys::reboot::{reboot, RebootMode};
use nix::unistd::sethostname;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

/// The run directory's mount point in the guest.
const RUN: &str = "/run/rv6";
/// 9p options of the shares rv6-vm adds (the root's are on the kernel command line).
const P9: &str = "trans=virtio,version=9p2000.L,msize=262144";
/// Directories tests write to: overlays over the host's, writes kept in memory.
const OVERLAYS: [&str; 9] = [
    "/etc",
    "/tmp",
    "/root",
    "/home",
    "/mnt",
    "/var/tmp",
    "/var/log",
    "/var/lib",
    "/var/cache",
];

fn main() {
    // PID 1 has no one to report to but the console, and nothing to return to: whatever
    // fails, the guest powers off, and rv6-vm reads a missing status as "died" (125).
    let rc = match setup() {
        Ok(env) => run(&env),
        Err(e) => {
            println!("rv6-guest: init failed: {e}");
            125
        }
    };
    leak_scan();
    let _ = fs::write(format!("{RUN}/status"), format!("{rc}\n"));
    println!("rv6-guest: exit status {rc}");
    nix::unistd::sync();
    let _ = nix::mount::umount(RUN);
    let _ = reboot(RebootMode::RB_AUTOBOOT);
}

type Env = BTreeMap<String, String>;

fn fs_mount(
    src: &str,
    target: &str,
    fstype: &str,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), String> {
    mount(Some(src), target, Some(fstype), flags, data)
        .map_err(|e| format!("mount {fstype} {src} on {target}: {e}"))
}

fn bind(src: &str, target: &str) -> Result<(), String> {
    mount(
        Some(src),
        target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| format!("bind {src} on {target}: {e}"))
}

fn mkdir(p: &str) -> Result<(), String> {
    fs::create_dir_all(p).map_err(|e| format!("mkdir {p}: {e}"))
}

/// Mounts what the guest needs and returns the run's environment.
fn setup() -> Result<Env, String> {
    let none = MsFlags::empty();
    fs_mount("proc", "/proc", "proc", none, None)?;
    fs_mount("sys", "/sys", "sysfs", none, None)?;
    // The kernel may have mounted it already (DEVTMPFS_MOUNT).
    let _ = fs_mount("dev", "/dev", "devtmpfs", none, None);
    mkdir("/dev/pts")?;
    mkdir("/dev/shm")?;
    for (link, to) in [
        ("/dev/fd", "/proc/self/fd"),
        ("/dev/stdin", "/proc/self/fd/0"),
        ("/dev/stdout", "/proc/self/fd/1"),
        ("/dev/stderr", "/proc/self/fd/2"),
    ] {
        let _ = fs::remove_file(link);
        symlink(to, link).map_err(|e| format!("ln -s {to} {link}: {e}"))?;
    }
    fs_mount("devpts", "/dev/pts", "devpts", none, None)?;
    fs_mount("tmpfs", "/dev/shm", "tmpfs", none, None)?;
    fs_mount("debugfs", "/sys/kernel/debug", "debugfs", none, None)?;
    fs_mount("tmpfs", "/run", "tmpfs", none, Some("mode=0755"))?;
    for d in [RUN, "/run/netns", "/run/lock"] {
        mkdir(d)?;
    }
    fs_mount("rv6run", RUN, "9p", none, Some(P9))?;
    let env = read_env(&format!("{RUN}/env"))?;

    // Writable places: overlays over the host's directories (host files stay visible, a
    // checkout under /tmp and the kernel cache under /root/.cache among them), or an empty
    // tmpfs where overlayfs refuses.
    for d in OVERLAYS.iter().filter(|d| Path::new(d).is_dir()) {
        let (upper, work) = (format!("/run/ovl{d}/upper"), format!("/run/ovl{d}/work"));
        mkdir(&upper)?;
        mkdir(&work)?;
        let opts = format!("lowerdir={d},upperdir={upper},workdir={work}");
        if fs_mount("overlay", d, "overlay", none, Some(&opts)).is_err() {
            fs_mount("tmpfs", d, "tmpfs", none, Some("mode=0755"))?;
        }
    }
    for d in ["/tmp", "/var/tmp"] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o1777))
            .map_err(|e| format!("chmod 1777 {d}: {e}"))?;
    }
    mkdir("/var/lib/misc")?;
    mkdir("/var/lib/dhcp")?;
    // scapy parses Wireshark's 2.3 MB OUI table at every import (half its import time,
    // seconds under TCG); nothing in the guest names MAC vendors.
    let manuf = "/usr/share/wireshark/manuf";
    if Path::new(manuf).is_file() {
        bind("/dev/null", manuf)?;
    }
    // Writable project directories the host asked for (same path in the guest).
    for i in 0..10 {
        if let Some(p) = env.get(&format!("RV6_RW_{i}")) {
            fs_mount(&format!("rv6rw{i}"), p, "9p", none, Some(P9))?;
        }
    }
    // The kernel's own modules (modprobe mip6, nf_conntrack_ftp, ...).
    if let Some(m) = env.get("RV6_MODDIR").filter(|m| Path::new(m).is_dir()) {
        fs_mount("tmpfs", "/lib/modules", "tmpfs", none, None)?;
        let release = nix::sys::utsname::uname().map_err(|e| format!("uname: {e}"))?;
        let dir = format!("/lib/modules/{}", release.release().to_string_lossy());
        mkdir(&dir)?;
        bind(m, &dir)?;
    }
    sethostname("rv6-guest").map_err(|e| format!("hostname: {e}"))?;
    // Console lines from a test must not be dropped for coming too fast.
    let _ = fs::write("/proc/sys/kernel/printk_ratelimit", "0");
    // The one process the set-up starts: nix has no call for interface flags.
    let lo = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status();
    if !lo.is_ok_and(|s| s.success()) {
        return Err("ip link set lo up failed".into());
    }
    Ok(env)
}

/// The run's environment: `KEY=VALUE` lines, the values as they are (rv6-vm refuses
/// values with a newline).
fn read_env(path: &str) -> Result<Env, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// Runs the command (`/bin/sh` on the run directory's `cmd`) and returns its status.
fn run(env: &Env) -> i32 {
    let cmd = fs::read_to_string(format!("{RUN}/cmd")).unwrap_or_default();
    println!("rv6-guest: running: {}", cmd.trim_end());
    let cwd = env.get("RV6_CWD").map(String::as_str).unwrap_or("/");
    let term = env.get("RV6_TERM").map(String::as_str).unwrap_or("dumb");
    let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    let sh = |c: &mut Command| {
        c.current_dir(cwd)
            .env_clear()
            .envs(env)
            .env("PATH", path)
            .env("HOME", "/root")
            .env("TERM", term);
    };
    let mut cmd = Command::new("/bin/sh");
    cmd.arg(format!("{RUN}/cmd"));
    sh(&mut cmd);
    if env.get("RV6_INTERACTIVE").is_some_and(|v| v == "1") {
        // A command given with --shell prepares the shell (make shell loads the modules),
        // which then gets the console.
        if fs::metadata(format!("{RUN}/cmd")).is_ok_and(|m| m.len() > 0) {
            let _ = cmd.stdin(Stdio::null()).status();
        }
        let mut shell = Command::new("setsid");
        shell.args(["sh", "-c", "exec /bin/bash -l </dev/ttyS0 >/dev/ttyS0 2>&1"]);
        sh(&mut shell);
        return status(shell.status());
    }
    status(cmd.stdin(Stdio::null()).status())
}

fn status(s: std::io::Result<std::process::ExitStatus>) -> i32 {
    match s {
        Ok(s) => s.code().unwrap_or(128 + 9),
        Err(e) => {
            println!("rv6-guest: cannot start the command: {e}");
            127
        }
    }
}

/// A leak scan before power-off, when the kernel has kmemleak.  Reports go through
/// /dev/kmsg, so that rv6-vm sees them as kernel lines and fails the run.
///
/// One scan suffices (7.3 reports an object unreferenced in `min_unref_scans` = 1 scan),
/// but kmemleak never reports an object younger than 5 s, so the scan waits that long
/// for what the command's last steps (module unloads) may have leaked.  A scan takes
/// half a minute of the debug guest's time under TCG; the script this replaces ran two.
fn leak_scan() {
    let ctl = "/sys/kernel/debug/kmemleak";
    if fs::OpenOptions::new().write(true).open(ctl).is_err() {
        return;
    }
    sleep(Duration::from_secs(5));
    if fs::write(ctl, "scan").is_err() {
        return;
    }
    let report = fs::read_to_string(ctl).unwrap_or_default();
    let leaks = report
        .lines()
        .filter(|l| l.starts_with("unreferenced object"))
        .count();
    println!("rv6-guest: kmemleak: {leaks} suspected leak(s) after the run");
    if leaks > 0 {
        if let Ok(mut kmsg) = fs::OpenOptions::new().write(true).open("/dev/kmsg") {
            // /dev/kmsg takes one record per write.
            for line in report.lines() {
                let _ = kmsg.write_all(line.as_bytes());
            }
        }
    }
}
