//! `rv6 shim6 cga ...` and `rv6 shim6 hba ...`: a host's CGA (RFC 3972)
//! or HBA set (RFC 5535) for Shim6, made and checked on this host alone
//! through the `rv6-hba` crate; no netlink.
//!
//! ```text
//! rv6 shim6 cga generate prefix PREFIX [ sec SEC ] [ key FILE ] [ out FILE ]
//! rv6 shim6 cga verify address ADDR params FILE
//! rv6 shim6 hba generate prefixes PREFIX[,PREFIX...] [ sec SEC ] [ key FILE ]
//!         [ out FILE ]
//! rv6 shim6 hba verify address ADDR params FILE
//! ```
//!
//! `out FILE` (created, mode 0600, never overwritten) keeps the CGA
//! Parameters, one block per address, and a key the command made, in the
//! RFC 7468 text of [`rv6_hba::file`]; `key FILE` reads a key from such a
//! file or OpenSSL's PEM. Without `key` a new 2048-bit key is made, which
//! needs `out` to be kept; an HBA set without `key` is HBA-only (no key
//! at all). Each address prints as `address ADDR params FILE`, the words
//! `verify` takes (without `out`, `params-hex` and the structure's hex
//! instead); a verification that succeeds prints what it found, one that
//! fails exits 1 with the step of the RFC that failed.

use std::fs::{
    File,
    OpenOptions, //
};
use std::io::Write;
use std::net::Ipv6Addr;
use std::os::unix::fs::OpenOptionsExt;

use rv6_hba::cga::{
    self,
    PrivateKey,
    Sec, //
};
use rv6_hba::params::MultiPrefix;
use rv6_hba::{
    file,
    hba,
    CgaParams,
    Prefix, //
};

use crate::cli::{
    keyword,
    Args,
    UsageError, //
};
use crate::error::Error;
use crate::objects::Action;
use crate::output::{
    Output,
    Record,
    Value, //
};
use crate::sockets::Sockets;
use crate::spec::Enum;

/// The synopses, as the object's table and the man page have them.
pub const CGA_GENERATE: &str = "prefix PREFIX [ sec SEC ] [ key FILE ] [ out FILE ]";
pub const HBA_GENERATE: &str = "prefixes PREFIX[,PREFIX...] [ sec SEC ] [ key FILE ] [ out FILE ]";
pub const VERIFY: &str = "address ADDR params FILE";

/// The Sec values RFC 4982's registry assigns, for the help's `where`.
pub static SEC: Enum = Enum {
    meta: "SEC",
    start: 0,
    entries: &["0", "1", "2"],
};

/// `cga generate` or `hba generate`: the prefixes as /64 networks (one for
/// a CGA), Sec, the key's file and the output's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generate {
    pub hba: bool,
    pub prefixes: Vec<Ipv6Addr>,
    pub sec: Sec,
    pub key: Option<String>,
    pub out: Option<String>,
}

/// `cga verify` or `hba verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify {
    pub hba: bool,
    pub address: Ipv6Addr,
    pub params: String,
}

/// The Sec a generation takes unless told: 16 bits of Hash2 extension,
/// 2^16 SHA-1s on average (RFC 3972 §4).
const DEFAULT_SEC: Sec = Sec::ONE;

/// The size of a key the command makes: RFC 5533 §16 wants at least 1024.
const NEW_KEY_BITS: usize = cga::DEFAULT_KEY_BITS;

/// `keywords` and their values, in any order, each at most once.
fn pairs(
    args: &mut Args,
    keywords: &[&'static str],
) -> Result<Vec<(&'static str, String)>, UsageError> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    while let Some(arg) = args.next() {
        let Some(kw) = keyword(&arg, keywords)? else {
            return Err(UsageError::Wrong {
                arg,
                why: format!("expected one of {}", keywords.join(", ")),
            });
        };
        let meta = match kw {
            "prefix" => "a PREFIX",
            "prefixes" => "PREFIX[,PREFIX...]",
            "sec" => "a SEC",
            "address" => "an ADDR",
            _ => "a FILE",
        };
        let value = args.value(&arg, meta)?;
        if out.iter().any(|(k, _)| *k == kw) {
            return Err(UsageError::Duplicate {
                keyword: kw,
                arg: value,
            });
        }
        out.push((kw, value));
    }
    Ok(out)
}

fn take(pairs: &[(&'static str, String)], keyword: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| *k == keyword)
        .map(|(_, v)| v.clone())
}

/// A /64 prefix: `2001:db8:1:2::/64`, or the address alone with its
/// interface identifier zero.
fn prefix(arg: &str) -> Result<Ipv6Addr, UsageError> {
    let wrong = || UsageError::Wrong {
        arg: arg.to_string(),
        why: "PREFIX must be a /64 prefix, e.g. 2001:db8:1:2::/64".to_string(),
    };
    let (addr, len) = arg.split_once('/').unwrap_or((arg, "64"));
    let addr: Ipv6Addr = addr.parse().map_err(|_| wrong())?;
    if len != "64" || addr.octets()[8..] != [0; 8] {
        return Err(wrong());
    }
    Ok(addr)
}

fn sec(arg: &str) -> Result<Sec, UsageError> {
    let wrong = |why: String| UsageError::Wrong {
        arg: arg.to_string(),
        why,
    };
    let v: u8 = arg
        .parse()
        .map_err(|_| wrong("SEC must be 0, 1 or 2".to_string()))?;
    Sec::new(v).map_err(|e| wrong(e.to_string()))
}

fn generate(args: &mut Args, hba: bool) -> Result<Generate, UsageError> {
    let first = if hba { "prefixes" } else { "prefix" };
    let given = pairs(args, &[first, "sec", "key", "out"])?;
    let list = take(&given, first).ok_or(UsageError::Missing { keyword: first })?;
    let prefixes = if hba {
        list.split(',').map(prefix).collect::<Result<Vec<_>, _>>()?
    } else {
        vec![prefix(&list)?]
    };
    if let Some(i) = (1..prefixes.len()).find(|&i| prefixes[..i].contains(&prefixes[i])) {
        return Err(UsageError::Wrong {
            arg: list,
            why: format!("{}/64 is in the set twice", prefixes[i]),
        });
    }
    let g = Generate {
        hba,
        prefixes,
        sec: take(&given, "sec")
            .as_deref()
            .map_or(Ok(DEFAULT_SEC), sec)?,
        key: take(&given, "key"),
        out: take(&given, "out"),
    };
    // A CGA needs a key; one made here is kept only in `out`.
    if !hba && g.key.is_none() && g.out.is_none() {
        return Err(UsageError::Missing { keyword: "out" });
    }
    Ok(g)
}

fn verify(args: &mut Args, hba: bool) -> Result<Verify, UsageError> {
    let given = pairs(args, &["address", "params"])?;
    let address = take(&given, "address").ok_or(UsageError::Missing { keyword: "address" })?;
    Ok(Verify {
        hba,
        address: address.parse().map_err(|_| UsageError::Wrong {
            arg: address.clone(),
            why: "ADDR must be an IPv6 address".to_string(),
        })?,
        params: take(&given, "params").ok_or(UsageError::Missing { keyword: "params" })?,
    })
}

pub fn parse_cga_generate(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(generate(args, false)?))
}

pub fn parse_hba_generate(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(generate(args, true)?))
}

pub fn parse_cga_verify(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(verify(args, false)?))
}

pub fn parse_hba_verify(args: &mut Args) -> Result<Box<dyn Action>, UsageError> {
    Ok(Box::new(verify(args, true)?))
}

fn read(path: &str) -> Result<file::Contents, Error> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::File {
        file: path.to_string(),
        doing: "read",
        err,
    })?;
    file::decode(&text).map_err(|e| Error::Refused(format!("{path}: {e}")))
}

/// `out`, created for writing by its owner alone, never over a file.
fn create(path: &str) -> Result<File, Error> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|err| Error::File {
            file: path.to_string(),
            doing: "create",
            err,
        })
}

fn network(p: &Prefix) -> String {
    format!("{}/64", cga::address(p, &[0; 8]))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The key of `path`, which must have one.
fn read_key(path: &str) -> Result<PrivateKey, Error> {
    read(path)?
        .key
        .ok_or_else(|| Error::Refused(format!("{path}: no private key in it")))
}

impl Action for Generate {
    /// The key read, `out` created, a key made if need be, the addresses
    /// made and `out` written; `out` removed again if that fails.
    fn run(&self, _: &mut Sockets) -> Result<Output, Error> {
        let given = self.key.as_deref().map(read_key).transpose()?;
        let mut out = self.out.as_deref().map(create).transpose()?;
        let made = self.made(given, out.as_mut());
        if let (Err(_), Some(path)) = (&made, &self.out) {
            let _ = std::fs::remove_file(path);
        }
        made
    }
}

impl Generate {
    fn made(&self, given: Option<PrivateKey>, out: Option<&mut File>) -> Result<Output, Error> {
        // (the key, whether it was made here); an HBA-only set has none.
        let key = match (given, self.hba) {
            (Some(k), _) => Some((k, false)),
            (None, true) => None,
            (None, false) => Some((
                cga::new_key(NEW_KEY_BITS).map_err(|e| Error::Refused(e.to_string()))?,
                true,
            )),
        };
        let spki = key.as_ref().map(|(k, _)| cga::public_key_der(k));
        let refused = |e: cga::GenerateError| Error::Refused(e.to_string());
        let prefixes: Vec<Prefix> = self.prefixes.iter().map(cga::prefix_of).collect();
        let (addresses, params) = if self.hba {
            let set = hba::generate_set(&prefixes, self.sec, spki.clone()).map_err(refused)?;
            (set.addresses, set.params)
        } else {
            let spki = spki.clone().expect("a CGA has a key");
            let (a, p) = cga::generate(prefixes[0], spki, vec![], self.sec).map_err(refused)?;
            (vec![a], vec![p])
        };
        if let (Some(f), Some(path)) = (out, &self.out) {
            let new_key = key.as_ref().filter(|(_, new)| *new).map(|(k, _)| k);
            f.write_all(file::encode(&params, new_key).as_bytes())
                .map_err(|err| Error::File {
                    file: path.clone(),
                    doing: "write",
                    err,
                })?;
        }
        let mut records = Vec::new();
        let mut lines = Vec::new();
        for (a, p) in addresses.iter().zip(&params) {
            let mut r = Record::default();
            r.push("address", Value::Str(a.to_string()));
            r.push("prefix", Value::Str(network(&p.subnet_prefix)));
            r.push("sec", Value::U64(self.sec.get().into()));
            r.push("collision-count", Value::U64(p.collision_count.into()));
            if let Some(bits) = spki.as_deref().and_then(cga::key_bits) {
                r.push("key-bits", Value::U64(bits as u64));
            }
            let (key, value) = match &self.out {
                Some(path) => ("params", path.clone()),
                None => ("params-hex", hex(&p.to_bytes())),
            };
            lines.push(format!("address {a} {key} {value}"));
            r.push(key, Value::Str(value));
            records.push(r);
        }
        Ok(Output::Worded { records, lines })
    }
}

impl Verify {
    /// The block to check: for a CGA, the one on the address's prefix (an
    /// HBA set's file has one per prefix), else the first; for an HBA,
    /// the first (any block of a set defines it).
    fn params(&self) -> Result<CgaParams, Error> {
        let mut all = read(&self.params)?.params;
        if all.is_empty() {
            return Err(Error::Refused(format!(
                "{}: no {} block in it",
                self.params,
                file::PARAMS_LABEL
            )));
        }
        let ours = cga::prefix_of(&self.address);
        let i = match self.hba {
            false => all.iter().position(|p| p.subnet_prefix == ours),
            true => None,
        };
        Ok(all.swap_remove(i.unwrap_or(0)))
    }
}

impl Action for Verify {
    fn run(&self, _: &mut Sockets) -> Result<Output, Error> {
        let params = self.params()?;
        let a = &self.address;
        let sec = match self.hba {
            false => cga::verify(a, &params)
                .map_err(|e| Error::Refused(format!("{a} is not the CGA of {}: {e}", self.params))),
            true => hba::verify(a, &params).map_err(|e| {
                Error::Refused(format!("{a} is not in the HBA set of {}: {e}", self.params))
            }),
        }?;
        let mut r = Record::default();
        let mut words = vec![format!("address {a} sec {}", sec.get())];
        r.push("address", Value::Str(a.to_string()));
        r.push("sec", Value::U64(sec.get().into()));
        let set = params.multi_prefix().ok().flatten();
        if self.hba {
            let MultiPrefix {
                public_key,
                prefixes,
            } = set.as_ref().expect("verified: a set");
            let prefixes: Vec<String> = prefixes.iter().map(network).collect();
            words.push(format!("prefixes {}", prefixes.join(",")));
            r.push(
                "prefixes",
                Value::Repeated(prefixes.into_iter().map(Value::Str).collect()),
            );
            if *public_key {
                words.push("public-key".to_string());
                r.push("public-key", Value::Flag);
            }
        }
        // An HBA-only set's nonce is no key.
        if set.is_none_or(|s| s.public_key) {
            if let Some(bits) = cga::key_bits(&params.public_key) {
                words.push(format!("key-bits {bits}"));
                r.push("key-bits", Value::U64(bits as u64));
            }
        }
        Ok(Output::Worded {
            records: vec![r],
            lines: vec![words.join(" ")],
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{
        parse,
        Invocation, //
    };

    /// `rv6 WORDS` as its action's Debug form, or the usage error's text.
    fn action(line: &str) -> Result<String, String> {
        match parse(line.split_whitespace()).map_err(|e| e.to_string())? {
            Invocation::Run { action, .. } => Ok(format!("{action:?}")),
            other => panic!("{line}: not a command: {other:?}"),
        }
    }

    fn wrong(arg: &str, why: &str) -> Result<String, String> {
        Err(format!("Error: argument \"{arg}\" is wrong: {why}"))
    }

    #[test]
    fn every_command_parses_to_its_action() {
        assert_eq!(
            action("shim6 cga generate prefix 2001:db8:1:2::/64 sec 0 key k.pem out c.pem"),
            Ok(
                "Generate { hba: false, prefixes: [2001:db8:1:2::], sec: Sec(0), \
                key: Some(\"k.pem\"), out: Some(\"c.pem\") }"
                    .into()
            )
        );
        // Sec 1 unless given; the prefix without its length; a key alone.
        assert_eq!(
            action("shim6 cga gen pre 2001:db8:: k k.pem"),
            Ok(
                "Generate { hba: false, prefixes: [2001:db8::], sec: Sec(1), \
                key: Some(\"k.pem\"), out: None }"
                    .into()
            )
        );
        assert_eq!(
            action("shim6 hba generate prefixes 2001:db8:a::/64,2001:db8:b:: sec 2"),
            Ok(
                "Generate { hba: true, prefixes: [2001:db8:a::, 2001:db8:b::], sec: Sec(2), \
                key: None, out: None }"
                    .into()
            )
        );
        assert_eq!(
            action("shim6 cga verify params c.pem address 2001:db8::1"),
            Ok("Verify { hba: false, address: 2001:db8::1, params: \"c.pem\" }".into())
        );
        assert_eq!(
            action("shim6 hba v a 2001:db8::1 p s.pem"),
            Ok("Verify { hba: true, address: 2001:db8::1, params: \"s.pem\" }".into())
        );
        // The group alone is its first command, which needs its prefix.
        assert_eq!(
            action("shim6 hba"),
            Err("Error: argument \"prefixes\" is required".into())
        );
    }

    #[test]
    fn usage_errors_name_the_argument() {
        let p64 = "PREFIX must be a /64 prefix, e.g. 2001:db8:1:2::/64";
        assert_eq!(
            action("shim6 cga generate prefix 2001:db8::/48 out c"),
            wrong("2001:db8::/48", p64)
        );
        assert_eq!(
            action("shim6 cga generate prefix 2001:db8::1 out c"),
            wrong("2001:db8::1", p64)
        );
        assert_eq!(
            action("shim6 hba generate prefixes 2001:db8:a::,nope"),
            wrong("nope", p64)
        );
        assert_eq!(
            action("shim6 hba generate prefixes 2001:db8:a::,2001:db8:a::/64"),
            wrong(
                "2001:db8:a::,2001:db8:a::/64",
                "2001:db8:a::/64 is in the set twice"
            )
        );
        assert_eq!(
            action("shim6 cga generate prefix 2001:db8:: sec 3 out c"),
            wrong(
                "3",
                "Sec 3 is unassigned in the CGA SEC registry (RFC 4982): 0, 1 or 2"
            )
        );
        assert_eq!(
            action("shim6 cga generate prefix 2001:db8:: sec one out c"),
            wrong("one", "SEC must be 0, 1 or 2")
        );
        // A new key is kept only in `out`.
        assert_eq!(
            action("shim6 cga generate prefix 2001:db8::"),
            Err("Error: argument \"out\" is required".into())
        );
        assert_eq!(
            action("shim6 cga generate prefix 2001:db8:: out a out b"),
            Err("Error: duplicate \"out\": \"b\" is the second value.".into())
        );
        assert_eq!(
            action("shim6 cga verify address 2001:db8::1 params"),
            Err("Error: command line is not complete: \"params\" needs a FILE".into())
        );
        assert_eq!(
            action("shim6 cga verify address 2001:db8::1"),
            Err("Error: argument \"params\" is required".into())
        );
        assert_eq!(
            action("shim6 hba verify address 192.0.2.1 params s"),
            wrong("192.0.2.1", "ADDR must be an IPv6 address")
        );
        assert_eq!(
            action("shim6 hba verify prefix 2001:db8::"),
            wrong("prefix", "expected one of address, params")
        );
    }
}
