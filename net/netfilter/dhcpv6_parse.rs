// SPDX-License-Identifier: GPL-2.0

//! DHCPv6 message headers and options (RFC 8415 §8, §9, §21) as connection tracking needs
//! them: which messages expect an answer, from where, and the transaction they belong to.
//!
//! Pure `no_std` code without allocation, shared by `rv6_ct_dhcpv6` and the host tests.
//! Parsing is a view over the UDP payload: nothing is copied, malformed input is `None`, and
//! the option walker stops at the first option that overruns the message.

/// UDP port DHCPv6 clients listen on.
pub const CLIENT_PORT: u16 = 546;
/// UDP port DHCPv6 servers and relay agents listen on.
pub const SERVER_PORT: u16 = 547;

/// DHCPv6 message types (RFC 8415 §7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    /// Client looks for servers.
    Solicit = 1,
    /// Server offers itself.
    Advertise = 2,
    /// Client asks a chosen server for addresses.
    Request = 3,
    /// Client checks its addresses still fit the link.
    Confirm = 4,
    /// Client extends its lease with its server.
    Renew = 5,
    /// Client extends its lease with any server.
    Rebind = 6,
    /// Server answers.
    Reply = 7,
    /// Client gives addresses back.
    Release = 8,
    /// Client reports addresses already in use.
    Decline = 9,
    /// Server asks the client to renew or ask again.
    Reconfigure = 10,
    /// Client asks for configuration only.
    InformationRequest = 11,
    /// Relay agent forwards a message towards servers.
    RelayForw = 12,
    /// Server answers through a relay agent.
    RelayRepl = 13,
}

impl MessageType {
    /// The type for a message-type byte; `None` for unassigned or unhandled ones.
    pub fn from_u8(v: u8) -> Option<Self> {
        use MessageType::*;
        Some(match v {
            1 => Solicit,
            2 => Advertise,
            3 => Request,
            4 => Confirm,
            5 => Renew,
            6 => Rebind,
            7 => Reply,
            8 => Release,
            9 => Decline,
            10 => Reconfigure,
            11 => InformationRequest,
            12 => RelayForw,
            13 => RelayRepl,
            _ => return None,
        })
    }

    /// Sent by a client to servers or relays (port 547).
    pub fn is_from_client(self) -> bool {
        use MessageType::*;
        matches!(
            self,
            Solicit | Request | Confirm | Renew | Rebind | Release | Decline | InformationRequest
        )
    }

    /// A client message that a server answers (Advertise or Reply), so the answer must be let
    /// back in: every client message does (RFC 8415 §18.2: Release and Decline get a Reply).
    pub fn expects_reply(self) -> bool {
        self.is_from_client() || self == MessageType::RelayForw
    }

    /// What may answer a message of this type.
    pub fn answered_by(self, answer: MessageType) -> bool {
        use MessageType::*;
        match self {
            Solicit => matches!(answer, Advertise | Reply),
            RelayForw => answer == RelayRepl,
            t if t.is_from_client() => answer == Reply,
            _ => false,
        }
    }
}

/// A parsed DHCPv6 message header; `options` is the rest of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// Client/server message (RFC 8415 §8): type, transaction-id.
    Exchange {
        /// Message type.
        kind: MessageType,
        /// The 24-bit transaction-id.
        transaction_id: u32,
        /// The options after the header.
        options: &'a [u8],
    },
    /// Relay agent/server message (RFC 8415 §9).
    Relay {
        /// Relay-forw or Relay-repl.
        kind: MessageType,
        /// Relays passed so far.
        hop_count: u8,
        /// An address on the client's link.
        link_address: [u8; 16],
        /// The address the relayed message came from.
        peer_address: [u8; 16],
        /// The options after the header (Relay-Message among them).
        options: &'a [u8],
    },
}

/// Relay hop limit (RFC 8415 §7.6, HOP_COUNT_LIMIT).
pub const HOP_COUNT_LIMIT: u8 = 8;

impl<'a> Message<'a> {
    /// Parses the UDP payload of a DHCPv6 message.
    pub fn parse(p: &'a [u8]) -> Option<Self> {
        let kind = MessageType::from_u8(*p.first()?)?;
        match kind {
            MessageType::RelayForw | MessageType::RelayRepl => {
                if p.len() < 34 || p[1] > HOP_COUNT_LIMIT {
                    return None;
                }
                let mut link_address = [0; 16];
                let mut peer_address = [0; 16];
                link_address.copy_from_slice(&p[2..18]);
                peer_address.copy_from_slice(&p[18..34]);
                Some(Message::Relay {
                    kind,
                    hop_count: p[1],
                    link_address,
                    peer_address,
                    options: &p[34..],
                })
            }
            _ => {
                if p.len() < 4 {
                    return None;
                }
                Some(Message::Exchange {
                    kind,
                    transaction_id: u32::from_be_bytes([0, p[1], p[2], p[3]]),
                    options: &p[4..],
                })
            }
        }
    }

    /// The message type.
    pub fn kind(&self) -> MessageType {
        match *self {
            Message::Exchange { kind, .. } | Message::Relay { kind, .. } => kind,
        }
    }

    /// The options, in order.
    pub fn options(&self) -> Options<'a> {
        match *self {
            Message::Exchange { options, .. } | Message::Relay { options, .. } => Options(options),
        }
    }
}

/// Option codes this crate looks at (RFC 8415 §21).
pub mod option {
    /// OPTION_CLIENTID.
    pub const CLIENTID: u16 = 1;
    /// OPTION_SERVERID.
    pub const SERVERID: u16 = 2;
    /// OPTION_RELAY_MSG: the relayed message.
    pub const RELAY_MSG: u16 = 9;
    /// OPTION_STATUS_CODE.
    pub const STATUS_CODE: u16 = 13;
    /// OPTION_INTERFACE_ID.
    pub const INTERFACE_ID: u16 = 18;
}

/// Walks `code, length, data` options; yields `Err(())` once for an option that overruns the
/// buffer, then stops.
#[derive(Clone, Debug)]
pub struct Options<'a>(&'a [u8]);

impl<'a> Iterator for Options<'a> {
    type Item = Result<(u16, &'a [u8]), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.0;
        if b.is_empty() {
            return None;
        }
        self.0 = &[];
        if b.len() < 4 {
            return Some(Err(()));
        }
        let code = u16::from_be_bytes([b[0], b[1]]);
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let Some(data) = b.get(4..4 + len) else {
            return Some(Err(()));
        };
        self.0 = &b[4 + len..];
        Some(Ok((code, data)))
    }
}

/// Follows Relay-Message options down to the innermost message a relay chain carries.
pub fn innermost(mut m: Message<'_>) -> Option<Message<'_>> {
    for _ in 0..=HOP_COUNT_LIMIT {
        if !matches!(m, Message::Relay { .. }) {
            return Some(m);
        }
        let inner = m
            .options()
            .find_map(|o| o.ok().filter(|(c, _)| *c == option::RELAY_MSG))?;
        m = Message::parse(inner.1)?;
    }
    None
}
