//! XFRM messages as `-j` prints them: one [`Event`] per message, family
//! `xfrm`, named after the message type (`newsa`, `delpolicy`, `migrate`,
//! `migrate-state`, ...), its fields under the words the text and the
//! commands use (`src`, `dst`, `proto`, `spi`, `reqid`, `mode`, `sel`,
//! ...), numbers as numbers, addresses and names as strings. Unlike the
//! text, which is iproute2's, it keeps every field rv6 decodes: the SA's
//! lifetime counters, its replay and statistics, the attributes after
//! iproute2 6.1's last.

use netlink_packet_core::{
    NetlinkHeader,
    NetlinkPayload,
    Nla, //
};
use netlink_packet_xfrm::{
    Address,
    EncapTmpl,
    Lifetime,
    Mark,
    Selector,
    UserMigrate,
    UserPolicyInfo,
    UserSaId,
    UserSaInfo,
    UserTemplate,
    XfrmAttrs,
    XfrmMessage,
    AF_INET,
    AF_INET6, //
};

use crate::output::{
    Event,
    Record,
    Value, //
};
use crate::xfrm::names::{
    addr,
    interface,
    Host, //
};
use crate::xfrm::text::{
    encap_type,
    mode,
    ptype,
    xfrm_proto,
    DIRS,
    XFRM_OFFLOAD_INBOUND,
    XFRM_OFFLOAD_PACKET, //
};
use crate::xfrm::wire::{
    other_value,
    Migrate,
    MigrateState,
    XfrmMsg,
    XFRMA_NAT_KEEPALIVE_INTERVAL,
    XFRMA_SA_DIR,
    XFRMA_SA_PCPU, //
};

/// The family name every XFRM event carries.
pub const FAMILY: &str = "xfrm";

/// Builds the records of XFRM messages.
pub struct Json<'a> {
    pub host: &'a dyn Host,
    /// `nokeys`: leave the keys out.
    pub nokeys: bool,
}

fn str(s: impl Into<String>) -> Value {
    Value::Str(s.into())
}

fn num(n: impl Into<u64>) -> Value {
    Value::U64(n.into())
}

fn family_name(f: u16) -> Value {
    match f {
        AF_INET => str("inet"),
        AF_INET6 => str("inet6"),
        f => num(f),
    }
}

fn mark(m: &Mark) -> Value {
    let mut r = Record::default();
    r.push("value", num(m.value));
    r.push("mask", num(m.mask));
    Value::Nest(r)
}

fn u32_of(v: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

impl Json<'_> {
    /// The event of one message; `None` for the netlink control messages.
    pub fn event(
        &self,
        header: &NetlinkHeader,
        payload: &NetlinkPayload<XfrmMsg>,
    ) -> Option<Event> {
        let msg = match payload {
            NetlinkPayload::InnerMessage(m) => m,
            NetlinkPayload::Error(_) | NetlinkPayload::Done(_) | NetlinkPayload::Noop => {
                return None
            }
            _ => {
                return Some(Event {
                    family: FAMILY,
                    name: header.message_type.to_string(),
                    msg: Record::default(),
                })
            }
        };
        let (name, msg) = match msg {
            XfrmMsg::Crate(m) => self.crate_message(header, m),
            XfrmMsg::Expire(e) => {
                let mut r = self.state(&e.expire.state, &e.nlas);
                r.push("hard", num(e.expire.hard));
                ("expire".to_string(), r)
            }
            XfrmMsg::Migrate(m) => ("migrate".to_string(), self.migrate(m)),
            XfrmMsg::MigrateState(m) => ("migrate-state".to_string(), self.migrate_state(m)),
        };
        Some(Event {
            family: FAMILY,
            name,
            msg,
        })
    }

    fn crate_message(&self, header: &NetlinkHeader, msg: &XfrmMessage) -> (String, Record) {
        use XfrmMessage::*;
        let (name, r) = match msg {
            AddSa(m) => ("newsa", self.state(&m.user_sa_info, &m.nlas)),
            UpdateSa(m) => ("updsa", self.state(&m.user_sa_info, &m.nlas)),
            DeleteSa(m) => ("delsa", self.deleted_state(&m.user_sa_id, &m.nlas)),
            AddPolicy(m) => ("newpolicy", self.policy(&m.user_policy_info, &m.nlas)),
            UpdatePolicy(m) => ("updpolicy", self.policy(&m.user_policy_info, &m.nlas)),
            DeletePolicy(m) => {
                let r = match m.nlas.iter().find_map(|a| match a {
                    XfrmAttrs::PolicyInfo(i) => Some(i),
                    _ => None,
                }) {
                    Some(info) => self.policy(info, &m.nlas),
                    None => {
                        let mut r = Record::default();
                        r.push("sel", self.selector(&m.user_policy_id.selector, 0));
                        r.push("dir", dir(m.user_policy_id.direction));
                        r.push("index", num(m.user_policy_id.index));
                        self.attrs(&mut r, &m.nlas, 0);
                        r
                    }
                };
                ("delpolicy", r)
            }
            PolicyExpire(m) => {
                let mut r = self.policy(&m.expire.pol, &m.nlas);
                r.push("hard", num(m.expire.hard));
                ("polexpire", r)
            }
            Acquire(m) => {
                let a = &m.acquire;
                let mut r = Record::default();
                r.push("proto", str(xfrm_proto(a.id.proto)));
                r.push("spi", num(a.id.spi));
                let family = if a.selector.family == 0 {
                    a.policy.selector.family
                } else {
                    a.selector.family
                };
                r.push("src", str(addr(family, &a.saddr)));
                r.push("dst", str(addr(family, &a.id.daddr)));
                r.push("sel", self.selector(&a.selector, family));
                r.push("policy", Value::Nest(self.policy(&a.policy, &m.nlas)));
                r.push("seq", num(a.seq));
                ("acquire", r)
            }
            FlushSa(m) => {
                let mut r = Record::default();
                r.push("proto", str(xfrm_proto(m.protocol)));
                ("flushsa", r)
            }
            FlushPolicy(m) => {
                let mut r = Record::default();
                self.attrs(&mut r, &m.nlas, 0);
                ("flushpolicy", r)
            }
            Report(m) => {
                let f = m.report.selector.family;
                let mut r = Record::default();
                r.push("proto", str(xfrm_proto(m.report.proto)));
                r.push("sel", self.selector(&m.report.selector, f));
                self.attrs(&mut r, &m.nlas, f);
                ("report", r)
            }
            NewAsyncEvent(m) => {
                let mut r = self.sa_id(&m.id.sa_id);
                r.push("src", str(addr(m.id.sa_id.family, &m.id.saddr)));
                r.push("reqid", num(m.id.reqid));
                r.push("flags", num(m.id.flags));
                self.attrs(&mut r, &m.nlas, m.id.sa_id.family);
                ("newae", r)
            }
            Mapping(m) => {
                let f = m.map.id.family;
                let mut r = self.sa_id(&m.map.id);
                r.push("reqid", num(m.map.reqid));
                r.push("old-src", str(addr(f, &m.map.old_saddr)));
                r.push("old-sport", num(m.map.old_sport));
                r.push("new-src", str(addr(f, &m.map.new_saddr)));
                r.push("new-sport", num(m.map.new_sport));
                ("mapping", r)
            }
            GetPolicyDefault(m) => {
                let mut r = Record::default();
                r.push("in", num(m.user_policy.input));
                r.push("fwd", num(m.user_policy.forward));
                r.push("out", num(m.user_policy.output));
                ("getdefault", r)
            }
            _ => return (header.message_type.to_string(), Record::default()),
        };
        (name.to_string(), r)
    }

    /// A selector: family, `src`/`dst` as `ADDR/PLEN`, the protocol and
    /// its ports (or ICMP type and code, GRE key, MH type), the device.
    pub fn selector(&self, sel: &Selector, family: u16) -> Value {
        let f = if sel.family == 0 { family } else { sel.family };
        let mut r = Record::default();
        r.push("family", family_name(sel.family));
        r.push(
            "src",
            str(format!("{}/{}", addr(f, &sel.saddr), sel.prefixlen_s)),
        );
        r.push(
            "dst",
            str(format!("{}/{}", addr(f, &sel.daddr), sel.prefixlen_d)),
        );
        if sel.proto != 0 {
            let name = self.host.protocol(sel.proto);
            r.push("proto", name.map_or_else(|| num(sel.proto), str));
        }
        let (s, d) = match sel.proto {
            1 | 58 => ("type", "code"),
            135 => ("type", "dport"),
            _ => ("sport", "dport"),
        };
        if sel.proto == 47 && (sel.sport_mask != 0 || sel.dport_mask != 0) {
            r.push(
                "key",
                num((u32::from(sel.sport) << 16) + u32::from(sel.dport)),
            );
        } else {
            if sel.sport_mask != 0 {
                r.push(s, num(sel.sport));
            }
            if sel.dport_mask != 0 {
                r.push(d, num(sel.dport));
            }
        }
        if sel.ifindex > 0 {
            r.push("dev", str(interface(self.host, sel.ifindex as u32)));
        }
        Value::Nest(r)
    }

    fn sa_id(&self, id: &UserSaId) -> Record {
        let mut r = Record::default();
        r.push("family", family_name(id.family));
        r.push("dst", str(addr(id.family, &id.daddr)));
        r.push("proto", str(xfrm_proto(id.proto)));
        r.push("spi", num(id.spi));
        r
    }

    /// An SA, with its counters.
    fn state(&self, info: &UserSaInfo, nlas: &[XfrmAttrs]) -> Record {
        let f = info.family;
        let mut r = Record::default();
        r.push("family", family_name(f));
        r.push("src", str(addr(f, &info.saddr)));
        r.push("dst", str(addr(f, &info.id.daddr)));
        r.push("proto", str(xfrm_proto(info.id.proto)));
        r.push("spi", num(info.id.spi));
        r.push("reqid", num(info.reqid));
        r.push("mode", str(mode(info.mode)));
        r.push("replay-window", num(info.replay_window));
        let names = [
            "noecn",
            "decap-dscp",
            "nopmtudisc",
            "wildrecv",
            "icmp",
            "af-unspec",
            "align4",
            "esn",
        ];
        let flags = flag_list(info.flags.into(), &names);
        if !flags.is_empty() {
            r.push("flag", Value::Repeated(flags));
        }
        r.push("sel", self.selector(&info.selector, f));
        r.push("lifetime", lifetime(&info.lifetime_cur));
        let mut stats = Record::default();
        stats.push("replay-window", num(info.stats.replay_window));
        stats.push("replay", num(info.stats.replay));
        stats.push("integrity-failed", num(info.stats.integrity_failed));
        r.push("stats", Value::Nest(stats));
        r.push("seq", num(info.seq));
        self.attrs(&mut r, nlas, f);
        r
    }

    /// A deleted SA: its XFRMA_SA, else the id.
    fn deleted_state(&self, id: &UserSaId, nlas: &[XfrmAttrs]) -> Record {
        match nlas.iter().find_map(|a| match a {
            XfrmAttrs::SaInfo(i) => Some(i),
            _ => None,
        }) {
            Some(info) => self.state(info, nlas),
            None => {
                let mut r = self.sa_id(id);
                self.attrs(&mut r, nlas, id.family);
                r
            }
        }
    }

    fn policy(&self, info: &UserPolicyInfo, nlas: &[XfrmAttrs]) -> Record {
        let mut r = Record::default();
        r.push("sel", self.selector(&info.selector, 0));
        if info.direction >= 3 {
            r.push("socket", Value::Flag);
        }
        r.push("dir", dir(info.direction % 3));
        r.push(
            "action",
            match info.action {
                0 => str("allow"),
                1 => str("block"),
                a => num(a),
            },
        );
        r.push("index", num(info.index));
        r.push("priority", num(info.priority));
        let flags = flag_list(info.flags.into(), &["localok", "icmp"]);
        if !flags.is_empty() {
            r.push("flag", Value::Repeated(flags));
        }
        r.push("lifetime", lifetime(&info.lifetime_cur));
        self.attrs(&mut r, nlas, info.selector.family);
        r
    }

    /// The attributes, in message order, each once (the first), under the
    /// words the text uses.
    fn attrs(&self, r: &mut Record, nlas: &[XfrmAttrs], family: u16) {
        for a in nlas {
            let Some((key, value)) = self.attr(a, nlas, family) else {
                continue;
            };
            if r.get(key).is_none() {
                r.push(key, value);
            }
        }
    }

    fn attr(
        &self,
        a: &XfrmAttrs,
        nlas: &[XfrmAttrs],
        family: u16,
    ) -> Option<(&'static str, Value)> {
        use XfrmAttrs::*;
        Some(match a {
            Mark(m) => ("mark", mark(m)),
            MarkVal(v) => {
                let mut r = Record::default();
                r.push("value", num(*v));
                if let Some(m) = nlas.iter().find_map(|a| match a {
                    MarkMask(m) => Some(*m),
                    _ => None,
                }) {
                    r.push("mask", num(m));
                }
                ("output-mark", Value::Nest(r))
            }
            AuthenticationAlg(alg) => (
                "auth",
                self.algo(&alg.alg_name, alg.alg_key_len, &alg.alg_key, None),
            ),
            AuthenticationAlgTrunc(alg) => (
                "auth-trunc",
                self.algo(
                    &alg.alg_name,
                    alg.alg_key_len,
                    &alg.alg_key,
                    Some(("trunc-len", alg.alg_trunc_len)),
                ),
            ),
            EncryptionAlgAead(alg) => (
                "aead",
                self.algo(
                    &alg.alg_name,
                    alg.alg_key_len,
                    &alg.alg_key,
                    Some(("icv-len", alg.alg_icv_len)),
                ),
            ),
            EncryptionAlg(alg) => (
                "enc",
                self.algo(&alg.alg_name, alg.alg_key_len, &alg.alg_key, None),
            ),
            CompressionAlg(alg) => (
                "comp",
                self.algo(&alg.alg_name, alg.alg_key_len, &alg.alg_key, None),
            ),
            EncapsulationTemplate(e) => ("encap", encap(e, family)),
            Template(t) => ("tmpl", Value::List(t.iter().map(template).collect())),
            CareOfAddr(c) => ("coa", str(addr(family, c))),
            LastUsed(t) => ("lastused", num(*t)),
            ReplayState(rs) => {
                let mut r = Record::default();
                r.push("seq", num(rs.seq));
                r.push("oseq", num(rs.oseq));
                r.push("bitmap", num(rs.bitmap));
                ("anti-replay", Value::Nest(r))
            }
            ReplayStateEsn(rs) => {
                let mut r = Record::default();
                r.push("seq-hi", num(rs.seq_hi));
                r.push("seq", num(rs.seq));
                r.push("oseq-hi", num(rs.oseq_hi));
                r.push("oseq", num(rs.oseq));
                r.push("replay-window", num(rs.replay_window));
                r.push(
                    "bitmap",
                    Value::Repeated(rs.bmp.iter().map(|w| num(*w)).collect()),
                );
                ("anti-replay-esn", Value::Nest(r))
            }
            OffloadDevice(o) => {
                let mut r = Record::default();
                r.push("dev", str(interface(self.host, o.ifindex as u32)));
                let inbound = o.flags & XFRM_OFFLOAD_INBOUND != 0;
                r.push("dir", str(if inbound { "in" } else { "out" }));
                let packet = o.flags & XFRM_OFFLOAD_PACKET != 0;
                r.push("mode", str(if packet { "packet" } else { "crypto" }));
                ("offload", Value::Nest(r))
            }
            IfId(i) => ("if_id", num(*i)),
            TfcPadding(p) => ("tfcpad", num(*p)),
            PolicyType(t) => ("ptype", str(ptype(t.ptype))),
            KmAddress(k) => {
                let mut r = Record::default();
                r.push("local", str(addr(k.family, &k.local)));
                r.push("remote", str(addr(k.family, &k.remote)));
                ("kmaddress", Value::Nest(r))
            }
            SecurityContext(c) => {
                let n = (c.ctx_len as usize).min(c.ctx_str.len());
                (
                    "security-context",
                    str(String::from_utf8_lossy(&c.ctx_str[..n])),
                )
            }
            ExtraFlags(f) => ("extra-flag", num(*f)),
            MappingTimeThreshold(t) => ("mapping-maxage", num(*t)),
            Other(nla) => {
                let v = other_value(std::slice::from_ref(a), nla.kind())?;
                match nla.kind() {
                    XFRMA_SA_DIR => (
                        "dir",
                        match v.first() {
                            Some(1) => str("in"),
                            Some(2) => str("out"),
                            d => num(d.copied().unwrap_or_default()),
                        },
                    ),
                    XFRMA_NAT_KEEPALIVE_INTERVAL => ("nat-keepalive-interval", num(u32_of(&v)?)),
                    XFRMA_SA_PCPU => ("pcpu-num", num(u32_of(&v)?)),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// An algorithm: its name, key (unless `nokeys`) and key bits, and
    /// `extra`'s length field.
    fn algo(
        &self,
        name: &[u8],
        bits: u32,
        key: &[u8],
        extra: Option<(&'static str, u32)>,
    ) -> Value {
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let mut r = Record::default();
        r.push("name", str(String::from_utf8_lossy(&name[..end])));
        let keylen = ((bits / 8) as usize).min(key.len());
        if !self.nokeys {
            let hex: String = key[..keylen].iter().map(|b| format!("{b:02x}")).collect();
            r.push("key", str(format!("0x{hex}")));
        }
        r.push("key-bits", num(bits));
        if let Some((k, v)) = extra {
            r.push(k, num(v));
        }
        Value::Nest(r)
    }

    fn migrate(&self, m: &Migrate) -> Record {
        let sel = &m.policy.selector;
        let mut r = Record::default();
        r.push("sel", self.selector(sel, sel.family));
        r.push("dir", dir(m.policy.direction));
        let pt = m.nlas.iter().find_map(|a| match a {
            XfrmAttrs::PolicyType(t) => Some(t.ptype),
            _ => None,
        });
        r.push("ptype", str(ptype(pt.unwrap_or(0))));
        r.push(
            "entries",
            Value::List(m.entries.iter().map(migrate_entry).collect()),
        );
        let family = m.entries.first().map_or(sel.family, |e| e.new_family);
        self.attrs(&mut r, &m.nlas, family);
        r
    }

    fn migrate_state(&self, m: &MigrateState) -> Record {
        let s = &m.state;
        let mut r = self.sa_id(&s.id);
        r.push("mark", mark(&s.old_mark));
        r.push("new", endpoints(s.new_family, &s.new_saddr, &s.new_daddr));
        r.push("reqid", num(s.new_reqid));
        // XFRM_MIGRATE_STATE_CLEAR_OFFLOAD (bit 0), _UPDATE_H2H_SEL (bit 1).
        let flags = flag_list(s.flags, &["clear-offload", "update-h2h-sel"]);
        if !flags.is_empty() {
            r.push("flag", Value::Repeated(flags));
        }
        r.push("sel", self.selector(&s.new_sel, s.new_family));
        let mut attrs = Record::default();
        self.attrs(&mut attrs, &m.nlas, s.new_family);
        for (k, v) in attrs.fields() {
            let k = if *k == "mark" { "new-mark" } else { k };
            r.push(k, v.clone());
        }
        r
    }
}

fn dir(d: u8) -> Value {
    DIRS.get(d as usize).map_or_else(|| num(d), |d| str(*d))
}

/// The names of the bits of `flags` (bit i named `names[i]`), then what
/// is left as a number.
fn flag_list(flags: u32, names: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut left = flags;
    for (i, n) in names.iter().enumerate() {
        if flags & (1 << i) != 0 {
            out.push(str(*n));
            left &= !(1 << i);
        }
    }
    if left != 0 {
        out.push(num(left));
    }
    out
}

fn lifetime(l: &Lifetime) -> Value {
    let mut r = Record::default();
    r.push("bytes", num(l.bytes));
    r.push("packets", num(l.packets));
    r.push("add-time", num(l.add_time));
    r.push("use-time", num(l.use_time));
    Value::Nest(r)
}

fn encap(e: &EncapTmpl, family: u16) -> Value {
    let mut r = Record::default();
    r.push("type", str(encap_type(e.encap_type)));
    r.push("sport", num(e.encap_sport));
    r.push("dport", num(e.encap_dport));
    r.push("addr", str(addr(family, &e.encap_oa)));
    Value::Nest(r)
}

fn template(t: &UserTemplate) -> Record {
    let mut r = Record::default();
    r.push("family", family_name(t.family));
    r.push("src", str(addr(t.family, &t.saddr)));
    r.push("dst", str(addr(t.family, &t.id.daddr)));
    r.push("proto", str(xfrm_proto(t.id.proto)));
    r.push("spi", num(t.id.spi));
    r.push("reqid", num(t.reqid));
    r.push("mode", str(mode(t.mode)));
    r.push(
        "level",
        match t.optional {
            0 => str("required"),
            1 => str("use"),
            o => num(o),
        },
    );
    r
}

fn endpoints(family: u16, src: &Address, dst: &Address) -> Value {
    let mut r = Record::default();
    r.push("family", family_name(family));
    r.push("src", str(addr(family, src)));
    r.push("dst", str(addr(family, dst)));
    Value::Nest(r)
}

fn migrate_entry(e: &UserMigrate) -> Record {
    let mut r = Record::default();
    r.push("old", endpoints(e.old_family, &e.old_saddr, &e.old_daddr));
    r.push("new", endpoints(e.new_family, &e.new_saddr, &e.new_daddr));
    r.push("proto", str(xfrm_proto(e.proto)));
    r.push("mode", str(mode(e.mode)));
    r.push("reqid", num(e.reqid));
    r
}
