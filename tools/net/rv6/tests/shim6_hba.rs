//! `rv6 shim6 cga ...` and `rv6 shim6 hba ...` as a user runs them: what
//! `generate` prints and writes, `verify` takes back; what is refused, with
//! which exit status and message. No kernel involved.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use common::{
    rv6,
    text,
    usage_error, //
};

/// A key made for rv6-hba's tests (secret to nobody).
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../hba/tests/data/key1024.pem");

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("shim6-hba-{name}"));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// `rv6 ARGS` succeeds: its stdout, nothing on stderr.
#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = rv6(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{args:?}");
    text(&out.stdout)
}

/// `rv6 ARGS` fails after parsing: exit 1, `Error: ...` on stderr.
#[track_caller]
fn fails(args: &[&str]) -> String {
    let out = rv6(args);
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}");
    text(&out.stderr)
}

/// The words of a printed line after `address`: the address and, with
/// `verify`'s keyword, the file.
fn address_of(line: &str) -> &str {
    line.split_whitespace().nth(1).unwrap()
}

#[test]
fn a_generated_cga_prints_a_line_that_verify_takes_back() {
    let d = dir("cga");
    let out = d.join("host.cga");
    let out = out.to_str().unwrap();
    let line = ok(&[
        "shim6",
        "cga",
        "generate",
        "prefix",
        "2001:db8:1:2::/64",
        "sec",
        "1",
        "out",
        out,
    ]);
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.len(), 4, "{line}");
    assert_eq!((words[0], words[2], words[3]), ("address", "params", out));
    let addr: std::net::Ipv6Addr = words[1].parse().unwrap();
    assert_eq!(addr.segments()[..4], [0x2001, 0xdb8, 1, 2]);
    assert_eq!(addr.octets()[8] >> 5, 1, "Sec in the top bits");
    // The line, pasted after `verify`.
    let mut verify = vec!["shim6", "cga", "verify"];
    verify.extend(words.iter().copied());
    assert_eq!(ok(&verify), format!("address {addr} sec 1 key-bits 2048\n"));
    // The file: the parameters, then the key made for them, for its owner.
    let file = fs::read_to_string(out).unwrap();
    assert!(file.starts_with("-----BEGIN CGA PARAMETERS-----\n"));
    assert!(file.contains("-----BEGIN PRIVATE KEY-----\n"));
    let mode = fs::metadata(out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Never written over.
    assert_eq!(
        fails(&[
            "shim6",
            "cga",
            "generate",
            "prefix",
            "2001:db8::",
            "out",
            out
        ]),
        format!("Error: cannot create file \"{out}\": File exists\n")
    );
    assert_eq!(fs::read_to_string(out).unwrap(), file);
    // Its key makes another CGA: the same key size, another address.
    let again = ok(&[
        "shim6",
        "cga",
        "generate",
        "prefix",
        "2001:db8::",
        "key",
        out,
        "sec",
        "0",
    ]);
    assert!(again.starts_with("address 2001:db8::"), "{again}");
    assert!(again.contains(" params-hex "), "{again}");
}

#[test]
fn verify_names_the_rfc_step_that_failed() {
    let d = dir("refused");
    let out = d.join("c");
    let out = out.to_str().unwrap();
    let line = ok(&[
        "shim6",
        "cga",
        "generate",
        "prefix",
        "2001:db8:1:2::",
        "key",
        KEY,
        "sec",
        "0",
        "out",
        out,
    ]);
    let addr: std::net::Ipv6Addr = address_of(&line).parse().unwrap();
    let mut elsewhere = addr.segments();
    elsewhere[2] = 9;
    let elsewhere = std::net::Ipv6Addr::from(elsewhere).to_string();
    assert_eq!(
        fails(&["shim6", "cga", "verify", "address", &elsewhere, "params", out]),
        format!(
            "Error: {elsewhere} is not the CGA of {out}: the parameters' subnet prefix is not \
             the address's (RFC 3972 §5 step 2)\n"
        )
    );
    let mut other_iid = addr.segments();
    other_iid[7] ^= 1;
    let other_iid = std::net::Ipv6Addr::from(other_iid).to_string();
    assert!(
        fails(&["shim6", "cga", "verify", "address", &other_iid, "params", out]).ends_with(
            "Hash1 of the parameters is not the interface identifier (RFC 3972 §5 step 4)\n"
        )
    );
    // A plain CGA's parameters define no HBA set.
    assert_eq!(
        fails(&[
            "shim6",
            "hba",
            "verify",
            "address",
            &addr.to_string(),
            "params",
            out
        ]),
        format!(
            "Error: {addr} is not in the HBA set of {out}: the parameters have no Multi-Prefix \
             extension: they define no HBA set\n"
        )
    );
    // Files that are not what they should be.
    assert_eq!(
        fails(&[
            "shim6",
            "cga",
            "verify",
            "address",
            "2001:db8::1",
            "params",
            KEY
        ]),
        format!("Error: {KEY}: no CGA PARAMETERS block in it\n")
    );
    let absent = d.join("absent");
    let absent = absent.to_str().unwrap();
    assert_eq!(
        fails(&[
            "shim6",
            "cga",
            "verify",
            "address",
            "2001:db8::1",
            "params",
            absent
        ]),
        format!("Error: cannot read file \"{absent}\": No such file or directory\n")
    );
    // A file without a key: refused before `out` is created.
    assert_eq!(
        fails(&[
            "shim6",
            "cga",
            "generate",
            "prefix",
            "2001:db8::",
            "key",
            out,
            "out",
            absent
        ]),
        format!("Error: {out}: no private key in it\n")
    );
    assert!(!d.join("absent").exists());
}

#[test]
fn an_hba_set_verifies_each_address_against_the_set() {
    let d = dir("hba");
    let out = d.join("set");
    let out = out.to_str().unwrap();
    let printed = ok(&[
        "shim6",
        "hba",
        "generate",
        "prefixes",
        "2001:db8:a::/64,2001:db8:b::",
        "sec",
        "0",
        "out",
        out,
    ]);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    for (line, prefix) in lines.iter().zip(["2001:db8:a:0:", "2001:db8:b:0:"]) {
        assert!(line.starts_with(&format!("address {prefix}")), "{line}");
        assert!(line.ends_with(&format!(" params {out}")), "{line}");
        let mut verify = vec!["shim6", "hba", "verify"];
        verify.extend(line.split_whitespace());
        assert_eq!(
            ok(&verify),
            format!(
                "address {} sec 0 prefixes 2001:db8:a::/64,2001:db8:b::/64\n",
                address_of(line)
            )
        );
        // Each is also the CGA of its own block (RFC 5535 §7.1).
        verify[1] = "cga";
        assert_eq!(ok(&verify), format!("address {} sec 0\n", address_of(line)));
    }
    // HBA-only: no key was made, none written.
    let file = fs::read_to_string(out).unwrap();
    assert_eq!(file.matches("-----BEGIN CGA PARAMETERS-----").count(), 2);
    assert!(!file.contains("PRIVATE KEY"));
    // Outside the set's prefixes.
    let outside = address_of(lines[0]).replace("2001:db8:a:", "2001:db8:c:");
    assert!(
        fails(&["shim6", "hba", "verify", "address", &outside, "params", out]).ends_with(
            "the address's prefix is not in the Multi-Prefix extension (RFC 5535 §7.2 step 1)\n"
        )
    );
}

#[test]
fn a_cga_compatible_set_prints_its_key_in_json() {
    let d = dir("hba-json");
    let out = d.join("set");
    let out = out.to_str().unwrap();
    let json = ok(&[
        "-j",
        "shim6",
        "hba",
        "generate",
        "prefixes",
        "2001:db8:a::",
        "key",
        KEY,
        "sec",
        "0",
        "out",
        out,
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = &v[0];
    assert_eq!(first["prefix"], "2001:db8:a::/64");
    assert_eq!(
        (first["sec"].as_u64(), first["key-bits"].as_u64()),
        (Some(0), Some(1024))
    );
    assert_eq!(first["collision-count"].as_u64(), Some(0));
    assert_eq!(first["params"], out);
    let addr = first["address"].as_str().unwrap();
    let verified: serde_json::Value = serde_json::from_str(&ok(&[
        "-j", "shim6", "hba", "verify", "address", addr, "params", out,
    ]))
    .unwrap();
    assert_eq!(
        verified,
        serde_json::json!([{
            "address": addr,
            "sec": 0,
            "prefixes": ["2001:db8:a::/64"],
            "public-key": true,
            "key-bits": 1024
        }])
    );
    // The given key is not copied into the set's file.
    assert!(!fs::read_to_string(out).unwrap().contains("PRIVATE KEY"));
}

#[test]
fn usage_errors_exit_2_before_any_file_is_touched() {
    usage_error(
        &[
            "shim6",
            "cga",
            "generate",
            "prefix",
            "2001:db8::/56",
            "out",
            "/nonexistent/x",
        ],
        "Error: argument \"2001:db8::/56\" is wrong: PREFIX must be a /64 prefix, \
         e.g. 2001:db8:1:2::/64",
    );
    usage_error(
        &[
            "shim6",
            "hba",
            "generate",
            "prefixes",
            "2001:db8::",
            "sec",
            "4",
        ],
        "Error: argument \"4\" is wrong: Sec 4 is unassigned in the CGA SEC registry \
         (RFC 4982): 0, 1 or 2",
    );
    usage_error(
        &["shim6", "cga", "generate", "prefix", "2001:db8::"],
        "Error: argument \"out\" is required",
    );
    usage_error(
        &["shim6", "c", "verify"],
        "Error: argument \"c\" is ambiguous: it may be context, cga",
    );
}
