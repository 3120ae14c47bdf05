//! The bulk migration plan (`net/xfrm/xfrm_migrate_plan.rs`): which policies move and with
//! which `XFRM_MSG_MIGRATE` entries.
use proptest::prelude::*;
use rv6_cores::xfrm_migrate_plan::*;

const ESP: u8 = 50;
const AH: u8 = 51;

fn a6(last: u8) -> [u8; 16] {
    let mut a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    a[15] = last;
    a
}

fn tunnel(proto: u8, reqid: u32, s: u8, d: u8) -> Template {
    Template {
        proto,
        mode: mode::TUNNEL,
        reqid,
        family: AF_INET6,
        saddr: a6(s),
        daddr: a6(d),
    }
}

fn policy(dir: u8, templates: &[Template]) -> Policy<'_> {
    Policy {
        dir,
        ptype: 0,
        mark: (0, 0),
        if_id: 0,
        templates,
    }
}

fn request(old: u8, new: u8) -> Request {
    Request {
        local: Move {
            old: Endpoint::v6(a6(old)),
            new: Endpoint::v6(a6(new)),
        },
        peer: None,
        filter: Filter::ALL,
    }
}

fn entries(req: &Request, p: &Policy<'_>) -> Vec<Entry> {
    plan(req, p)
        .unwrap()
        .map(|e| e.iter().copied().collect())
        .unwrap_or_default()
}

#[test]
fn a_tunnel_pair_moves_its_local_end_in_every_direction() {
    // Host 1 moved to 11; its SAs with host 2: out 1 -> 2, in and fwd 2 -> 1.
    let out = [tunnel(ESP, 1, 1, 2)];
    let back = [tunnel(ESP, 1, 2, 1)];
    let req = request(1, 11);
    let o = entries(&req, &policy(1, &out));
    assert_eq!(o.len(), 1);
    assert_eq!((o[0].old_saddr, o[0].old_daddr), (a6(1), a6(2)));
    assert_eq!((o[0].new_saddr, o[0].new_daddr), (a6(11), a6(2)));
    assert_eq!((o[0].proto, o[0].mode, o[0].reqid), (ESP, mode::TUNNEL, 1));
    for dir in [0, 2] {
        let i = entries(&req, &policy(dir, &back));
        assert_eq!((i[0].new_saddr, i[0].new_daddr), (a6(2), a6(11)));
    }
    // A policy that does not use the address stays.
    assert_eq!(plan(&req, &policy(1, &[tunnel(ESP, 1, 3, 4)])), Ok(None));
}

#[test]
fn transport_templates_hold_no_endpoint_and_move_nothing() {
    let t = Template {
        mode: mode::TRANSPORT,
        ..tunnel(ESP, 1, 1, 2)
    };
    assert_eq!(plan(&request(1, 11), &policy(1, &[t])), Ok(None));
    // Beside a tunnel template of the same policy, only the tunnel's entry.
    let e = entries(&request(1, 11), &policy(1, &[t, tunnel(AH, 2, 1, 2)]));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].proto, AH);
    // BEET holds endpoints like a tunnel.
    let beet = Template {
        mode: mode::BEET,
        ..tunnel(ESP, 1, 1, 2)
    };
    assert_eq!(entries(&request(1, 11), &policy(1, &[beet])).len(), 1);
}

#[test]
fn filters_narrow_policies_and_templates() {
    let ts = [tunnel(ESP, 5, 1, 2), tunnel(AH, 9, 1, 2)];
    let base = request(1, 11);
    let with = |f: Filter| Request { filter: f, ..base };
    let p = policy(1, &ts);
    assert_eq!(entries(&base, &p).len(), 2);
    let dirs = Filter {
        dirs: 0b101,
        ..Filter::ALL
    };
    assert!(entries(&with(dirs), &p).is_empty());
    let reqid = Filter {
        reqid: (6, 10),
        ..Filter::ALL
    };
    assert_eq!(
        entries(&with(reqid), &p)[..]
            .iter()
            .map(|e| e.reqid)
            .collect::<Vec<_>>(),
        [9]
    );
    let proto = Filter {
        proto: Some(ESP),
        ..Filter::ALL
    };
    assert_eq!(entries(&with(proto), &p).len(), 1);
    let mode = Filter {
        mode: Some(mode::BEET),
        ..Filter::ALL
    };
    assert!(entries(&with(mode), &p).is_empty());
    let sub = Filter {
        ptype: Some(1),
        ..Filter::ALL
    };
    assert!(entries(&with(sub), &p).is_empty());
    let marked = Policy {
        mark: (0x12, 0xff),
        ..p
    };
    let mark = Filter {
        mark: (0x02, 0x0f),
        ..Filter::ALL
    };
    assert_eq!(entries(&with(mark), &marked).len(), 2);
    assert!(entries(&with(mark), &p).is_empty());
    let ifid = Filter {
        if_id: Some(7),
        ..Filter::ALL
    };
    assert!(entries(&with(ifid), &p).is_empty());
    assert_eq!(entries(&with(ifid), &Policy { if_id: 7, ..p }).len(), 2);
    // Socket policies (direction 3 and up) are never moved.
    assert!(entries(&base, &policy(4, &ts)).is_empty());
}

#[test]
fn a_pair_moves_only_templates_between_its_two_addresses() {
    let req = Request {
        peer: Some(Move {
            old: Endpoint::v6(a6(2)),
            new: Endpoint::v6(a6(22)),
        }),
        ..request(1, 11)
    };
    let e = entries(&req, &policy(1, &[tunnel(ESP, 1, 1, 2)]));
    assert_eq!((e[0].new_saddr, e[0].new_daddr), (a6(11), a6(22)));
    let e = entries(&req, &policy(0, &[tunnel(ESP, 1, 2, 1)]));
    assert_eq!((e[0].new_saddr, e[0].new_daddr), (a6(22), a6(11)));
    // Host 1 with another peer: not this pair's.
    assert!(entries(&req, &policy(1, &[tunnel(ESP, 1, 1, 3)])).is_empty());
    // Two ends that trade places move once each.
    let swap = Request {
        local: Move {
            old: Endpoint::v6(a6(1)),
            new: Endpoint::v6(a6(2)),
        },
        peer: Some(Move {
            old: Endpoint::v6(a6(2)),
            new: Endpoint::v6(a6(1)),
        }),
        filter: Filter::ALL,
    };
    let e = entries(&swap, &policy(1, &[tunnel(ESP, 1, 1, 2)]));
    assert_eq!((e[0].new_saddr, e[0].new_daddr), (a6(2), a6(1)));
}

#[test]
fn one_end_to_the_other_family_is_refused_by_name() {
    let req = Request {
        local: Move {
            old: Endpoint::v6(a6(1)),
            new: Endpoint::v4([192, 0, 2, 1]),
        },
        ..request(1, 11)
    };
    let ts = [tunnel(ESP, 1, 3, 4), tunnel(ESP, 1, 1, 2)];
    assert_eq!(
        plan(&req, &policy(1, &ts)),
        Err(PolicyError::MixedFamilies(1))
    );
    // Both ends moving to IPv4 is fine.
    let both = Request {
        peer: Some(Move {
            old: Endpoint::v6(a6(2)),
            new: Endpoint::v4([198, 51, 100, 2]),
        }),
        ..req
    };
    let e = entries(&both, &policy(1, &ts));
    assert_eq!(
        (e[0].new_family, &e[0].new_daddr[..4]),
        (AF_INET, &[198, 51, 100, 2][..])
    );
}

#[test]
fn duplicate_templates_make_one_entry() {
    let t = tunnel(ESP, 1, 1, 2);
    assert_eq!(entries(&request(1, 11), &policy(1, &[t, t, t])).len(), 1);
}

#[test]
fn bad_requests_are_refused_before_any_policy() {
    assert_eq!(request(1, 11).check(), Ok(()));
    assert_eq!(request(1, 1).check(), Err(RequestError::NoChange));
    let null = Request {
        local: Move {
            old: Endpoint::v6(a6(1)),
            new: Endpoint::v6([0; 16]),
        },
        ..request(1, 11)
    };
    assert_eq!(null.check(), Err(RequestError::NullAddress));
    let fam = Request {
        local: Move {
            old: Endpoint {
                family: 7,
                addr: a6(1),
            },
            new: Endpoint::v6(a6(2)),
        },
        ..request(1, 11)
    };
    assert_eq!(fam.check(), Err(RequestError::Family));
    let same = Request {
        peer: Some(Move {
            old: Endpoint::v6(a6(1)),
            new: Endpoint::v6(a6(3)),
        }),
        ..request(1, 11)
    };
    assert_eq!(same.check(), Err(RequestError::SamePair));
    let reqid = Request {
        filter: Filter {
            reqid: (5, 4),
            ..Filter::ALL
        },
        ..request(1, 11)
    };
    assert_eq!(reqid.check(), Err(RequestError::ReqidRange));
}

fn template() -> impl Strategy<Value = Template> {
    (
        prop_oneof![Just(ESP), Just(AH), Just(108u8)],
        0u8..6,
        0u32..4,
        1u8..5,
        1u8..5,
    )
        .prop_map(|(proto, mode, reqid, s, d)| Template {
            proto,
            mode,
            reqid,
            family: AF_INET6,
            saddr: a6(s),
            daddr: a6(d),
        })
}

/// The policy's templates with `entries` applied, as the kernel's migration leaves them.
fn apply(ts: &[Template], entries: &Entries) -> Vec<Template> {
    ts.iter()
        .map(|t| {
            entries
                .iter()
                .find(|e| {
                    mode::has_endpoints(t.mode)
                        && (e.proto, e.mode, e.reqid, e.old_saddr, e.old_daddr)
                            == (t.proto, t.mode, t.reqid, t.saddr, t.daddr)
                })
                .map_or(*t, |e| Template {
                    family: e.new_family,
                    saddr: e.new_saddr,
                    daddr: e.new_daddr,
                    ..*t
                })
        })
        .collect()
}

proptest! {
    /// Every entry names a template of the policy as it is and moves exactly the old
    /// address(es) to the new; undoing it is the reverse request, whose plan on the moved
    /// policy is the reversed entries; nothing that does not use the address moves.
    #[test]
    fn a_plan_moves_the_address_and_the_reverse_plan_undoes_it(
        ts in proptest::collection::vec(template(), 0..6),
        old in 1u8..5,
        new in 5u8..9,
        pair in proptest::option::of((1u8..5, 9u8..12)),
        dir in 0u8..3,
    ) {
        let mut req = request(old, new);
        if let Some((po, pn)) = pair {
            prop_assume!(po != old);
            req.peer = Some(Move { old: Endpoint::v6(a6(po)), new: Endpoint::v6(a6(pn)) });
        }
        prop_assert_eq!(req.check(), Ok(()));
        let p = policy(dir, &ts);
        let planned = plan(&req, &p).unwrap();
        let uses = ts.iter().any(|t| mode::has_endpoints(t.mode) && (t.saddr == a6(old) || t.daddr == a6(old)));
        if !uses {
            prop_assert_eq!(planned, None);
        }
        let Some(e) = planned else { return Ok(()) };
        prop_assert!(e.len() <= MAX_DEPTH);
        for x in e.iter() {
            prop_assert!(ts.iter().any(|t| (t.proto, t.mode, t.reqid, t.saddr, t.daddr) == (x.proto, x.mode, x.reqid, x.old_saddr, x.old_daddr)));
            prop_assert!(x.old_saddr == a6(old) || x.old_daddr == a6(old) || req.peer.is_some());
            prop_assert!(x.new_saddr != a6(old) && x.new_daddr != a6(old));
            prop_assert_eq!(x.reversed().reversed(), *x);
        }
        let moved = apply(&ts, &e);
        let mut back = request(new, old);
        if let Some(p) = req.peer {
            back.peer = Some(Move { old: p.new, new: p.old });
        }
        let undone = plan(&back, &policy(dir, &moved)).unwrap();
        prop_assert_eq!(undone, Some(e.reversed()));
        prop_assert_eq!(apply(&moved, &e.reversed()), ts);
    }
}
