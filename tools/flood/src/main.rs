//! `rv6-flood`: the traffic source and sink of rv6's packet-path benchmarks.
//!
//! ```text
//! rv6-flood send SRC DST PORT COUNT [SIZE]   COUNT datagrams of SIZE bytes (64), SRC -> DST
//! rv6-flood sink ADDR PORT                   bind and never read, until killed
//! ```
//!
//! `send` prints `sent=N seconds=S pps=P`.  It is one connected socket and one `send(2)`
//! per datagram, so the time is the kernel's: on one vCPU the receiver's softirq work runs
//! inside the sender's system calls (veth delivers through the backlog on the same CPU).
//! The sink's receive buffer fills and the rest are dropped at the socket, after every
//! layer below (extension headers, XFRM input and the policy check) has seen them; the
//! receiver's `Udp6InDatagrams + Udp6RcvbufErrors` tells how many arrived.  Both are
//! measured per count, not per time, so a slow guest cannot stop a run short.

use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6, UdpSocket};
use std::process::exit;
use std::time::Instant;

const USAGE: &str = "usage: rv6-flood send SRC DST PORT COUNT [SIZE] | rv6-flood sink ADDR PORT";

fn fail(msg: &str) -> ! {
    eprintln!("rv6-flood: {msg}");
    exit(2)
}

fn addr(s: &str, port: u16) -> SocketAddr {
    let ip: Ipv6Addr = s
        .parse()
        .unwrap_or_else(|_| fail(&format!("not an IPv6 address: {s}")));
    SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0))
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> T {
    s.parse()
        .unwrap_or_else(|_| fail(&format!("bad {what}: {s}")))
}

fn send(src: &str, dst: &str, port: u16, count: u64, size: usize) {
    let sock = UdpSocket::bind(addr(src, 0)).unwrap_or_else(|e| fail(&format!("bind {src}: {e}")));
    sock.connect(addr(dst, port))
        .unwrap_or_else(|e| fail(&format!("connect {dst}: {e}")));
    let payload = vec![0x5a_u8; size];
    let start = Instant::now();
    let mut sent = 0u64;
    for _ in 0..count {
        match sock.send(&payload) {
            Ok(_) => sent += 1,
            // An ICMPv6 error from an earlier datagram surfaces on a connected socket.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Err(e) => fail(&format!("send: {e}")),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent={sent} seconds={secs:.3} pps={:.0}",
        sent as f64 / secs
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["send", src, dst, port, count, rest @ ..] if rest.len() <= 1 => {
            let size = rest.first().map_or(64, |s| number(s, "size"));
            send(src, dst, number(port, "port"), number(count, "count"), size)
        }
        ["sink", ip, port] => {
            let _sock = UdpSocket::bind(addr(ip, number(port, "port")))
                .unwrap_or_else(|e| fail(&format!("bind {ip}: {e}")));
            println!("ready");
            loop {
                std::thread::park();
            }
        }
        _ => fail(USAGE),
    }
}
