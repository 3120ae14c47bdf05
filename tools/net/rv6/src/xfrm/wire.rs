//! XFRM netlink messages: the `netlink-packet-xfrm` crate's, and rv6's
//! additions for what it lacks, built the way the crate builds its own (a
//! `#[repr(C, packed)]` zerocopy buffer per C struct, filled by the crate's
//! types emitting themselves, so no field is placed by hand):
//!
//! - [`XFRM_MSG_MIGRATE_STATE`] (Linux 7.3, per-SA migration) with
//!   [`UserMigrateState`], `struct xfrm_user_migrate_state`;
//! - [`Migrate`]: the crate's `MigrateMessage` keeps one
//!   `xfrm_user_migrate` per XFRMA_MIGRATE attribute, which is how the
//!   kernel multicasts them, but a request must carry every entry in *one*
//!   attribute (`copy_from_user_migrate()` divides its length by the
//!   struct's): this type emits them so and parses both forms;
//! - [`Expire`]: the crate's `ExpireMessage` drops the attributes after
//!   `xfrm_user_expire` (mark, if_id, ...), which `ip xfrm monitor` prints;
//! - the attributes after XFRMA_MTIMER_THRESH (XFRMA_SA_DIR, ...), which
//!   the crate parses as `XfrmAttrs::Other`: [`u32_attr`] builds them and
//!   [`other_value`] reads them;
//! - a length check before each of the crate's parsers, which slice their
//!   fixed header without one (a short message would panic).
//!
//! [`XfrmMsg`] is the message type of the rv6 XFRM socket: the crate's
//! `XfrmMessage` for everything it knows, beside these.

use std::mem::size_of;

use netlink_packet_core::{
    emit_u32,
    DecodeError,
    DefaultNla,
    Emitable,
    ErrorContext,
    NetlinkDeserializable,
    NetlinkHeader,
    NetlinkPayload,
    NetlinkSerializable,
    Nla,
    NlasIterator,
    Parseable,
    ParseableParametrized, //
};
use netlink_packet_xfrm::{
    Address,
    Mark,
    Selector,
    UserExpire,
    UserMigrate,
    UserPolicyId,
    UserSaId,
    XfrmAttrs,
    XfrmMessage,
    XFRMA_MIGRATE,
    XFRM_ADDRESS_LEN,
    XFRM_ASYNC_EVENT_ID_LEN,
    XFRM_MARK_LEN,
    XFRM_MSG_ACQUIRE,
    XFRM_MSG_DELPOLICY,
    XFRM_MSG_DELSA,
    XFRM_MSG_EXPIRE,
    XFRM_MSG_FLUSHPOLICY,
    XFRM_MSG_FLUSHSA,
    XFRM_MSG_GETDEFAULT,
    XFRM_MSG_MAPPING,
    XFRM_MSG_MIGRATE,
    XFRM_MSG_NEWAE,
    XFRM_MSG_NEWPOLICY,
    XFRM_MSG_NEWSA,
    XFRM_MSG_POLEXPIRE,
    XFRM_MSG_REPORT,
    XFRM_MSG_UPDPOLICY,
    XFRM_MSG_UPDSA,
    XFRM_SELECTOR_LEN,
    XFRM_USER_ACQUIRE_LEN,
    XFRM_USER_EXPIRE_LEN,
    XFRM_USER_MAPPING_LEN,
    XFRM_USER_MIGRATE_LEN,
    XFRM_USER_POLICY_EXPIRE_LEN,
    XFRM_USER_POLICY_ID_LEN,
    XFRM_USER_POLICY_INFO_LEN,
    XFRM_USER_REPORT_LEN,
    XFRM_USER_SA_ID_LEN,
    XFRM_USER_SA_INFO_LEN, //
};
use zerocopy::{
    FromBytes,
    Immutable,
    IntoBytes,
    KnownLayout,
    Unaligned, //
};

/// `XFRM_MSG_MIGRATE_STATE` (include/uapi/linux/xfrm.h, Linux 7.3): move one
/// SA, named by its id, to new addresses.
pub const XFRM_MSG_MIGRATE_STATE: u16 = 0x29;

/// The attributes after the crate's last (XFRMA_MTIMER_THRESH, 32).
pub const XFRMA_SA_DIR: u16 = 33;
pub const XFRMA_NAT_KEEPALIVE_INTERVAL: u16 = 34;
pub const XFRMA_SA_PCPU: u16 = 35;

/// `enum xfrm_migrate_state_flags`: do not inherit the SA's offload.
pub const XFRM_MIGRATE_STATE_CLEAR_OFFLOAD: u32 = 1;
/// ... and derive the new SA's selector from its new addresses (a
/// host-to-host selector), instead of taking `new_sel`.
pub const XFRM_MIGRATE_STATE_UPDATE_H2H_SEL: u32 = 2;

/// XFRM_MAX_DEPTH (include/net/xfrm.h): the most entries one MIGRATE moves.
pub const XFRM_MAX_DEPTH: usize = 6;

/// `sizeof(struct xfrm_user_migrate_state)`.
pub const XFRM_USER_MIGRATE_STATE_LEN: usize = 132;
/// `sizeof(struct xfrm_userpolicy_default)`.
const XFRM_USER_POLICY_DEFAULT_LEN: usize = 3;

/// `struct xfrm_user_migrate_state`: the SA to move (`id` and the mark it
/// is looked up with), where to, and what the new SA is to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserMigrateState {
    /// The SA: destination, SPI, family and protocol.
    pub id: UserSaId,
    pub new_daddr: Address,
    pub new_saddr: Address,
    /// The mark the SA is found by (`v & m`); the new SA's mark too unless
    /// XFRMA_MARK gives another.
    pub old_mark: Mark,
    /// The new SA's selector, taken as it is (unless
    /// [`XFRM_MIGRATE_STATE_UPDATE_H2H_SEL`]).
    pub new_sel: Selector,
    /// The new SA's reqid, taken as it is: 0 is 0, not "unchanged".
    pub new_reqid: u32,
    pub flags: u32,
    pub new_family: u16,
    /// Must be 0 (the kernel refuses other values).
    pub reserved: u16,
}

/// The C layout of [`UserMigrateState`], its structs as byte arrays that
/// the crate's types fill.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C, packed)]
struct UserMigrateStateBuffer {
    id: [u8; XFRM_USER_SA_ID_LEN],
    new_daddr: [u8; XFRM_ADDRESS_LEN],
    new_saddr: [u8; XFRM_ADDRESS_LEN],
    old_mark: [u8; XFRM_MARK_LEN],
    new_sel: [u8; XFRM_SELECTOR_LEN],
    new_reqid: u32,
    flags: u32,
    new_family: u16,
    reserved: u16,
}

const _: () = assert!(size_of::<UserMigrateStateBuffer>() == XFRM_USER_MIGRATE_STATE_LEN);

impl UserMigrateState {
    pub fn parse(payload: &[u8]) -> Result<Self, DecodeError> {
        let (raw, _) = UserMigrateStateBuffer::ref_from_prefix(payload).map_err(|_| {
            DecodeError::buffer_too_small(payload.len(), XFRM_USER_MIGRATE_STATE_LEN)
        })?;
        Ok(UserMigrateState {
            id: UserSaId::parse(&raw.id).context("xfrm_user_migrate_state id")?,
            new_daddr: Address::parse(&raw.new_daddr)?,
            new_saddr: Address::parse(&raw.new_saddr)?,
            old_mark: Mark::parse(&raw.old_mark)?,
            new_sel: Selector::parse(&raw.new_sel).context("xfrm_user_migrate_state new_sel")?,
            new_reqid: raw.new_reqid,
            flags: raw.flags,
            new_family: raw.new_family,
            reserved: raw.reserved,
        })
    }
}

impl Emitable for UserMigrateState {
    fn buffer_len(&self) -> usize {
        XFRM_USER_MIGRATE_STATE_LEN
    }

    fn emit(&self, buffer: &mut [u8]) {
        let mut raw = UserMigrateStateBuffer {
            id: [0; XFRM_USER_SA_ID_LEN],
            new_daddr: [0; XFRM_ADDRESS_LEN],
            new_saddr: [0; XFRM_ADDRESS_LEN],
            old_mark: [0; XFRM_MARK_LEN],
            new_sel: [0; XFRM_SELECTOR_LEN],
            new_reqid: self.new_reqid,
            flags: self.flags,
            new_family: self.new_family,
            reserved: self.reserved,
        };
        self.id.emit(&mut raw.id);
        self.new_daddr.emit(&mut raw.new_daddr);
        self.new_saddr.emit(&mut raw.new_saddr);
        self.old_mark.emit(&mut raw.old_mark);
        self.new_sel.emit(&mut raw.new_sel);
        buffer[..XFRM_USER_MIGRATE_STATE_LEN].copy_from_slice(raw.as_bytes());
    }
}

/// Emits `attrs` after a fixed header of `head` bytes already written.
fn emit_after(head: usize, attrs: &[XfrmAttrs], buffer: &mut [u8]) {
    attrs.emit(&mut buffer[head..]);
}

/// The attributes in `buf`, by the crate's parser.
pub fn parse_attrs(buf: &[u8]) -> Result<Vec<XfrmAttrs>, DecodeError> {
    NlasIterator::new(buf)
        .map(|nla| XfrmAttrs::parse(&nla?))
        .collect()
}

/// `XFRM_MSG_MIGRATE_STATE`: the request, and the notification the kernel
/// multicasts after it (the same header, `new_sel` the selector the new SA
/// got, and the attributes the new SA has).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrateState {
    pub state: UserMigrateState,
    /// XFRMA_MARK, _ENCAP, _OFFLOAD_DEV, _SET_MARK(_MASK), _MTIMER_THRESH,
    /// _NAT_KEEPALIVE_INTERVAL (the only ones the kernel accepts here), and
    /// XFRMA_SA_DIR in the notification.
    pub nlas: Vec<XfrmAttrs>,
}

impl Emitable for MigrateState {
    fn buffer_len(&self) -> usize {
        XFRM_USER_MIGRATE_STATE_LEN + self.nlas.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.state.emit(buffer);
        emit_after(XFRM_USER_MIGRATE_STATE_LEN, &self.nlas, buffer);
    }
}

impl Parseable<[u8]> for MigrateState {
    fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        Ok(MigrateState {
            state: UserMigrateState::parse(buf)?,
            nlas: parse_attrs(&buf[XFRM_USER_MIGRATE_STATE_LEN..])?,
        })
    }
}

/// The entries of a MIGRATE request: one XFRMA_MIGRATE attribute holding
/// every `xfrm_user_migrate`, back to back.
struct MigrateEntries<'a>(&'a [UserMigrate]);

impl Nla for MigrateEntries<'_> {
    fn value_len(&self) -> usize {
        self.0.len() * XFRM_USER_MIGRATE_LEN
    }

    fn kind(&self) -> u16 {
        XFRMA_MIGRATE
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        for (entry, chunk) in self.0.iter().zip(buffer.chunks_mut(XFRM_USER_MIGRATE_LEN)) {
            entry.emit(chunk);
        }
    }
}

/// `XFRM_MSG_MIGRATE`: the policy (selector, direction) whose templates
/// and SAs move, the moves, and the other attributes (XFRMA_KMADDRESS,
/// _ENCAP, _POLICY_TYPE, _IF_ID).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Migrate {
    pub policy: UserPolicyId,
    /// In order; the request carries them in one attribute.
    pub entries: Vec<UserMigrate>,
    pub nlas: Vec<XfrmAttrs>,
}

impl Emitable for Migrate {
    fn buffer_len(&self) -> usize {
        XFRM_USER_POLICY_ID_LEN
            + [MigrateEntries(&self.entries)].as_slice().buffer_len()
            + self.nlas.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.policy.emit(buffer);
        let entries = [MigrateEntries(&self.entries)];
        let entries_len = entries.as_slice().buffer_len();
        entries
            .as_slice()
            .emit(&mut buffer[XFRM_USER_POLICY_ID_LEN..][..entries_len]);
        emit_after(XFRM_USER_POLICY_ID_LEN + entries_len, &self.nlas, buffer);
    }
}

impl Parseable<[u8]> for Migrate {
    /// Takes the entries from every XFRMA_MIGRATE attribute, each holding
    /// one (as the kernel multicasts them) or several (as a request has).
    fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut msg = Migrate {
            policy: UserPolicyId::parse(buf)?,
            ..Migrate::default()
        };
        for nla in NlasIterator::new(&buf[XFRM_USER_POLICY_ID_LEN..]) {
            let nla = nla?;
            if nla.kind() == XFRMA_MIGRATE {
                msg.entries.extend(migrate_entries(nla.value())?);
            } else {
                msg.nlas.push(XfrmAttrs::parse(&nla)?);
            }
        }
        Ok(msg)
    }
}

/// The `xfrm_user_migrate`s of one XFRMA_MIGRATE attribute's value.
fn migrate_entries(value: &[u8]) -> Result<Vec<UserMigrate>, DecodeError> {
    if value.is_empty() || !value.len().is_multiple_of(XFRM_USER_MIGRATE_LEN) {
        return Err(DecodeError::from(format!(
            "XFRMA_MIGRATE of {} bytes is no whole number of {XFRM_USER_MIGRATE_LEN}-byte entries",
            value.len()
        )));
    }
    value
        .chunks(XFRM_USER_MIGRATE_LEN)
        .map(UserMigrate::parse)
        .collect()
}

/// `XFRM_MSG_EXPIRE` with its attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expire {
    pub expire: UserExpire,
    pub nlas: Vec<XfrmAttrs>,
}

impl Emitable for Expire {
    fn buffer_len(&self) -> usize {
        XFRM_USER_EXPIRE_LEN + self.nlas.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.expire.emit(buffer);
        emit_after(XFRM_USER_EXPIRE_LEN, &self.nlas, buffer);
    }
}

impl Parseable<[u8]> for Expire {
    fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        Ok(Expire {
            expire: UserExpire::parse(buf)?,
            nlas: parse_attrs(&buf[XFRM_USER_EXPIRE_LEN..])?,
        })
    }
}

/// A message on the XFRM socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XfrmMsg {
    /// One the crate has a type for (its `Other` for those it has none,
    /// and for those rv6 does not decode).
    Crate(XfrmMessage),
    Migrate(Migrate),
    MigrateState(MigrateState),
    Expire(Expire),
}

impl XfrmMsg {
    pub fn message_type(&self) -> u16 {
        match self {
            XfrmMsg::Crate(m) => m.message_type(),
            XfrmMsg::Migrate(_) => XFRM_MSG_MIGRATE,
            XfrmMsg::MigrateState(_) => XFRM_MSG_MIGRATE_STATE,
            XfrmMsg::Expire(_) => XFRM_MSG_EXPIRE,
        }
    }

    /// The message of type `message_type` in `payload`: rv6's own types,
    /// the crate's for the other types `ip xfrm monitor` prints (after
    /// checking the fixed header is all there), raw bytes for the rest.
    pub fn parse(payload: &[u8], message_type: u16) -> Result<Self, DecodeError> {
        if let Some(min) = fixed_len(message_type) {
            if payload.len() < min {
                return Err(DecodeError::from(format!(
                    "XFRM message type {message_type:#x} of {} bytes, shorter than its \
                     {min}-byte header",
                    payload.len()
                )));
            }
        } else {
            return Ok(XfrmMsg::Crate(XfrmMessage::Other((
                message_type,
                payload.to_vec(),
            ))));
        }
        Ok(match message_type {
            XFRM_MSG_MIGRATE => XfrmMsg::Migrate(Migrate::parse(payload)?),
            XFRM_MSG_MIGRATE_STATE => XfrmMsg::MigrateState(MigrateState::parse(payload)?),
            XFRM_MSG_EXPIRE => XfrmMsg::Expire(Expire::parse(payload)?),
            t => XfrmMsg::Crate(XfrmMessage::parse_with_param(payload, t)?),
        })
    }
}

/// The fixed header's length of each message type rv6 decodes (the
/// kernel's `xfrm_msg_min`, for the messages it sends).
fn fixed_len(message_type: u16) -> Option<usize> {
    Some(match message_type {
        XFRM_MSG_NEWSA | XFRM_MSG_UPDSA => XFRM_USER_SA_INFO_LEN,
        XFRM_MSG_DELSA => XFRM_USER_SA_ID_LEN,
        XFRM_MSG_NEWPOLICY | XFRM_MSG_UPDPOLICY => XFRM_USER_POLICY_INFO_LEN,
        XFRM_MSG_DELPOLICY | XFRM_MSG_MIGRATE => XFRM_USER_POLICY_ID_LEN,
        XFRM_MSG_ACQUIRE => XFRM_USER_ACQUIRE_LEN,
        XFRM_MSG_EXPIRE => XFRM_USER_EXPIRE_LEN,
        XFRM_MSG_POLEXPIRE => XFRM_USER_POLICY_EXPIRE_LEN,
        XFRM_MSG_FLUSHSA => 1,
        XFRM_MSG_FLUSHPOLICY => 0,
        XFRM_MSG_NEWAE => XFRM_ASYNC_EVENT_ID_LEN,
        XFRM_MSG_REPORT => XFRM_USER_REPORT_LEN,
        XFRM_MSG_MAPPING => XFRM_USER_MAPPING_LEN,
        XFRM_MSG_GETDEFAULT => XFRM_USER_POLICY_DEFAULT_LEN,
        XFRM_MSG_MIGRATE_STATE => XFRM_USER_MIGRATE_STATE_LEN,
        _ => return None,
    })
}

impl Emitable for XfrmMsg {
    fn buffer_len(&self) -> usize {
        match self {
            XfrmMsg::Crate(m) => Emitable::buffer_len(m),
            XfrmMsg::Migrate(m) => m.buffer_len(),
            XfrmMsg::MigrateState(m) => m.buffer_len(),
            XfrmMsg::Expire(m) => m.buffer_len(),
        }
    }

    fn emit(&self, buffer: &mut [u8]) {
        match self {
            XfrmMsg::Crate(m) => m.emit(buffer),
            XfrmMsg::Migrate(m) => m.emit(buffer),
            XfrmMsg::MigrateState(m) => m.emit(buffer),
            XfrmMsg::Expire(m) => m.emit(buffer),
        }
    }
}

impl NetlinkSerializable for XfrmMsg {
    fn message_type(&self) -> u16 {
        XfrmMsg::message_type(self)
    }

    fn buffer_len(&self) -> usize {
        Emitable::buffer_len(self)
    }

    fn serialize(&self, buffer: &mut [u8]) {
        self.emit(buffer)
    }
}

impl NetlinkDeserializable for XfrmMsg {
    type Error = DecodeError;

    fn deserialize(header: &NetlinkHeader, payload: &[u8]) -> Result<Self, DecodeError> {
        XfrmMsg::parse(payload, header.message_type)
    }
}

impl From<XfrmMsg> for NetlinkPayload<XfrmMsg> {
    fn from(msg: XfrmMsg) -> Self {
        NetlinkPayload::InnerMessage(msg)
    }
}

/// An attribute the crate has no variant for, holding a u32.
pub fn u32_attr(kind: u16, value: u32) -> XfrmAttrs {
    let mut bytes = [0; 4];
    emit_u32(&mut bytes, value).expect("four bytes hold a u32");
    XfrmAttrs::Other(DefaultNla::new(kind, bytes.to_vec()))
}

/// The value of the first attribute of `kind` the crate keeps as
/// `XfrmAttrs::Other`.
pub fn other_value(nlas: &[XfrmAttrs], kind: u16) -> Option<Vec<u8>> {
    nlas.iter().find_map(|a| match a {
        XfrmAttrs::Other(nla) if nla.kind() == kind => {
            let mut value = vec![0; nla.value_len()];
            nla.emit_value(&mut value);
            Some(value)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NetlinkMessage;
    use netlink_packet_xfrm::{
        EncapTmpl,
        UserKmAddress,
        UserPolicyType,
        AF_INET,
        AF_INET6,
        IPPROTO_ESP,
        XFRMA_ENCAP,
        XFRMA_KMADDRESS,
        XFRMA_MARK,
        XFRM_MODE_TUNNEL, //
    };
    use std::net::Ipv6Addr;

    fn a6(s: &str) -> Address {
        Address::from_ipv6(&s.parse::<Ipv6Addr>().unwrap())
    }

    fn entry(old: (&str, &str), new: (&str, &str), reqid: u32) -> UserMigrate {
        UserMigrate {
            old_saddr: a6(old.0),
            old_daddr: a6(old.1),
            new_saddr: a6(new.0),
            new_daddr: a6(new.1),
            proto: IPPROTO_ESP,
            mode: XFRM_MODE_TUNNEL,
            reqid,
            old_family: AF_INET6,
            new_family: AF_INET6,
            ..UserMigrate::default()
        }
    }

    fn migrate(n: u32) -> Migrate {
        let mut policy = UserPolicyId::default();
        policy.selector.family = AF_INET6;
        policy.selector.saddr = a6("2001:db8:1::");
        policy.selector.prefixlen_s = 64;
        policy.direction = 1;
        Migrate {
            policy,
            entries: (1..=n)
                .map(|i| {
                    entry(
                        ("2001:db8::a", "2001:db8::b"),
                        ("2001:db8::c", "2001:db8::b"),
                        i,
                    )
                })
                .collect(),
            nlas: vec![
                XfrmAttrs::KmAddress(UserKmAddress {
                    local: a6("2001:db8::c"),
                    remote: a6("2001:db8::b"),
                    reserved: 0,
                    family: AF_INET6,
                }),
                XfrmAttrs::PolicyType(UserPolicyType {
                    ptype: 1,
                    ..UserPolicyType::default()
                }),
                XfrmAttrs::IfId(7),
            ],
        }
    }

    fn bytes(msg: &impl Emitable) -> Vec<u8> {
        let mut buf = vec![0xa5; msg.buffer_len()];
        msg.emit(&mut buf);
        buf
    }

    /// The request form: all entries in one XFRMA_MIGRATE right after the
    /// policy id, as copy_from_user_migrate() reads them.
    #[test]
    fn a_migrate_request_carries_its_entries_in_one_attribute() {
        let msg = migrate(3);
        let buf = bytes(&msg);
        let attrs: Vec<(u16, usize)> = NlasIterator::new(&buf[XFRM_USER_POLICY_ID_LEN..])
            .map(|n| {
                let n = n.unwrap();
                (n.kind(), n.value_length())
            })
            .collect();
        assert_eq!(
            attrs,
            [
                (XFRMA_MIGRATE, 3 * 76),
                (XFRMA_KMADDRESS, 40),
                (16, 6),
                (31, 4)
            ]
        );
        // The policy id, then 4 + 3 * 76, 4 + 40, 4 + 6 (+ 2 padding), 4 + 4.
        assert_eq!(buf.len(), 64 + 232 + 44 + 12 + 8);
        assert_eq!(Migrate::parse(&buf).unwrap(), msg);
    }

    /// The notification form: one entry per attribute, as build_migrate()
    /// puts them; the entries come back in order.
    #[test]
    fn a_migrate_notification_has_an_attribute_per_entry() {
        let msg = migrate(2);
        let mut buf = bytes(&msg.policy);
        let nlas: Vec<XfrmAttrs> = msg.entries.iter().map(|e| XfrmAttrs::Migrate(*e)).collect();
        buf.extend(bytes(&nlas.as_slice()));
        let back = Migrate::parse(&buf).unwrap();
        assert_eq!(back.entries, msg.entries);
        assert!(back.nlas.is_empty());
    }

    #[test]
    fn a_truncated_or_ragged_migrate_is_an_error_not_a_panic() {
        let buf = bytes(&migrate(1));
        assert!(XfrmMsg::parse(&buf[..63], XFRM_MSG_MIGRATE).is_err());
        let mut ragged = buf[..XFRM_USER_POLICY_ID_LEN].to_vec();
        ragged.extend(bytes(
            &[DefaultNla::new(XFRMA_MIGRATE, vec![0; 75])].as_slice(),
        ));
        assert!(XfrmMsg::parse(&ragged, XFRM_MSG_MIGRATE).is_err());
        for t in [
            XFRM_MSG_NEWSA,
            XFRM_MSG_DELPOLICY,
            XFRM_MSG_ACQUIRE,
            XFRM_MSG_MAPPING,
        ] {
            assert!(XfrmMsg::parse(&[0; 20], t).is_err(), "{t:#x}");
        }
    }

    fn migrate_state() -> MigrateState {
        let sel = Selector {
            family: AF_INET6,
            daddr: a6("2001:db8::b"),
            prefixlen_d: 128,
            dport: 4500,
            dport_mask: 0xffff,
            ..Selector::default()
        };
        MigrateState {
            state: UserMigrateState {
                id: UserSaId {
                    daddr: a6("2001:db8::b"),
                    spi: 0x1000,
                    family: AF_INET6,
                    proto: IPPROTO_ESP,
                },
                new_daddr: Address::from_ipv4(&"192.0.2.2".parse().unwrap()),
                new_saddr: Address::from_ipv4(&"192.0.2.1".parse().unwrap()),
                old_mark: Mark {
                    value: 5,
                    mask: 0xff,
                },
                new_sel: sel,
                new_reqid: 9,
                flags: XFRM_MIGRATE_STATE_CLEAR_OFFLOAD,
                new_family: AF_INET,
                reserved: 0,
            },
            nlas: vec![
                XfrmAttrs::Mark(Mark {
                    value: 6,
                    mask: 0xffffffff,
                }),
                XfrmAttrs::EncapsulationTemplate(EncapTmpl {
                    encap_type: 2,
                    encap_sport: 4500,
                    encap_dport: 4501,
                    encap_oa: Address::default(),
                }),
                u32_attr(XFRMA_NAT_KEEPALIVE_INTERVAL, 20),
            ],
        }
    }

    /// struct xfrm_user_migrate_state, field by field at the offsets
    /// pahole gives for it (x86_64): the SPI and ports big-endian.
    #[test]
    fn migrate_state_has_the_c_layout() {
        let buf = bytes(&migrate_state().state);
        assert_eq!(buf.len(), 132);
        assert_eq!(&buf[16..20], &[0, 0, 0x10, 0], "spi");
        assert_eq!(&buf[20..22], &10u16.to_ne_bytes(), "id.family");
        assert_eq!(buf[22], 50, "id.proto");
        assert_eq!(&buf[24..28], &[192, 0, 2, 2], "new_daddr");
        assert_eq!(&buf[40..44], &[192, 0, 2, 1], "new_saddr");
        assert_eq!(&buf[56..60], &5u32.to_ne_bytes(), "old_mark.v");
        assert_eq!(&buf[60..64], &0xffu32.to_ne_bytes(), "old_mark.m");
        assert_eq!(buf[64 + 15], 0xb, "new_sel.daddr");
        assert_eq!(&buf[64 + 32..64 + 34], &4500u16.to_be_bytes(), "dport");
        assert_eq!(buf[64 + 42], 128, "prefixlen_d");
        assert_eq!(&buf[120..124], &9u32.to_ne_bytes(), "new_reqid");
        assert_eq!(&buf[124..128], &1u32.to_ne_bytes(), "flags");
        assert_eq!(&buf[128..130], &2u16.to_ne_bytes(), "new_family");
        assert_eq!(&buf[130..132], &[0, 0], "reserved");
    }

    #[test]
    fn migrate_state_round_trips_through_a_netlink_message() {
        let msg = XfrmMsg::MigrateState(migrate_state());
        let mut nl = NetlinkMessage::new(NetlinkHeader::default(), msg.clone().into());
        nl.finalize();
        let mut buf = vec![0; nl.buffer_len()];
        nl.serialize(&mut buf);
        assert_eq!(u16::from_ne_bytes([buf[4], buf[5]]), 0x29);
        let back = NetlinkMessage::<XfrmMsg>::deserialize(&buf).unwrap();
        assert_eq!(back.payload, NetlinkPayload::InnerMessage(msg));
        let XfrmMsg::MigrateState(m) = XfrmMsg::parse(&buf[16..], 0x29).unwrap() else {
            panic!()
        };
        assert_eq!(
            other_value(&m.nlas, XFRMA_NAT_KEEPALIVE_INTERVAL),
            Some(20u32.to_ne_bytes().to_vec())
        );
        assert_eq!(
            other_value(&m.nlas, XFRMA_MARK),
            None,
            "the crate's own variant"
        );
        assert!(m.nlas.iter().any(|a| a.kind() == XFRMA_ENCAP));
    }

    #[test]
    fn expire_keeps_its_attributes() {
        let msg = Expire {
            expire: UserExpire {
                hard: 1,
                ..UserExpire::default()
            },
            nlas: vec![XfrmAttrs::IfId(3), u32_attr(XFRMA_SA_PCPU, 1)],
        };
        let buf = bytes(&msg);
        let XfrmMsg::Expire(back) = XfrmMsg::parse(&buf, XFRM_MSG_EXPIRE).unwrap() else {
            panic!()
        };
        assert_eq!(back, msg);
    }

    /// Types rv6 does not decode stay bytes, never reaching a crate parser.
    #[test]
    fn unknown_types_are_kept_as_bytes() {
        assert_eq!(
            XfrmMsg::parse(&[1, 2, 3], 0x30).unwrap(),
            XfrmMsg::Crate(XfrmMessage::Other((0x30, vec![1, 2, 3])))
        );
    }
}
