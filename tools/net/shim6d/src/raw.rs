//! The raw IPv6 socket for next header 140 (Shim6): control messages in,
//! with the address they were sent to (IPV6_PKTINFO), and out from the
//! locator the engine chose (IPV6_PKTINFO again).  A classic BPF filter
//! keeps the payload packets away: raw sockets get a copy of every packet
//! with next header 140, and rewritten traffic is all payload headers
//! (P = 1) that the kernel handles.  The Shim6 checksum has no
//! pseudo-header: the engine fills it in, the kernel does not.
//!
//! The socket bypasses every XFRM policy, as IKE daemons' sockets do
//! (`IPV6_XFRM_POLICY`, allow, both directions): control messages go
//! between locators, and one whose locators happen to be a context's ULIDs
//! must not be rewritten by that context's policy (RFC 5533 §5: control
//! messages are not subject to the shim's translation).

use std::io::{
    self,
    IoSlice,
    IoSliceMut, //
};
use std::net::SocketAddrV6;
use std::os::fd::{
    AsFd,
    AsRawFd,
    BorrowedFd, //
};

use netlink_packet_core::Emitable;
use netlink_packet_xfrm::{
    Selector,
    UserPolicyInfo,
    AF_INET6,
    XFRM_POLICY_ALLOW,
    XFRM_POLICY_IN,
    XFRM_POLICY_OUT,
    XFRM_USER_POLICY_INFO_LEN, //
};
use nix::errno::Errno;
use nix::sys::socket::{
    recvmsg,
    sendmsg,
    setsockopt,
    sockopt,
    ControlMessage,
    ControlMessageOwned,
    MsgFlags,
    SockaddrIn6, //
};
use rv6_cores::shim6_wire::{
    Addr,
    IPPROTO_SHIM6, //
};
use socket2::{
    Domain,
    Protocol,
    SockFilter,
    Socket,
    Type, //
};

/// Accepts a packet whose third byte (the P bit and Type of a Shim6
/// header, where the socket's data starts) has its top bit clear: control
/// messages only.
const CONTROL_ONLY: [SockFilter; 4] = [
    // ldb [2]
    SockFilter::new((libc::BPF_LD | libc::BPF_B | libc::BPF_ABS) as u16, 0, 0, 2),
    // jset #0x80, drop, accept
    SockFilter::new(
        (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16,
        1,
        0,
        0x80,
    ),
    SockFilter::new((libc::BPF_RET | libc::BPF_K) as u16, 0, 0, u32::MAX),
    SockFilter::new((libc::BPF_RET | libc::BPF_K) as u16, 0, 0, 0),
];

/// A received packet: its addresses and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub src: Addr,
    pub dst: Addr,
    pub len: usize,
}

/// The socket, non-blocking.
pub struct RawSocket {
    sock: Socket,
}

impl RawSocket {
    /// Opens it in the current network namespace (CAP_NET_RAW).
    pub fn open() -> io::Result<Self> {
        let sock = Socket::new(
            Domain::IPV6,
            Type::RAW,
            Some(Protocol::from(i32::from(IPPROTO_SHIM6))),
        )?;
        sock.set_nonblocking(true)?;
        setsockopt(&sock, sockopt::Ipv6RecvPacketInfo, &true)?;
        sock.attach_filter(&CONTROL_ONLY)?;
        bypass_xfrm(&sock)?;
        Ok(RawSocket { sock })
    }

    /// The next packet waiting, into `buf`; `None` when none waits.  A
    /// packet longer than `buf` or without its addresses is skipped.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        loop {
            let mut iov = [IoSliceMut::new(buf)];
            let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo);
            let m = match recvmsg::<SockaddrIn6>(
                self.sock.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::empty(),
            ) {
                Ok(m) => m,
                Err(Errno::EAGAIN) => return Ok(None),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            };
            let src = m.address.map(|a| a.ip().octets());
            let dst = m.cmsgs().ok().and_then(|mut c| {
                c.find_map(|c| match c {
                    ControlMessageOwned::Ipv6PacketInfo(pi) => Some(pi.ipi6_addr.s6_addr),
                    _ => None,
                })
            });
            if m.flags.contains(MsgFlags::MSG_TRUNC) {
                continue;
            }
            if let (Some(src), Some(dst)) = (src, dst) {
                return Ok(Some(Received {
                    src,
                    dst,
                    len: m.bytes,
                }));
            }
        }
    }

    /// Sends `bytes` (a Shim6 header) from `src` to `dst`.
    pub fn send(&self, src: Addr, dst: Addr, bytes: &[u8]) -> io::Result<()> {
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr { s6_addr: src },
            ipi6_ifindex: 0,
        };
        let to = SockaddrIn6::from(SocketAddrV6::new(dst.into(), 0, 0, 0));
        sendmsg(
            self.sock.as_raw_fd(),
            &[IoSlice::new(bytes)],
            &[ControlMessage::Ipv6PacketInfo(&info)],
            MsgFlags::empty(),
            Some(&to),
        )?;
        Ok(())
    }
}

/// Gives `sock` a per-socket XFRM policy of its own in each direction that
/// allows everything, so that no policy of the namespace (a Shim6
/// context's, IPsec's) applies to its packets.  Needs CAP_NET_ADMIN.
fn bypass_xfrm(sock: &Socket) -> io::Result<()> {
    for direction in [XFRM_POLICY_IN, XFRM_POLICY_OUT] {
        let policy = UserPolicyInfo {
            selector: Selector {
                family: AF_INET6,
                ..Selector::default()
            },
            direction,
            action: XFRM_POLICY_ALLOW,
            ..UserPolicyInfo::default()
        };
        let mut buf = [0u8; XFRM_USER_POLICY_INFO_LEN];
        policy.emit(&mut buf);
        // SAFETY: `sock` is an open socket; the option value is `buf`, a
        // `struct xfrm_userpolicy_info` of its full length, which the
        // kernel only reads during the call.
        let r = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_XFRM_POLICY,
                buf.as_ptr().cast(),
                buf.len() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

impl AsFd for RawSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
