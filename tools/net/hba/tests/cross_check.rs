//! The crate against a second implementation written from the same RFCs
//! (tests/cross_check.py: Python's hashlib and the `cryptography`
//! package): what one makes, the other verifies, both ways. RFC 3972,
//! RFC 5535 and RFC 5533 publish no test vectors. Skipped, saying so,
//! where python3 or `cryptography` is missing.

use std::fmt::Write as _;
use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::process::Command;

use rv6_hba::cga::{
    self,
    Sec, //
};
use rv6_hba::shim6::{
    self,
    LocatorList, //
};
use rv6_hba::{
    file,
    hba,
    CgaParams, //
};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cross_check.py");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/key1024.pem");

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn python_with_cryptography() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: python3 with the cryptography package is not here");
    }
    ok
}

fn run(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(SCRIPT)
        .args(args)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{args:?}:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn python_verifies_what_the_crate_makes() {
    if !python_with_cryptography() {
        return;
    }
    let key = key_of(KEY);
    let spki = cga::public_key_der(&key);
    let a = [0x20, 0x01, 0x0d, 0xb8, 0, 0xa, 0, 0];
    let b = [0x20, 0x01, 0x0d, 0xb8, 0, 0xb, 0, 0];
    let mut lines = String::new();
    for sec in [Sec::ZERO, Sec::ONE] {
        let (addr, params) = cga::generate(a, spki.clone(), vec![], sec).unwrap();
        writeln!(lines, "cga {addr} {}", hex(&params.to_bytes())).unwrap();
        let (addr, params) = cga::after_collision(&params, sec).unwrap();
        writeln!(lines, "cga {addr} {}", hex(&params.to_bytes())).unwrap();
    }
    for public_key in [None, Some(spki.clone())] {
        let set = hba::generate_set(&[a, b], Sec::ONE, public_key.clone()).unwrap();
        for addr in &set.addresses {
            for p in &set.params {
                writeln!(lines, "hba {addr} {}", hex(&p.to_bytes())).unwrap();
            }
        }
        if public_key.is_none() {
            writeln!(lines, "nonce {}", hex(&set.params[0].to_bytes())).unwrap();
            continue;
        }
        let locators = [
            set.addresses[0].octets(),
            set.addresses[1].octets(),
            Ipv6Addr::LOCALHOST.octets(),
        ];
        let methods = [1, 1, 2];
        let list = LocatorList {
            generation: 0xdead_beef,
            locators: &locators,
            methods: &methods,
        };
        let sig = shim6::sign_locators(&key, &list).unwrap();
        let locs: Vec<String> = locators.iter().map(|l| hex(l)).collect();
        writeln!(
            lines,
            "sig {} {} {} 1,1,2 {}",
            hex(&set.params[1].to_bytes()),
            0xdead_beefu32,
            locs.join(","),
            hex(&sig)
        )
        .unwrap();
    }
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rv6-hba-cross-check.txt");
    std::fs::write(&path, &lines).unwrap();
    let out = run(&["check", path.to_str().unwrap()]);
    assert_eq!(out.lines().count(), lines.lines().count(), "{out}");
    assert!(out.lines().all(|l| l.starts_with("ok ")), "{out}");

    // The oracle is no rubber stamp: one modifier bit, one generation
    // changed, and it says so.
    let (addr, mut params) = cga::generate(a, spki, vec![], Sec::ZERO).unwrap();
    params.modifier[0] ^= 1;
    let sig_line = lines.lines().find(|l| l.starts_with("sig ")).unwrap();
    let wrong = format!(
        "cga {addr} {}\n{}\n",
        hex(&params.to_bytes()),
        sig_line.replace(" 3735928559 ", " 3735928558 ")
    );
    std::fs::write(&path, &wrong).unwrap();
    let out = Command::new("python3")
        .args([SCRIPT, "check", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!out.status.success());
    let verdicts: Vec<&str> = stdout
        .lines()
        .map(|l| &l[..l.find(':').unwrap_or(4)])
        .collect();
    assert_eq!(verdicts, ["FAIL hash1", "FAIL signature"], "{stdout}");
}

fn key_of(path: &str) -> cga::PrivateKey {
    file::decode(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .key
        .unwrap()
}

#[test]
fn the_crate_verifies_what_python_makes() {
    if !python_with_cryptography() {
        return;
    }
    let out = run(&["make", KEY]);
    let mut seen = [0; 3];
    for line in out.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w[0] {
            "cga" => {
                let p = CgaParams::parse(&unhex(w[2])).unwrap();
                assert_eq!(cga::verify(&w[1].parse().unwrap(), &p), Ok(Sec::ONE));
                seen[0] += 1;
            }
            "hba" => {
                let p = CgaParams::parse(&unhex(w[2])).unwrap();
                assert_eq!(hba::verify(&w[1].parse().unwrap(), &p), Ok(Sec::ONE));
                seen[1] += 1;
            }
            "sig" => {
                let pds = unhex(w[1]);
                let locators: Vec<[u8; 16]> = w[3]
                    .split(',')
                    .map(|l| unhex(l).try_into().unwrap())
                    .collect();
                let methods: Vec<u8> = w[4].split(',').map(|m| m.parse().unwrap()).collect();
                let list = LocatorList {
                    generation: w[2].parse().unwrap(),
                    locators: &locators,
                    methods: &methods,
                };
                let sig = unhex(w[5]);
                assert_eq!(
                    shim6::verify_locators(&pds, &locators[0], &list, Some(&sig)),
                    Ok(())
                );
                // One bit of the signature changed: refused.
                let mut forged = sig.clone();
                forged[10] ^= 1;
                assert!(shim6::verify_locators(&pds, &locators[0], &list, Some(&forged)).is_err());
                seen[2] += 1;
            }
            other => panic!("{other}: {line}"),
        }
    }
    assert_eq!(seen, [1, 2, 1], "{out}");
}
