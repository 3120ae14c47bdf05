//! The files that keep a host's CGA or HBA set: RFC 7468 textual
//! encoding, one `CGA PARAMETERS` block per address (the octets of the CGA
//! Parameter Data Structure option, RFC 5533 §5.15.4), in the order of
//! the addresses, then, for a key the tool made, a `PRIVATE KEY` block
//! (PKCS#8). Reading, a `RSA PRIVATE KEY` (PKCS#1) block is a key too, so
//! that OpenSSL's keys read as they are; other blocks, and text between
//! blocks, are ignored (RFC 7468 §5.2).
//!
//! ```text
//! -----BEGIN CGA PARAMETERS-----
//! (base64 of modifier, subnet prefix, collision count, key, extensions)
//! -----END CGA PARAMETERS-----
//! -----BEGIN PRIVATE KEY-----
//! ...
//! -----END PRIVATE KEY-----
//! ```

use std::fmt;

use pem_rfc7468::LineEnding;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{
    DecodePrivateKey,
    EncodePrivateKey, //
};

use crate::cga::PrivateKey;
use crate::params::{
    CgaParams,
    ParseError, //
};

/// The label of a CGA Parameters block.
pub const PARAMS_LABEL: &str = "CGA PARAMETERS";
const PKCS8_LABEL: &str = "PRIVATE KEY";
const PKCS1_LABEL: &str = "RSA PRIVATE KEY";

/// What a file holds.
#[derive(Debug, Default)]
pub struct Contents {
    pub params: Vec<CgaParams>,
    pub key: Option<PrivateKey>,
}

/// Why a file's text is refused: block `block` (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub block: usize,
    pub why: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {}: {}", self.block, self.why)
    }
}

impl std::error::Error for FileError {}

/// `params`, then `key` if given, as the file's text.
pub fn encode(params: &[CgaParams], key: Option<&PrivateKey>) -> String {
    let mut out = String::new();
    for p in params {
        out += &pem_rfc7468::encode_string(PARAMS_LABEL, LineEnding::LF, &p.to_bytes())
            .expect("PEM encodes");
    }
    if let Some(k) = key {
        out += &k
            .to_pkcs8_pem(LineEnding::LF)
            .expect("an RSA private key encodes");
    }
    out
}

/// The blocks of `text`, each from its `-----BEGIN ` line to its
/// `-----END ` line.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("-----BEGIN ") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            *block += line;
            *block += "\n";
            if line.starts_with("-----END ") {
                out.extend(current.take());
            }
        }
    }
    out.extend(current);
    out
}

/// The CGA Parameters and key of a file's text.
pub fn decode(text: &str) -> Result<Contents, FileError> {
    let mut contents = Contents::default();
    for (i, block) in blocks(text).iter().enumerate() {
        let wrong = |why: String| FileError { block: i + 1, why };
        let (label, der) =
            pem_rfc7468::decode_vec(block.as_bytes()).map_err(|e| wrong(format!("PEM: {e}")))?;
        let key = match label {
            PARAMS_LABEL => {
                let p = CgaParams::parse(&der)
                    .map_err(|e: ParseError| wrong(format!("CGA Parameters: {e}")))?;
                contents.params.push(p);
                continue;
            }
            PKCS8_LABEL => PrivateKey::from_pkcs8_der(&der).map_err(|e| e.to_string()),
            PKCS1_LABEL => PrivateKey::from_pkcs1_der(&der).map_err(|e| e.to_string()),
            _ => continue,
        };
        if contents.key.is_some() {
            return Err(wrong("a second private key".into()));
        }
        contents.key = Some(key.map_err(|e| wrong(format!("{label}: {e}")))?);
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cga::{
        self,
        Sec, //
    };
    use crate::hba;
    use rsa::pkcs1::EncodeRsaPrivateKey;

    fn key() -> PrivateKey {
        crate::shim6::tests::key()
    }

    #[test]
    fn a_set_and_its_key_round_trip_in_order() {
        let set = hba::generate_set(&[[1; 8], [2; 8], [3; 8]], Sec::ZERO, None).unwrap();
        let key = key();
        let text = encode(&set.params, Some(&key));
        assert!(text.starts_with("-----BEGIN CGA PARAMETERS-----\n"));
        assert_eq!(text.matches("-----BEGIN CGA PARAMETERS-----").count(), 3);
        assert!(text.ends_with("-----END PRIVATE KEY-----\n"));
        let back = decode(&text).unwrap();
        assert_eq!(back.params, set.params);
        assert_eq!(back.key, Some(key));
        assert!(decode(&encode(&set.params, None)).unwrap().key.is_none());
    }

    /// OpenSSL's traditional RSA keys read too; text and other blocks
    /// around them are ignored (RFC 7468 §5.2).
    #[test]
    fn pkcs1_keys_and_stray_text_are_read() {
        let key = key();
        let (_, params) =
            cga::generate([9; 8], cga::public_key_der(&key), vec![], Sec::ZERO).unwrap();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap();
        let text = format!(
            "a comment\n{}\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n{}",
            encode(std::slice::from_ref(&params), None),
            *pkcs1
        );
        let back = decode(&text).unwrap();
        assert_eq!(back.params, [params]);
        assert_eq!(back.key, Some(key));
    }

    #[test]
    fn broken_blocks_and_a_second_key_are_refused_by_number() {
        let key = key();
        let two_keys = format!("{}{}", encode(&[], Some(&key)), encode(&[], Some(&key)));
        assert_eq!(
            decode(&two_keys).unwrap_err(),
            FileError {
                block: 2,
                why: "a second private key".into()
            }
        );
        let not_params = "-----BEGIN CGA PARAMETERS-----\nAAAA\n-----END CGA PARAMETERS-----\n";
        let e = decode(not_params).unwrap_err();
        assert_eq!(e.block, 1);
        assert!(e.why.starts_with("CGA Parameters: "), "{e}");
        let cut = "-----BEGIN CGA PARAMETERS-----\nAAAA\n";
        assert!(decode(cut).unwrap_err().why.starts_with("PEM: "));
    }
}
