//! XFRM messages as text: for every type `ip xfrm monitor` knows, the text
//! iproute2 6.1 (Debian 12's, the guests') prints without `-s` or `-o`,
//! byte for byte, trailing spaces included (its ip/xfrm_monitor.c,
//! ipxfrm.c, xfrm_state.c and xfrm_policy.c were read for the format; the
//! code here is rv6's); for XFRM_MSG_MIGRATE and XFRM_MSG_MIGRATE_STATE,
//! which iproute2 prints as "Unknown message", a decoding in the words of
//! `rv6 xfrm migrate` and `rv6 xfrm migrate-state`, one argument group per
//! line, so that the lines joined (less the first word) read back as the
//! command.

use netlink_packet_core::{
    NetlinkHeader,
    NetlinkPayload,
    Nla, //
};
use netlink_packet_xfrm::{
    policy::DefaultMessage,
    Address,
    AlgAead,
    AlgAuth,
    AsyncEventId,
    EncapTmpl,
    Id,
    Mark,
    ReplayEsn,
    Selector,
    UserAcquire,
    UserMapping,
    UserMigrate,
    UserPolicyInfo,
    UserSaId,
    UserSaInfo,
    UserTemplate,
    XfrmAttrs,
    XfrmMessage, //
};

use crate::xfrm::names::{
    addr,
    interface,
    Host, //
};
use crate::xfrm::wire::{
    other_value,
    Migrate,
    MigrateState,
    XfrmMsg,
    XFRMA_NAT_KEEPALIVE_INTERVAL,
    XFRMA_SA_DIR,
    XFRM_MIGRATE_STATE_CLEAR_OFFLOAD,
    XFRM_MIGRATE_STATE_UPDATE_H2H_SEL, //
};

// IP protocol numbers the selector printing treats apart.
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_GRE: u8 = 47;
const IPPROTO_ICMPV6: u8 = 58;
const IPPROTO_MH: u8 = 135;

/// The XFRM protocols by name, as `ip xfrm` spells them.
pub const XFRM_PROTOS: &[(&str, u8)] = &[
    ("esp", 50),
    ("ah", 51),
    ("comp", 108),
    ("route2", 43),
    ("hao", 60),
    ("ipsec-any", 255),
];

/// The XFRM modes by name (XFRM_MODE_*), as `ip xfrm` spells them.
pub const MODES: &[&str] = &["transport", "tunnel", "ro", "in_trigger", "beet"];

/// Policy directions (XFRM_POLICY_*).
pub const DIRS: &[&str] = &["in", "out", "fwd"];

/// Policy types (XFRM_POLICY_TYPE_*).
pub const PTYPES: &[&str] = &["main", "sub"];

/// xfrm_user_offload flags: inbound SA, packet (not crypto) offload.
pub const XFRM_OFFLOAD_INBOUND: u8 = 2;
pub const XFRM_OFFLOAD_PACKET: u8 = 4;

/// ESP encapsulations by name (UDP_ENCAP_*, TCP_ENCAP_ESPINTCP).
pub const ENCAPS: &[(&str, u16)] = &[("espinudp-nonike", 1), ("espinudp", 2), ("espintcp", 7)];

/// An XFRM protocol's name, or its number.
pub fn xfrm_proto(proto: u8) -> String {
    XFRM_PROTOS
        .iter()
        .find(|(_, p)| *p == proto)
        .map_or_else(|| proto.to_string(), |(n, _)| n.to_string())
}

/// A mode's name, or its number.
pub fn mode(mode: u8) -> String {
    MODES
        .get(mode as usize)
        .map_or_else(|| mode.to_string(), |m| m.to_string())
}

/// A policy type's name, or its number.
pub fn ptype(ptype: u8) -> String {
    PTYPES
        .get(ptype as usize)
        .map_or_else(|| ptype.to_string(), |p| p.to_string())
}

/// An encapsulation's name, or its number.
pub fn encap_type(t: u16) -> String {
    ENCAPS
        .iter()
        .find(|(_, e)| *e == t)
        .map_or_else(|| t.to_string(), |(n, _)| n.to_string())
}

/// C's `%#x`: `0x` before all but zero.
fn alt_hex(v: u32) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// A C string in a fixed array, up to its NUL.
fn c_str(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The first attribute `pick` accepts (iproute2's `parse_rtattr()` keeps
/// the first of a type).
fn first<'a, T>(nlas: &'a [XfrmAttrs], pick: impl Fn(&'a XfrmAttrs) -> Option<T>) -> Option<T> {
    nlas.iter().find_map(pick)
}

/// The flag names of `flags` in `table`, as iproute2's XFRM_FLAG_PRINT
/// writes them, and what is left unnamed in hex.
fn flag_words(mut flags: u32, table: &[(u32, &str)]) -> String {
    let mut s = String::new();
    for (bit, name) in table {
        if flags & bit != 0 {
            flags &= !bit;
            s += name;
            if flags != 0 {
                s.push(' ');
            }
        }
    }
    if flags != 0 {
        s += &format!("{flags:x}");
    }
    s
}

/// Prints XFRM messages the way `ip xfrm monitor` does.
pub struct Printer<'a> {
    pub host: &'a dyn Host,
    /// `nokeys`: keys as `<<Keys hidden>>`.
    pub nokeys: bool,
}

impl Printer<'_> {
    /// One message, ending in a newline; empty for the netlink control
    /// messages (ACK, DONE, NOOP) that iproute2 passes over too.
    pub fn message(&self, header: &NetlinkHeader, payload: &NetlinkPayload<XfrmMsg>) -> String {
        let msg = match payload {
            NetlinkPayload::InnerMessage(m) => m,
            NetlinkPayload::Error(_) | NetlinkPayload::Done(_) | NetlinkPayload::Noop => {
                return String::new()
            }
            _ => return unknown(header),
        };
        let mut out = String::new();
        match msg {
            XfrmMsg::Crate(m) => self.crate_message(&mut out, header, m),
            XfrmMsg::Expire(e) => {
                out += "Expired ";
                self.state(&mut out, &e.expire.state, &e.nlas);
                out += &format!("\thard {}\n", e.expire.hard);
            }
            XfrmMsg::Migrate(m) => self.migrate(&mut out, m),
            XfrmMsg::MigrateState(m) => self.migrate_state(&mut out, m),
        }
        out
    }

    fn crate_message(&self, out: &mut String, header: &NetlinkHeader, msg: &XfrmMessage) {
        use XfrmMessage::*;
        match msg {
            AddSa(m) => self.state(out, &m.user_sa_info, &m.nlas),
            UpdateSa(m) => {
                *out += "Updated ";
                self.state(out, &m.user_sa_info, &m.nlas);
            }
            DeleteSa(m) => {
                *out += "Deleted ";
                if let Some(info) = first(&m.nlas, |a| match a {
                    XfrmAttrs::SaInfo(i) => Some(i),
                    _ => None,
                }) {
                    self.state(out, info, &m.nlas);
                }
            }
            AddPolicy(m) => self.policy(out, &m.user_policy_info, &m.nlas, "", None),
            UpdatePolicy(m) => {
                *out += "Updated ";
                self.policy(out, &m.user_policy_info, &m.nlas, "", None);
            }
            DeletePolicy(m) => {
                *out += "Deleted ";
                if let Some(info) = first(&m.nlas, |a| match a {
                    XfrmAttrs::PolicyInfo(i) => Some(i),
                    _ => None,
                }) {
                    self.policy(out, info, &m.nlas, "", None);
                }
            }
            PolicyExpire(m) => {
                *out += "Expired ";
                self.policy(out, &m.expire.pol, &m.nlas, "", None);
                *out += &format!("\thard {}\n", m.expire.hard);
            }
            Acquire(m) => self.acquire(out, &m.acquire, &m.nlas),
            FlushSa(m) => *out += &format!("Flushed state proto {}\n", xfrm_proto(m.protocol)),
            FlushPolicy(m) => {
                *out += "Flushed policy ";
                if let Some(t) = first(&m.nlas, |a| match a {
                    XfrmAttrs::PolicyType(t) => Some(t),
                    _ => None,
                }) {
                    *out += &format!("ptype {} ", ptype(t.ptype));
                }
                *out += "\n";
            }
            Report(m) => {
                let family = m.report.selector.family;
                *out += &format!("report proto {} \n", xfrm_proto(m.report.proto));
                *out += &self.selector(&m.report.selector, family, "  sel ");
                self.attrs(out, &m.nlas, family, "  ");
            }
            NewAsyncEvent(m) => self.async_event(out, &m.id),
            Mapping(m) => self.mapping(out, &m.map),
            GetPolicyDefault(m) => self.policy_default(out, m),
            _ => *out += &unknown(header),
        }
    }

    /// `xfrm_selector_print()`: PREFIX, then the selector's words, then a
    /// newline. Its family, else `family`.
    pub fn selector(&self, sel: &Selector, family: u16, prefix: &str) -> String {
        format!("{prefix}{}\n", self.selector_words(sel, family))
    }

    /// The selector's words, each followed by a space, as iproute2 prints
    /// them: `src A/P dst B/P [proto P] [sport N] [dport N] [dev D]`, ports
    /// as ICMP type and code, a GRE key or a Mobility Header type by the
    /// protocol.
    pub fn selector_words(&self, sel: &Selector, family: u16) -> String {
        let f = if sel.family == 0 { family } else { sel.family };
        let mut s = format!(
            "src {}/{} dst {}/{} ",
            addr(f, &sel.saddr),
            sel.prefixlen_s,
            addr(f, &sel.daddr),
            sel.prefixlen_d
        );
        if sel.proto != 0 {
            s += &format!("proto {} ", self.protocol(sel.proto));
        }
        match sel.proto {
            IPPROTO_ICMP | IPPROTO_ICMPV6 => {
                if sel.sport_mask != 0 {
                    s += &format!("type {} ", sel.sport);
                }
                if sel.dport_mask != 0 {
                    s += &format!("code {} ", sel.dport);
                }
            }
            IPPROTO_GRE => {
                if sel.sport_mask != 0 || sel.dport_mask != 0 {
                    s += &format!(
                        "key {} ",
                        (u32::from(sel.sport) << 16) + u32::from(sel.dport)
                    );
                }
            }
            IPPROTO_MH => {
                if sel.sport_mask != 0 {
                    s += &format!("type {} ", sel.sport);
                }
            }
            _ => {
                if sel.sport_mask != 0 {
                    s += &format!("sport {} ", sel.sport);
                }
                if sel.dport_mask != 0 {
                    s += &format!("dport {} ", sel.dport);
                }
            }
        }
        if sel.ifindex > 0 {
            s += &format!("dev {} ", interface(self.host, sel.ifindex as u32));
        }
        s
    }

    /// An IP protocol's name from the host's table, or its number.
    fn protocol(&self, p: u8) -> String {
        self.host.protocol(p).unwrap_or_else(|| p.to_string())
    }

    /// `xfrm_id_info_print()`: `TITLEsrc S dst D`, then on the next line
    /// the protocol, SPI, reqid and mode.
    #[allow(clippy::too_many_arguments)] // the C function's, one for one
    fn id_info(
        &self,
        out: &mut String,
        saddr: &Address,
        id: &Id,
        mode_: u8,
        reqid: u32,
        family: u16,
        force_spi: bool,
        prefix: &str,
        title: &str,
    ) {
        *out += &format!(
            "{title}src {} dst {}\n{prefix}\tproto {} ",
            addr(family, saddr),
            addr(family, &id.daddr),
            xfrm_proto(id.proto)
        );
        if force_spi || id.spi != 0 {
            *out += &format!("spi 0x{:08x} ", id.spi);
        }
        *out += &format!("reqid {reqid} mode {}\n", mode(mode_));
    }

    /// An SA: `xfrm_state_info_print()`.
    fn state(&self, out: &mut String, info: &UserSaInfo, nlas: &[XfrmAttrs]) {
        let ipsec = matches!(info.id.proto, 50 | 51 | 108);
        self.id_info(
            out,
            &info.saddr,
            &info.id,
            info.mode,
            info.reqid,
            info.family,
            ipsec,
            "",
            "",
        );
        *out += &format!("\treplay-window {} ", info.replay_window);
        if info.flags != 0 {
            *out += "flag ";
            *out += &flag_words(
                info.flags.into(),
                &[
                    (1, "noecn"),
                    (2, "decap-dscp"),
                    (4, "nopmtudisc"),
                    (8, "wildrecv"),
                    (16, "icmp"),
                    (32, "af-unspec"),
                    (64, "align4"),
                    (128, "esn"),
                ],
            );
        }
        *out += "\n";
        self.attrs(out, nlas, info.family, "\t");
        if info.selector != Selector::default() {
            *out += &self.selector(&info.selector, info.family, "\tsel ");
        }
        self.sec_ctx(out, nlas);
    }

    /// `xfrm_sec_ctx_print()`, when there is a security context.
    fn sec_ctx(&self, out: &mut String, nlas: &[XfrmAttrs]) {
        if let Some(ctx) = first(nlas, |a| match a {
            XfrmAttrs::SecurityContext(c) => Some(c),
            _ => None,
        }) {
            let n = (ctx.ctx_len as usize).min(ctx.ctx_str.len());
            *out += &format!(
                "\tsecurity context {} \n",
                String::from_utf8_lossy(&ctx.ctx_str[..n])
            );
        }
    }

    /// A policy: `xfrm_policy_info_print()` with PREFIX before its second
    /// and later lines, TITLE (or nothing) before its selector.
    fn policy(
        &self,
        out: &mut String,
        info: &UserPolicyInfo,
        nlas: &[XfrmAttrs],
        prefix: &str,
        title: Option<&str>,
    ) {
        *out += &self.selector(&info.selector, 0, title.unwrap_or(""));
        self.sec_ctx(out, nlas);
        let buf = format!("{prefix}\t");
        *out += &buf;
        let (word, dir) = if info.direction >= 3 {
            ("socket", info.direction - 3)
        } else {
            ("dir", info.direction)
        };
        let dir = DIRS
            .get(dir as usize)
            .map_or_else(|| dir.to_string(), |d| d.to_string());
        *out += &format!("{word} {dir} ");
        match info.action {
            0 => {}
            1 => *out += "action block ",
            a => *out += &format!("action {a} "),
        }
        *out += &format!("priority {} ", info.priority);
        if let Some(t) = first(nlas, |a| match a {
            XfrmAttrs::PolicyType(t) => Some(t),
            _ => None,
        }) {
            *out += &format!("ptype {} ", ptype(t.ptype));
        }
        if info.flags != 0 {
            *out += "flag ";
            *out += &flag_words(info.flags.into(), &[(1, "localok"), (2, "icmp")]);
        }
        *out += "\n";
        self.attrs(out, nlas, info.selector.family, &buf);
    }

    /// `xfrm_xfrma_print()`: the attributes iproute2 6.1 prints, in its
    /// order, each line after PREFIX (but the mark's, after a tab).
    fn attrs(&self, out: &mut String, nlas: &[XfrmAttrs], family: u16, prefix: &str) {
        self.marks(out, nlas);
        let trunc = first(nlas, |a| match a {
            XfrmAttrs::AuthenticationAlgTrunc(a) => Some(a),
            _ => None,
        });
        let auth = first(nlas, |a| match a {
            XfrmAttrs::AuthenticationAlg(alg) => Some(alg),
            _ => None,
        });
        if let (Some(alg), None) = (auth, trunc) {
            self.algo(
                out,
                prefix,
                "auth",
                &alg.alg_name,
                alg.alg_key_len,
                &alg.alg_key,
            );
            *out += "\n";
        }
        if let Some(a) = trunc {
            self.auth_trunc(out, prefix, a);
        }
        if let Some(a) = first(nlas, |a| match a {
            XfrmAttrs::EncryptionAlgAead(a) => Some(a),
            _ => None,
        }) {
            self.aead(out, prefix, a);
        }
        for (pick, name) in [(0, "enc"), (1, "comp")] {
            if let Some(alg) = first(nlas, |a| match (a, pick) {
                (XfrmAttrs::EncryptionAlg(alg), 0) | (XfrmAttrs::CompressionAlg(alg), 1) => {
                    Some(alg)
                }
                _ => None,
            }) {
                self.algo(
                    out,
                    prefix,
                    name,
                    &alg.alg_name,
                    alg.alg_key_len,
                    &alg.alg_key,
                );
                *out += "\n";
            }
        }
        if let Some(e) = first(nlas, |a| match a {
            XfrmAttrs::EncapsulationTemplate(e) => Some(e),
            _ => None,
        }) {
            *out += &format!("{prefix}encap {}\n", self.encap(e, family));
        }
        if let Some(tmpls) = first(nlas, |a| match a {
            XfrmAttrs::Template(t) => Some(t),
            _ => None,
        }) {
            self.templates(out, tmpls, prefix);
        }
        self.other_attrs(out, nlas, family, prefix);
    }

    /// The mark and output mark line.
    fn marks(&self, out: &mut String, nlas: &[XfrmAttrs]) {
        let output = first(nlas, |a| match a {
            XfrmAttrs::MarkVal(v) => Some(*v),
            _ => None,
        })
        .map(|v| {
            let mask = first(nlas, |a| match a {
                XfrmAttrs::MarkMask(m) => Some(*m),
                _ => None,
            });
            format!("output-mark 0x{v:x}") + &mask.map(|m| format!("/0x{m:x}")).unwrap_or_default()
        });
        let mark = first(nlas, |a| match a {
            XfrmAttrs::Mark(m) => Some(m),
            _ => None,
        });
        match (mark, output) {
            (Some(m), o) => {
                *out += &format!(
                    "\tmark {}/{} {}\n",
                    alt_hex(m.value),
                    alt_hex(m.mask),
                    o.unwrap_or_default()
                )
            }
            (None, Some(o)) => *out += &format!("\t{o}\n"),
            (None, None) => {}
        }
    }

    /// `__xfrm_algo_print()` without its newline: `TYPE NAME KEY`.
    fn algo(
        &self,
        out: &mut String,
        prefix: &str,
        kind: &str,
        name: &[u8],
        key_bits: u32,
        key: &[u8],
    ) {
        *out += &format!("{prefix}{kind} {} ", c_str(name));
        let keylen = (key_bits / 8) as usize;
        if key.len() < keylen {
            *out += "(ERROR truncated)";
        } else if self.nokeys {
            *out += "<<Keys hidden>>";
        } else if keylen > 0 {
            *out += "0x";
            for b in &key[..keylen] {
                *out += &format!("{b:02x}");
            }
        }
    }

    fn auth_trunc(&self, out: &mut String, prefix: &str, a: &AlgAuth) {
        self.algo(
            out,
            prefix,
            "auth-trunc",
            &a.alg_name,
            a.alg_key_len,
            &a.alg_key,
        );
        *out += &format!(" {}\n", a.alg_trunc_len as i32);
    }

    fn aead(&self, out: &mut String, prefix: &str, a: &AlgAead) {
        self.algo(out, prefix, "aead", &a.alg_name, a.alg_key_len, &a.alg_key);
        *out += &format!(" {}\n", a.alg_icv_len as i32);
    }

    /// `type T sport S dport D addr A`.
    fn encap(&self, e: &EncapTmpl, family: u16) -> String {
        format!(
            "type {} sport {} dport {} addr {}",
            encap_type(e.encap_type),
            e.encap_sport,
            e.encap_dport,
            addr(family, &e.encap_oa)
        )
    }

    /// `xfrm_tmpl_print()`.
    fn templates(&self, out: &mut String, tmpls: &[UserTemplate], prefix: &str) {
        if tmpls.is_empty() {
            *out += &format!("{prefix}(ERROR \"tmpl\" truncated)\n");
        }
        for t in tmpls {
            *out += prefix;
            self.id_info(
                out, &t.saddr, &t.id, t.mode, t.reqid, t.family, false, prefix, "tmpl ",
            );
            match t.optional {
                0 => {}
                1 => *out += &format!("{prefix}\tlevel use \n"),
                o => *out += &format!("{prefix}\tlevel {o} \n"),
            }
        }
    }

    /// The care-of address, last use, replay state, offload, if_id and TFC
    /// padding lines.
    fn other_attrs(&self, out: &mut String, nlas: &[XfrmAttrs], family: u16, prefix: &str) {
        if let Some(coa) = first(nlas, |a| match a {
            XfrmAttrs::CareOfAddr(c) => Some(c),
            _ => None,
        }) {
            *out += &format!("{prefix}coa {}\n", addr(family, coa));
        }
        if let Some(t) = first(nlas, |a| match a {
            XfrmAttrs::LastUsed(t) => Some(*t),
            _ => None,
        }) {
            *out += &format!("{prefix}lastused {}\n", self.time(t));
        }
        if let Some(r) = first(nlas, |a| match a {
            XfrmAttrs::ReplayState(r) => Some(r),
            _ => None,
        }) {
            *out += &format!(
                "{prefix}anti-replay context: seq 0x{:x}, oseq 0x{:x}, bitmap 0x{:08x}\n",
                r.seq, r.oseq, r.bitmap
            );
        }
        if let Some(r) = first(nlas, |a| match a {
            XfrmAttrs::ReplayStateEsn(r) => Some(r),
            _ => None,
        }) {
            self.replay_esn(out, r, prefix);
        }
        if let Some(o) = first(nlas, |a| match a {
            XfrmAttrs::OffloadDevice(o) => Some(o),
            _ => None,
        }) {
            *out += &format!(
                "{prefix}crypto offload parameters: dev {} dir {}\n",
                interface(self.host, o.ifindex as u32),
                if o.flags & XFRM_OFFLOAD_INBOUND != 0 {
                    "in"
                } else {
                    "out"
                }
            );
        }
        if let Some(id) = first(nlas, |a| match a {
            XfrmAttrs::IfId(i) => Some(*i),
            _ => None,
        }) {
            *out += &format!("{prefix}if_id {}\n", alt_hex(id));
        }
        if let Some(pad) = first(nlas, |a| match a {
            XfrmAttrs::TfcPadding(p) => Some(*p),
            _ => None,
        }) {
            *out += &format!("{prefix}tfcpad {pad}\n");
        }
    }

    /// `strxf_time()`: `-` for never.
    fn time(&self, t: u64) -> String {
        if t == 0 {
            "-".to_string()
        } else {
            self.host.local_time(t)
        }
    }

    fn replay_esn(&self, out: &mut String, r: &ReplayEsn, prefix: &str) {
        *out += &format!(
            "{prefix}anti-replay esn context:\n{prefix} seq-hi 0x{:x}, seq 0x{:x}, oseq-hi 0x{:x}, \
             oseq 0x{:x}\n{prefix} replay_window {}, bitmap-length {}",
            r.seq_hi, r.seq, r.oseq_hi, r.oseq, r.replay_window, r.bmp_len
        );
        let words = (r.bmp_len as usize).min(r.bmp.len());
        for (j, w) in r.bmp[..words].iter().rev().enumerate() {
            if j % 8 == 0 {
                *out += &format!("\n{prefix} ");
            }
            *out += &format!("{w:08x} ");
        }
        *out += "\n";
    }

    /// `xfrm_acquire_print()`.
    fn acquire(&self, out: &mut String, a: &UserAcquire, nlas: &[XfrmAttrs]) {
        let family = match (a.selector.family, a.policy.selector.family) {
            (0, f) => f,
            (f, _) => f,
        };
        *out += &format!("acquire proto {} ", xfrm_proto(a.id.proto));
        if a.id.spi != 0 {
            *out += &format!("spi 0x{:08x} ", a.id.spi);
        }
        *out += "\n";
        *out += &self.selector(&a.selector, family, "  sel ");
        self.policy(out, &a.policy, nlas, "    ", Some("  policy "));
        *out += "\n";
    }

    /// `xfrm_usersa_print()`.
    fn usersa(&self, id: &UserSaId, reqid: u32) -> String {
        format!(
            "dst {}  reqid 0x{reqid:x} protocol {}  SPI 0x{:x}",
            addr(id.family, &id.daddr),
            self.protocol(id.proto),
            id.spi
        )
    }

    /// `xfrm_ae_print()`.
    fn async_event(&self, out: &mut String, id: &AsyncEventId) {
        *out += &format!("Async event  (0x{:x}) ", id.flags);
        for (bit, what) in [
            (16, " replay update "),
            (32, " timer expired "),
            (64, " policy updated "),
        ] {
            if id.flags & bit != 0 {
                *out += what;
            }
        }
        *out += &format!(
            "\n\tsrc {} {}\n",
            addr(id.sa_id.family, &id.saddr),
            self.usersa(&id.sa_id, id.reqid)
        );
    }

    /// `xfrm_mapping_print()`.
    fn mapping(&self, out: &mut String, m: &UserMapping) {
        let f = m.id.family;
        *out += &format!(
            "Mapping change {}:{} -> {}:{}\n\t{}\n",
            addr(f, &m.old_saddr),
            m.old_sport,
            addr(f, &m.new_saddr),
            m.new_sport,
            self.usersa(&m.id, m.reqid)
        );
    }

    /// `xfrm_policy_default_print()`.
    fn policy_default(&self, out: &mut String, m: &DefaultMessage) {
        let name = |p: u8| match p {
            0 => "unspec",
            1 => "block",
            2 => "accept",
            _ => "unknown",
        };
        let d = &m.user_policy;
        *out += &format!(
            "Default policies:\n in:  {}\n fwd: {}\n out: {}\n",
            name(d.input),
            name(d.forward),
            name(d.output)
        );
    }

    /// XFRM_MSG_MIGRATE in the words of `rv6 xfrm migrate`:
    ///
    /// ```text
    /// migrate SELECTOR dir DIR ptype PTYPE
    ///         old src A dst B proto P mode M reqid R
    ///         new src C dst D
    ///         ...
    ///         [ kmaddress LOCAL REMOTE ]
    ///         [ encap TYPE SPORT DPORT OADDR ]
    ///         [ if_id N ]
    /// ```
    fn migrate(&self, out: &mut String, m: &Migrate) {
        let sel = &m.policy.selector;
        let dir = DIRS
            .get(m.policy.direction as usize)
            .map_or_else(|| m.policy.direction.to_string(), |d| d.to_string());
        let pt = first(&m.nlas, |a| match a {
            XfrmAttrs::PolicyType(t) => Some(t.ptype),
            _ => None,
        })
        .unwrap_or(0);
        *out += &format!(
            "migrate {}dir {dir} ptype {}\n",
            self.selector_words(sel, sel.family),
            ptype(pt)
        );
        for e in &m.entries {
            *out += &migrate_entry(e);
        }
        if let Some(k) = first(&m.nlas, |a| match a {
            XfrmAttrs::KmAddress(k) => Some(k),
            _ => None,
        }) {
            *out += &format!(
                "\tkmaddress {} {}\n",
                addr(k.family, &k.local),
                addr(k.family, &k.remote)
            );
        }
        if let Some(e) = first(&m.nlas, |a| match a {
            XfrmAttrs::EncapsulationTemplate(e) => Some(e),
            _ => None,
        }) {
            let family = m.entries.first().map_or(sel.family, |e| e.new_family);
            *out += &format!("\tencap {}\n", encap_words(e, family));
        }
        if let Some(id) = first(&m.nlas, |a| match a {
            XfrmAttrs::IfId(i) => Some(*i),
            _ => None,
        }) {
            *out += &format!("\tif_id {id}\n");
        }
    }

    /// XFRM_MSG_MIGRATE_STATE in the words of `rv6 xfrm migrate-state`:
    ///
    /// ```text
    /// migrate-state dst D proto P spi SPI mark M mask K
    ///         new src A dst B reqid R [ flag FLAG... ]
    ///         sel SELECTOR
    ///         [ new-mark M mask K ] [ output-mark M mask K ] [ encap ... ]
    ///         [ offload dev DEV dir DIR ] [ mapping-maxage S ]
    ///         [ nat-keepalive-interval S ]
    ///         [ dir in | out ]   (the new SA's direction, as the kernel says)
    /// ```
    fn migrate_state(&self, out: &mut String, m: &MigrateState) {
        let s = &m.state;
        *out += &format!(
            "migrate-state dst {} proto {} spi 0x{:08x} mark 0x{:x} mask 0x{:x}\n",
            addr(s.id.family, &s.id.daddr),
            xfrm_proto(s.id.proto),
            s.id.spi,
            s.old_mark.value,
            s.old_mark.mask
        );
        *out += &format!(
            "\tnew src {} dst {} reqid {}",
            addr(s.new_family, &s.new_saddr),
            addr(s.new_family, &s.new_daddr),
            s.new_reqid
        );
        if s.flags != 0 {
            *out += " flag ";
            *out += &flag_words(
                s.flags,
                &[
                    (XFRM_MIGRATE_STATE_CLEAR_OFFLOAD, "clear-offload"),
                    (XFRM_MIGRATE_STATE_UPDATE_H2H_SEL, "update-h2h-sel"),
                ],
            );
        }
        *out += "\n";
        *out += &format!(
            "\tsel {}\n",
            self.selector_words(&s.new_sel, s.new_family).trim_end()
        );
        for line in self.migrate_state_attrs(&m.nlas, s.new_family) {
            *out += &format!("\t{line}\n");
        }
    }

    /// The attributes of a MIGRATE_STATE, one argument group each, in the
    /// order the kernel puts them.
    fn migrate_state_attrs(&self, nlas: &[XfrmAttrs], family: u16) -> Vec<String> {
        let mut lines = Vec::new();
        for a in nlas {
            let line = match a {
                XfrmAttrs::Mark(m) => format!("new-mark {}", mark_words(m)),
                XfrmAttrs::MarkVal(v) => {
                    let mask = first(nlas, |a| match a {
                        XfrmAttrs::MarkMask(m) => Some(*m),
                        _ => None,
                    });
                    format!("output-mark 0x{v:x} mask 0x{:x}", mask.unwrap_or(u32::MAX))
                }
                XfrmAttrs::EncapsulationTemplate(e) if e.encap_type == 0 => {
                    "encap none".to_string()
                }
                XfrmAttrs::EncapsulationTemplate(e) => format!("encap {}", encap_words(e, family)),
                XfrmAttrs::OffloadDevice(o) => format!(
                    "offload {} dev {} dir {}",
                    if o.flags & XFRM_OFFLOAD_PACKET != 0 {
                        "packet"
                    } else {
                        "crypto"
                    },
                    interface(self.host, o.ifindex as u32),
                    if o.flags & XFRM_OFFLOAD_INBOUND != 0 {
                        "in"
                    } else {
                        "out"
                    }
                ),
                XfrmAttrs::MappingTimeThreshold(t) => format!("mapping-maxage {t}"),
                XfrmAttrs::Other(nla) => {
                    match (nla.kind(), other_value(std::slice::from_ref(a), nla.kind())) {
                        (XFRMA_NAT_KEEPALIVE_INTERVAL, Some(v)) if v.len() == 4 => {
                            format!(
                                "nat-keepalive-interval {}",
                                u32::from_ne_bytes([v[0], v[1], v[2], v[3]])
                            )
                        }
                        (XFRMA_SA_DIR, Some(v)) if v.len() == 1 => match v[0] {
                            1 => "dir in".to_string(),
                            2 => "dir out".to_string(),
                            d => format!("dir {d}"),
                        },
                        _ => continue,
                    }
                }
                _ => continue,
            };
            lines.push(line);
        }
        lines
    }
}

/// One MIGRATE entry, `\told src ... reqid R\n\tnew src ... dst ...\n`.
fn migrate_entry(e: &UserMigrate) -> String {
    format!(
        "\told src {} dst {} proto {} mode {} reqid {}\n\tnew src {} dst {}\n",
        addr(e.old_family, &e.old_saddr),
        addr(e.old_family, &e.old_daddr),
        xfrm_proto(e.proto),
        mode(e.mode),
        e.reqid,
        addr(e.new_family, &e.new_saddr),
        addr(e.new_family, &e.new_daddr)
    )
}

/// `TYPE SPORT DPORT OADDR`, as `encap` takes them.
pub fn encap_words(e: &EncapTmpl, family: u16) -> String {
    format!(
        "{} {} {} {}",
        encap_type(e.encap_type),
        e.encap_sport,
        e.encap_dport,
        addr(family, &e.encap_oa)
    )
}

/// A mark as `mark`'s words: `0xV mask 0xM`.
pub fn mark_words(m: &Mark) -> String {
    format!("0x{:x} mask 0x{:x}", m.value, m.mask)
}

/// iproute2's line for a message it does not know.
fn unknown(h: &NetlinkHeader) -> String {
    format!(
        "Unknown message: {:08} 0x{:08x} 0x{:08x}\n",
        h.length, h.message_type, h.flags
    )
}

#[cfg(test)]
mod tests;
